import { randomUUID } from "node:crypto";
import { embed, EmbeddingInputError, embeddingFamily, type EmbeddingFamily } from "./embeddings";
import type { Pacing } from "./reply";
import { bedrockRefusal } from "./model-rules";
import { modelReply } from "./respond";
import { play } from "./play";
import { estimateInputTokens, isNativeBody, promptView } from "./prompt";
import { encodeChunk, messageOutput, streamOutput } from "./output";
import { AnthropicRenderer, anthropicModelName, GUARDRAIL_HEADER } from "./render-anthropic";
import { ConverseRenderer } from "./render-converse";
import type { Outcome, RecordedRequest, Scenario } from "./scenario";
import type { AnyResponse } from "./transport";
import { preStreamError } from "./wire";

/**
 * What the stand-in does per Bedrock operation, once the request is read and its scenario chosen: ConverseStream
 * and Claude's native InvokeModel(WithResponseStream) share the reply engine and differ only in renderer and
 * output; CountTokens answers at once.
 */

export interface OperationContext {
  res: AnyResponse;
  record: RecordedRequest;
  scenario: Scenario;
  pacing: Pacing;
  closed: AbortSignal;
  reset(scope: "connection" | "stream"): void;
}

export function sendError(res: AnyResponse, ...args: Parameters<typeof preStreamError>): void {
  const error = preStreamError(...args);
  res.writeHead(error.status, error.headers);
  res.end(error.body);
}

/** CountTokens' `input.invokeModel.body` is a blob, base64 in JSON; undefined when it is not a JSON body. */
function invokeModelBody(body: any): unknown {
  const blob = body?.input?.invokeModel?.body;
  if (typeof blob !== "string") return undefined;
  try {
    return JSON.parse(Buffer.from(blob, "base64").toString("utf8"));
  } catch {
    return undefined;
  }
}

/**
 * CountTokens: `{"inputTokens": N}` from the scenario's `countTokens`, else estimated from the Converse input or the
 * native body (`input.invokeModel.body`); the scenario's `error` answers instead (e.g. a ValidationException for a
 * model without token counting).
 */
function countTokens({ res, record, scenario }: OperationContext): Outcome {
  if (scenario.error) {
    const { type, status, message } = scenario.error;
    sendError(res, type, message ?? `${type} from the local Bedrock stand-in`, status);
    return "error";
  }
  if (scenario.countTokensReply) {
    const { status, body, contentType = "application/json" } = scenario.countTokensReply;
    res.writeHead(status, { "content-type": contentType, "x-amzn-requestid": randomUUID() });
    res.end(body);
    return status < 300 ? "completed" : "error";
  }
  const body = record.body?.input?.converse ?? invokeModelBody(record.body);
  if (body === undefined) {
    sendError(res, "ValidationException", "The input must have exactly one of converse or invokeModel with a JSON body.");
    return "error";
  }
  const inputTokens = scenario.countTokens ?? estimateInputTokens(body);
  res.writeHead(200, { "content-type": "application/json", "x-amzn-requestid": randomUUID() });
  res.end(JSON.stringify({ inputTokens }));
  return "completed";
}

function defaultSteps(ctx: OperationContext) {
  return () => modelReply(promptView(ctx.record.body), ctx.pacing, ctx.scenario);
}

/** Claude's native body on InvokeModel(WithResponseStream): Anthropic's events, streamed as chunks or as one message. */
function invokeClaude(ctx: OperationContext): Promise<Outcome | undefined> | Outcome {
  const { res, record } = ctx;
  if (!isNativeBody(record.body) || !Array.isArray(record.body.messages)) {
    sendError(res, "ValidationException", "Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.");
    return "error";
  }
  const renderer = new AnthropicRenderer(anthropicModelName(record.modelId), record.headers[GUARDRAIL_HEADER] !== undefined);
  const output =
    record.operation === "invoke" ? messageOutput(res, record.receivedAt) : streamOutput(res, ctx.closed, encodeChunk);
  return play({ ...ctx, renderer, output, defaultSteps: defaultSteps(ctx) });
}

/**
 * An embedding model on InvokeModel: the vectors at once. A scenario's `error` and `headersDelayMs` apply; its steps
 * do not (an embedding has no stream to script). Bedrock serves embeddings on InvokeModel only.
 */
async function invokeEmbedding(ctx: OperationContext, family: EmbeddingFamily): Promise<Outcome | undefined> {
  const { res, record, scenario } = ctx;
  const requestId = randomUUID();
  record.responseRequestId = requestId;
  if (scenario.error) {
    const { type, status, message } = scenario.error;
    sendError(res, type, message ?? `${type} from the local Bedrock stand-in`, status);
    return "error";
  }
  if (record.operation !== "invoke") {
    sendError(res, "ValidationException", "The model is unsupported for streaming.");
    return "error";
  }
  let answer: ReturnType<typeof embed>;
  try {
    answer = embed(family, record.body);
  } catch (error) {
    if (!(error instanceof EmbeddingInputError)) throw error;
    sendError(res, "ValidationException", error.message);
    return "error";
  }
  await new Promise((resolve) => setTimeout(resolve, scenario.headersDelayMs ?? 0));
  if (ctx.closed.aborted) return undefined;
  res.writeHead(200, {
    "content-type": "application/json",
    "x-amzn-requestid": requestId,
    "x-amzn-bedrock-input-token-count": String(answer.inputTokens),
    "x-amzn-bedrock-invocation-latency": String(Date.now() - record.receivedAt),
  });
  res.end(JSON.stringify(answer.reply));
  return "completed";
}

/** Answers one request; undefined when the stream closed under it. */
export function answer(ctx: OperationContext): Promise<Outcome | undefined> | Outcome {
  const refusal = ctx.record.operation === "count-tokens" ? undefined : bedrockRefusal(ctx.record.modelId, promptView(ctx.record.body));
  if (refusal) {
    sendError(ctx.res, "ValidationException", refusal);
    return "error";
  }
  switch (ctx.record.operation) {
    case "count-tokens":
      return countTokens(ctx);
    case "invoke":
    case "invoke-with-response-stream": {
      const family = embeddingFamily(ctx.record.modelId);
      return family ? invokeEmbedding(ctx, family) : invokeClaude(ctx);
    }
    default: {
      const output = streamOutput<Uint8Array>(ctx.res, ctx.closed, (frame) => frame);
      return play({ ...ctx, renderer: new ConverseRenderer(), output, defaultSteps: defaultSteps(ctx) });
    }
  }
}
