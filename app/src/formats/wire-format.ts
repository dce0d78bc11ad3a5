import type { IncomingHttpHeaders } from "node:http";
import type { ChatEvent, StreamSummary, TokenUsage } from "../bedrock/chat-events";
import type { ChatRequest } from "../bedrock/chat-request";
import type { ResultBlock } from "../bedrock/collect";
import type { ApiError } from "../http/errors";
import type { ErrorShape } from "../http/request-record";

/**
 * A wire format: how one family of clients (the native NDJSON lines, OpenAI Chat Completions, Anthropic Messages)
 * asks for a chat and reads the answer. Everything format-specific lives behind this interface, in one module per
 * format; the upstream call, its abort, the idle timeout, shutdown and logging are shared (formats/chat-handler.ts).
 */
export interface WireFormat extends ErrorShape {
  /** For log lines and metrics: `ndjson`, `openai`, `anthropic`. */
  readonly name: string;
  /**
   * Validates a parsed JSON body (and the headers the format defines, e.g. `anthropic-beta`) into the internal
   * request. Throws a 400 {@link ApiError} that names the offending field; never echoes prompt text.
   */
  parseRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest;
  /** The JSON body of an error answered with an HTTP status (nothing streamed yet). */
  errorBody(error: ApiError): unknown;
  /** The last frame of a stream that fails after it started (the status is already 200). */
  errorFrame(error: ApiError): string;
  /** Content-Type of a streamed answer. */
  readonly streamContentType: string;
  /** Turns one reply's events into frames; one writer per response. */
  streamWriter(reply: ReplyInfo): StreamWriter;
  /** The whole answer of a non-streamed request. */
  completeBody(reply: ReplyInfo, blocks: ResultBlock[], summary: StreamSummary): unknown;
}

/** What a format may say about the reply besides its content. */
export interface ReplyInfo {
  /** A unique id for this reply (`chatcmpl-...`, `msg_...` are derived from it). */
  id: string;
  /** The model that answers (resolved: the default when the request named none). */
  model: string;
  /** Unix seconds at which the reply started. */
  created: number;
  /** `performance.now()` when the request arrived (for formats that report the total latency). */
  startedAt: number;
  request: ChatRequest;
  /** Input tokens estimated before Bedrock reports the real count (for formats that announce it up front). */
  estimatedInputTokens: number;
  /** The reply's estimated cost in micro-dollars for its usage; undefined for a model without prices. */
  estimatedCost?(usage: TokenUsage): number | undefined;
}

/** Produces the frames of one streamed reply; each method returns text to send ("" for nothing). */
export interface StreamWriter {
  /** Sent right after the headers, before any model output (e.g. Anthropic's `message_start`). */
  open(): string;
  event(event: ChatEvent): string;
  /** Sent after the model's last event: stop reason, usage, terminators. */
  end(summary: StreamSummary): string;
  /** A keep-alive frame for long silences (idle proxies cut quiet streams); formats without one omit it. */
  ping?(): string;
  /**
   * The last frame when the stream fails after it began, where it depends on what was sent (Responses numbers
   * every event); replaces the format's {@link WireFormat.errorFrame} once the stream is open.
   */
  errorFrame?(error: ApiError): string;
}
