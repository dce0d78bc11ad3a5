import { type BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import type { Middleware } from "koa";
import type { StreamSummary } from "../../bedrock/chat-events";
import type { ChatRequest } from "../../bedrock/chat-request";
import { type EmbeddingCall, type EmbeddingFamily, embeddingCalls, embeddingFamily } from "../../bedrock/embedding-models";
import { UpstreamCall } from "../../bedrock/upstream-call";
import { ApiError } from "../../http/errors";
import type { AppState } from "../../http/request-record";
import type { ChatDependencies } from "../chat-handler";
import { modelNotFound, refuseOtherKind } from "../model-kinds";
import { modelsFor, requireAccess } from "../../usage/model-access";
import { checkDimensions, parseEmbeddingsRequest } from "./embeddings-request";

/** InvokeModel calls of one request in flight at once: enough to embed a batch quickly, few enough to spare the quota. */
export const EMBEDDING_CONCURRENCY = 8;
/** The header Bedrock reports an InvokeModel call's input tokens in (Cohere's body does not). */
const INPUT_TOKENS_HEADER = "x-amzn-bedrock-input-token-count";

/**
 * `POST /embeddings`: OpenAI's embeddings API on Bedrock's embedding models (InvokeModel), the texts batched the way
 * each model allows, at most {@link EMBEDDING_CONCURRENCY} calls at once. Admitted and charged like a chat request
 * (input tokens against the key's budget), cancelled when the client leaves, answered in OpenAI's list shape.
 */
export function embeddingsHandler(deps: ChatDependencies): Middleware<AppState> {
  return async (ctx) => {
    const record = ctx.state.record;
    const caller = deps.usage.identify(ctx.headers, record);
    const request = parseEmbeddingsRequest(ctx.request.body);
    record.userTag = request.userTag;
    refuseOtherKind(request.model, deps.models, "chat");
    // The key's default: the first embedding model it may call.
    const model = request.model ?? modelsFor(caller, deps.embeddingModels)[0] ?? deps.embeddingModels[0];
    if (model === undefined || !deps.embeddingModels.includes(model)) return modelNotFound(model ?? "(none: no embedding models are served)");
    record.model = model;
    requireAccess(caller, model);
    const family = embeddingFamily(model);
    if (!family) throw new ApiError(400, "invalid_request", `model: the gateway does not know how to call ${model}`, { param: "model" });
    checkDimensions(family, model, request.dimensions);

    const call = new UpstreamCall(ctx.res, deps.activeStreams, deps.config.upstreamIdleTimeoutMs);
    // Charged as a request whose input is the texts: what an estimate counts if the call is cut before it ends.
    const billed: ChatRequest = { messages: [{ role: "user", content: request.texts.map((text) => ({ text })) }], stream: false };
    const summary: StreamSummary = {};
    let admitted = false;
    let accepted = false;
    try {
      await call.upstream(deps.usage.admit(caller));
      admitted = true;
      const calls = embeddingCalls(family, request.texts, { dimensions: request.dimensions, inputType: request.inputType });
      accepted = true;
      const results = await call.upstream(runBounded(calls, (one) => invoke(deps.bedrock, model, family, one, call.signal)));
      const vectors = results.flatMap((result) => result.vectors);
      if (vectors.length !== request.texts.length) throw new ApiError(502, "upstream_error", "Bedrock answered a different number of embeddings");
      const inputTokens = results.reduce((sum, result) => sum + result.inputTokens, 0);
      summary.usage = { inputTokens, outputTokens: 0, totalTokens: inputTokens };
      record.usage = summary.usage;
      ctx.body = {
        object: "list",
        data: vectors.map((vector, index) => ({ object: "embedding", index, embedding: encode(vector, request.encoding) })),
        model,
        usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
      };
    } catch (err) {
      throw call.explain(err);
    } finally {
      call.dispose();
      if (admitted) deps.usage.settle(record, caller, { request: billed, summary, accepted });
    }
  };
}

async function invoke(
  bedrock: BedrockRuntimeClient,
  modelId: string,
  family: EmbeddingFamily,
  one: EmbeddingCall,
  abortSignal: AbortSignal,
): Promise<{ vectors: number[][]; inputTokens: number }> {
  let headerTokens: number | undefined;
  const command = new InvokeModelCommand({
    modelId, contentType: "application/json", accept: "application/json", body: JSON.stringify(one.body),
  });
  // The token count travels in a response header the SDK's output leaves out: read it off the raw response.
  command.middlewareStack.add((next) => async (args) => {
    const result = await next(args);
    const value = Number((result.response as { headers?: Record<string, string> }).headers?.[INPUT_TOKENS_HEADER]);
    if (Number.isFinite(value)) headerTokens = value;
    return result;
  }, { step: "deserialize", name: "embeddingInputTokens" });
  const output = await bedrock.send(command, { abortSignal });
  let reply: unknown;
  try {
    reply = JSON.parse(output.body.transformToString());
  } catch {
    reply = undefined;
  }
  const read = family.read(reply);
  if (read.vectors.length !== one.count) throw new ApiError(502, "upstream_error", "Bedrock answered a different number of embeddings");
  const texts = (one.body.texts ?? [one.body.inputText]) as string[];
  // Neither reported: about four characters a token, as every estimate in the gateway.
  const estimate = () => texts.reduce((sum, text) => sum + Math.max(1, Math.ceil(text.length / 4)), 0);
  return { vectors: read.vectors, inputTokens: headerTokens ?? read.inputTokens ?? estimate() };
}

/** Runs `work` over `items`, at most {@link EMBEDDING_CONCURRENCY} at once; results in order; the first failure rejects. */
async function runBounded<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(EMBEDDING_CONCURRENCY, items.length) }, worker));
  return results;
}

/** `base64`: the vector's float32 values, little-endian, as OpenAI sends them (its SDK decodes them). */
function encode(vector: number[], encoding: "float" | "base64"): number[] | string {
  if (encoding === "float") return vector;
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}
