import type { Middleware } from "koa";
import type { AppState } from "../http/request-record";
import { resolutionContext, resolveModel } from "../models";
import {
  ANTHROPIC_MODEL_PATH, ANTHROPIC_MODELS_PATH, CHAT_COMPLETIONS_PATH, COUNT_TOKENS_PATH, EMBEDDINGS_PATH, MESSAGES_PATH, MODEL_PATH, MODELS_PATH, RESPONSES_PATH,
} from "../runtime-contract";
import { anthropicTokenCount } from "./anthropic/count-tokens";
import { anthropicFormat } from "./anthropic/format";
import { listAnthropicModels, retrieveAnthropicModel } from "./anthropic/models";
import { type ChatDependencies, chatHandler } from "./chat-handler";
import { countTokensHandler } from "./count-tokens-handler";
import { ndjsonFormat } from "./ndjson/format";
import { embeddingsHandler } from "./openai/embeddings-handler";
import { openaiFormat } from "./openai/format";
import { type CallerOf, listModels, retrieveModel } from "./openai/models";
import { responsesFormat } from "./responses/format";
import type { WireFormat } from "./wire-format";

export type { ChatDependencies } from "./chat-handler";

/** One route a wire format serves, relative to the stage. */
export interface FormatRoute {
  method: "get" | "post";
  path: string;
  /** The format whose error shape the route's failures take. */
  format: WireFormat;
  handler: Middleware<AppState>;
  /**
   * For a path another format's route also serves (routes.ts): whether this route takes the request. The route
   * without `claims` takes the rest.
   */
  claims?: (ctx: Parameters<Middleware<AppState>>[0]) => boolean;
}

/**
 * Every Anthropic SDK (and Claude Code) sends `anthropic-version`, OpenAI's never do: under the stage `v1`,
 * `GET /v1/models` is both OpenAI's `/models` and Anthropic's `/v1/models`, and this header tells them apart.
 */
const sentByAnthropicClient: FormatRoute["claims"] = (ctx) => ctx.get("anthropic-version") !== "";

/** Every route of every wire format; a new format adds its routes here. */
export function formatRoutes(deps: ChatDependencies): FormatRoute[] {
  const resolution = resolutionContext(deps.config, deps.models);
  const openai = openaiFormat({ defaultMaxTokens: deps.config.defaultMaxTokens, defaultModel: deps.config.modelId });
  const responses = responsesFormat({
    defaultMaxTokens: deps.config.defaultMaxTokens,
    modelOf: (requested) => resolveModel(requested, resolution),
  });
  const models = { chat: deps.models, embedding: deps.embeddingModels };
  const callerOf: CallerOf = (ctx) => deps.usage.identify(ctx.headers, ctx.state.record);
  return [
    { method: "post", path: "/stream", format: ndjsonFormat, handler: chatHandler(ndjsonFormat, deps) },
    { method: "post", path: CHAT_COMPLETIONS_PATH, format: openai, handler: chatHandler(openai, deps) },
    { method: "get", path: MODELS_PATH, format: openai, handler: listModels(models, callerOf) },
    { method: "get", path: MODEL_PATH.replace("{id}", ":id"), format: openai, handler: retrieveModel(models, callerOf) },
    { method: "post", path: EMBEDDINGS_PATH, format: openai, handler: embeddingsHandler(deps) },
    { method: "post", path: RESPONSES_PATH, format: responses, handler: chatHandler(responses, deps) },
    { method: "post", path: MESSAGES_PATH, format: anthropicFormat, handler: chatHandler(anthropicFormat, deps) },
    { method: "post", path: COUNT_TOKENS_PATH, format: anthropicFormat, handler: countTokensHandler(anthropicTokenCount, deps) },
    { method: "get", path: ANTHROPIC_MODELS_PATH, format: anthropicFormat, handler: listAnthropicModels(deps.models, callerOf), claims: sentByAnthropicClient },
    {
      method: "get", path: ANTHROPIC_MODEL_PATH.replace("{id}", ":id"), format: anthropicFormat,
      handler: retrieveAnthropicModel(resolution, callerOf), claims: sentByAnthropicClient,
    },
  ];
}
