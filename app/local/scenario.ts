import type { Protocol } from "./transport";
import type { InStreamExceptionName, PreStreamErrorName } from "./wire";

/**
 * One thing the fake does after `messageStart`, in order. Content steps are numbered into blocks as Bedrock does:
 * consecutive steps of one kind share a block; a different kind (or a `toolUse`) closes it with
 * `contentBlockStop` and opens the next index.
 */
export type Step =
  /** One `contentBlockDelta` with this text, after `delayMs`. */
  | { text: string; delayMs?: number }
  /** Extended thinking: a `reasoningContent.text` delta. */
  | { reasoning: string; delayMs?: number }
  /** The reasoning block's `reasoningContent.signature` delta (sent after its text). */
  | { signature: string; delayMs?: number }
  /** A `reasoningContent.redactedContent` delta: encrypted reasoning, given here base64-encoded. */
  | { redacted: string; delayMs?: number }
  /** Starts a tool call: `contentBlockStart` with `toolUse {toolUseId, name}` (a new block). */
  | { toolUse: { id: string; name: string }; delayMs?: number }
  /** A piece of the current tool call's input JSON text (`delta.toolUse.input`). */
  | { toolInput: string; delayMs?: number }
  /** An in-stream exception frame, then the stream ends (the SDK throws it from the `for await` loop). */
  | { exception: InStreamExceptionName; message?: string; delayMs?: number }
  /** Send nothing more but keep the stream open until the client gives up (or the fake is closed). */
  | { hang: true }
  /**
   * Abort abruptly. scope "connection" (default): TCP RST of the whole connection, as a crashed upstream or a dropped
   * network path would. scope "stream": HTTP/2 RST_STREAM INTERNAL_ERROR, the connection lives on (HTTP/1.1 has no
   * streams, so there it is a connection reset too).
   */
  | { reset: true; scope?: "connection" | "stream"; delayMs?: number };

/**
 * What the fake does with one request. Every field is optional; `{}` is a normal reply. The same scenario scripts
 * ConverseStream (Converse events) and, for Claude, InvokeModel / InvokeModelWithResponseStream (Anthropic's events).
 */
export interface Scenario {
  /** Answer with this error instead of a stream (restJson1: status + `x-amzn-errortype` + `{"message"}`). */
  error?: { type: PreStreamErrorName; status?: number; message?: string; delayMs?: number };
  /** Delay before the 200 and its headers (the SDK's `send()` resolves only after the first frame). */
  headersDelayMs?: number;
  /**
   * Send `messageStart` right after the headers (default true). `false` makes the first step the first frame, e.g.
   * an exception as the very first frame, which the SDK throws from `send()` rather than from the loop.
   */
  messageStart?: boolean;
  /** The reply; default: the plausible reply of `reply.ts` at the fake's pacing. */
  steps?: Step[];
  /** `messageStop.stopReason`; default "end_turn". */
  stopReason?: string;
  /** `metadata.usage`; default: input estimated from the prompt, output = number of content steps. */
  usage?: { inputTokens: number; outputTokens: number; cacheReadInputTokens?: number; cacheWriteInputTokens?: number };
  /** CountTokens answer (`inputTokens`); default: estimated from the request. */
  countTokens?: number;
  /**
   * CountTokens answers with this raw reply instead (e.g. a truncated 200, or a proxy's HTML error page): what a
   * broken upstream path looks like to the SDK.
   */
  countTokensReply?: { status: number; body: string; contentType?: string };
  /** After `messageStop`: "metadata" (default) sends usage and ends; "silence" sends nothing more and holds the stream open. */
  afterStop?: "metadata" | "silence";
  /**
   * Scripts one tool round without `steps`: a request that offers a tool of this name, and whose last turn is not a
   * tool result, gets a call of it with `input` (default: an instance of the tool's schema); the request that brings
   * the result back gets the usual final answer quoting it. E.g. `{"toolCall":{"name":"Read","input":{"file_path":"/tmp/a.txt"}}}`.
   */
  toolCall?: { name: string; input?: Record<string, unknown> };
}

export type ScenarioSource = Scenario | ((req: RecordedRequest) => Scenario);

export type Operation = "converse-stream" | "count-tokens" | "invoke" | "invoke-with-response-stream";

export type Outcome = "completed" | "client-aborted" | "reset" | "error";

/** What the fake saw of one request, and how it ended. */
export interface RecordedRequest {
  /** 1-based, in order of arrival. */
  id: number;
  /** URL-decoded `{modelId}` of `/model/{modelId}/converse-stream` (or `/count-tokens`, `/invoke`, ...). */
  modelId: string;
  /** Which Bedrock operation was called (`invoke`: InvokeModel; `invoke-with-response-stream`: its streaming form). */
  operation: Operation;
  /** The parsed JSON body (`messages`, `system`, `inferenceConfig`, ...); the raw text if it was not JSON. */
  body: any;
  /** Request headers as received (SigV4 `authorization`, `x-amz-date`, ... are recorded, never checked). */
  headers: Record<string, string | string[] | undefined>;
  protocol: Protocol;
  /** 1-based id of the connection (HTTP/2 session) that carried the request, so tests can see pooling and resets. */
  connection: number;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
  /** `Date.now()` when the upstream stream closed, for whatever reason. */
  closedAt?: number;
  /**
   * completed: the whole reply was sent; error: a pre-stream error or an in-stream exception was sent;
   * reset: the fake reset the connection (a `reset` step, or `close()` with the stream still open);
   * client-aborted: the client closed the stream (RST_STREAM / socket closed) before the fake finished.
   */
  outcome?: Outcome;
  /** The `x-amzn-requestid` the fake answered with (Bedrock's request id, which the service logs with failures). */
  responseRequestId?: string;
}
