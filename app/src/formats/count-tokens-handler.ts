import type { IncomingHttpHeaders } from "node:http";
import { CountTokensCommand, type CountTokensInput } from "@aws-sdk/client-bedrock-runtime";
import type { Middleware } from "koa";
import type { ChatRequest } from "../bedrock/chat-request";
import { parseModelId } from "../bedrock/model-ids";
import { fromStreamError, unreadableAnswer } from "../bedrock/bedrock-errors";
import { UpstreamCall } from "../bedrock/upstream-call";
import { ApiError } from "../http/errors";
import type { AppState } from "../http/request-record";
import { modelInfo, resolutionContext, resolveModel } from "../models";
import { usesNativePath } from "./anthropic/native";
import { nativeBody } from "./anthropic/native-body";
import type { ChatDependencies } from "./chat-handler";
import { refuseOtherKind } from "./model-kinds";
import { contextFor, requireAccess } from "../usage/model-access";

/** A format's token-counting route: its request schema and how it states the count. */
export interface TokenCountFormat {
  /** Validates the body (and headers) into the request whose input is counted; throws a 400 naming the field. */
  parseRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest;
  countBody(inputTokens: number): unknown;
}

/** Bedrock's answer for a model without token counting (a ValidationException). */
const NOT_SUPPORTED = /support(s|ed)? (counting tokens|token counting)|count(ing)? tokens? (is )?not supported/i;

/**
 * Counts a request's input tokens with Bedrock's CountTokens (free, nothing generated), beside the chat handler:
 * the same validation and model resolution, the same abort on disconnect, idle timeout and shutdown, one answer.
 * CountTokens takes a foundation model, not an inference profile, so a profile's model is counted; a model that
 * cannot count is a 400 that says so.
 */
export function countTokensHandler(format: TokenCountFormat, deps: ChatDependencies): Middleware<AppState> {
  return async (ctx) => {
    const caller = deps.usage.identify(ctx.headers, ctx.state.record);
    const request = format.parseRequest(ctx.request.body, ctx.headers);
    refuseOtherKind(request.model, deps.embeddingModels, "embedding");
    const model = resolveModel(request.model, contextFor(caller, resolutionContext(deps.config, deps.models)));
    ctx.state.record.model = model;
    requireAccess(caller, model);
    const input = countInput(request, model, ctx.state.record);
    const command = new CountTokensCommand({ modelId: parseModelId(model).foundationModelId, input });
    const call = new UpstreamCall(ctx.res, deps.activeStreams, deps.config.upstreamIdleTimeoutMs);
    try {
      // Whatever the SDK throws here is the upstream's failure (an unreadable answer, a transport error): mapped
      // like every upstream failure, never a 500 of ours. Retried like a chat call's start (the SDK's own retries
      // are off), never moved to another model.
      const send = () => deps.bedrock.send(command, { abortSignal: call.signal })
        .catch((err: unknown) => Promise.reject(unsupported(err, model) ?? fromStreamError(err)));
      const counted = (await deps.resilience.starter.start(call, model, [model], send, ctx.state.record)).value;
      // An answer without a count (an empty body reads as `{}`) is not a count of 0.
      if (counted.inputTokens === undefined) throw unreadableAnswer("CountTokens answered without inputTokens");
      ctx.body = format.countBody(counted.inputTokens);
    } catch (err) {
      throw call.explain(err);
    } finally {
      call.dispose();
    }
  };
}

/**
 * Claude counts the native body (as the native path would send it); other models the Converse input. The log line
 * names the betas left out, as the chat route's does (Converse takes none).
 */
function countInput(request: ChatRequest, model: string, record: AppState["record"]): CountTokensInput {
  const info = modelInfo(model);
  if (usesNativePath(request.native, info)) {
    // Nothing is generated: the model's own limit as max_tokens keeps a thinking budget in the count.
    const { body, dropped } = nativeBody(request.native!, info, info.maxOutputTokens);
    if (dropped.length > 0) record.betasDropped = dropped;
    return { invokeModel: { body: Buffer.from(JSON.stringify(body)) } };
  }
  if (request.native?.betas.length) record.betasDropped = [...request.native.betas];
  const { messages, system, toolConfig, additionalModelRequestFields } = request;
  return { converse: { messages, system, toolConfig, additionalModelRequestFields } };
}

function unsupported(err: unknown, model: string): ApiError | undefined {
  if (!(err instanceof Error) || err.name !== "ValidationException" || !NOT_SUPPORTED.test(err.message)) return undefined;
  return new ApiError(400, "invalid_request", `Token counting is not available for the model "${model}" on Bedrock`, {
    param: "model",
    cause: err,
  });
}
