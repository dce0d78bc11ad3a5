import type { ChatRequest } from "../bedrock/chat-request";
import { type ModelInfo, modelInfo, reasoningFields } from "../models";

/**
 * A request moved to a fallback model, adapted through the model catalog (app/src/models) so that model accepts
 * it: its thinking in the form the model takes (a budget, adaptive, or none), its sampling fields within what the
 * model allows; `max_tokens` is clamped to the model's limit where every call's input is built (chat-request.ts).
 * What cannot be adapted without changing the answer a caller relies on (tools, images) makes the model unfit
 * instead: the chain skips it.
 */
export function adaptRequest(request: ChatRequest, requested: string, model: string, defaultMaxTokens: number): ChatRequest {
  if (model === requested) return request;
  const info = modelInfo(model);
  return withSampling(withThinking(request, info, defaultMaxTokens), info);
}

/** Whether `model` can answer the request at all (a model the catalog does not know is assumed able). */
export function fitsModel(request: ChatRequest, model: string): boolean {
  const info = modelInfo(model);
  if (!info.known) return true;
  if (request.toolConfig?.tools?.length && !info.tools) return false;
  const hasImage = request.messages.some((message) => message.content?.some((block) => "image" in block && block.image));
  return !(hasImage && !info.vision);
}

type Thinking = { type?: string; budget_tokens?: number };

function withThinking(request: ChatRequest, info: ModelInfo, defaultMaxTokens: number): ChatRequest {
  const fields = request.additionalModelRequestFields as Record<string, unknown> | undefined;
  const thinking = fields?.thinking as Thinking | undefined;
  if (!thinking || thinking.type === "disabled") return request;
  const { thinking: _dropped, ...others } = fields!;
  const rest = Object.keys(others).length > 0 ? others : undefined;
  if (info.thinking === "none") return { ...request, additionalModelRequestFields: rest as never };
  // Budget-only models refuse `adaptive`; adaptive-only ones refuse a budget. Adaptive models take either.
  const refused = (info.thinking === "budget" && thinking.type === "adaptive") ||
    (info.thinking === "adaptive-only" && thinking.type === "enabled");
  if (!refused) return request;
  // The other form: an adaptive request becomes a medium budget, a budget one becomes adaptive.
  const maxTokens = request.inferenceConfig?.maxTokens ?? defaultMaxTokens;
  const reasoning = reasoningFields(info, "medium", maxTokens);
  return {
    ...request,
    inferenceConfig: { ...request.inferenceConfig, maxTokens: reasoning.maxTokens },
    additionalModelRequestFields: { ...rest, ...reasoning.additionalModelRequestFields } as never,
  };
}

/** Sampling fields the model refuses: all of them on a fixed-sampling model, `topP` beside `temperature` on another. */
function withSampling(request: ChatRequest, info: ModelInfo): ChatRequest {
  const config = request.inferenceConfig;
  if (!config) return request;
  if (info.samplingFixed && (config.temperature !== undefined || config.topP !== undefined)) {
    const { temperature: _t, topP: _p, ...kept } = config;
    return { ...request, inferenceConfig: kept };
  }
  if (info.samplingExclusive && config.temperature !== undefined && config.topP !== undefined) {
    const { topP: _p, ...kept } = config;
    return { ...request, inferenceConfig: kept };
  }
  return request;
}
