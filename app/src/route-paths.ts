/**
 * The routes after the seed's, relative to the stage: the app serves them (formats/index.ts) and API Gateway's
 * route table (infra/api-routes.ts) exposes them, so both name each path once. A module of its own with no imports, so
 * the playground's browser script can use the same paths without pulling in the settings registry (and zod).
 * runtime-contract.ts re-exports them.
 */
export const CHAT_COMPLETIONS_PATH = "/chat/completions";
export const MODELS_PATH = "/models";
/** One model (`models.retrieve`); `{id}` is the path parameter, in API Gateway's syntax (the app's router says `:id`). */
export const MODEL_PATH = `${MODELS_PATH}/{id}`;
export const EMBEDDINGS_PATH = "/embeddings";
/** OpenAI Responses (Codex, the Agents SDK): beside `/chat/completions` under the same base URL. */
export const RESPONSES_PATH = "/responses";
/** Anthropic's SDKs append `/v1/messages` to their base URL, the stage URL. */
export const MESSAGES_PATH = "/v1/messages";
export const COUNT_TOKENS_PATH = "/v1/messages/count_tokens";
/**
 * Anthropic's Models API (`client.models.list()`, `client.models.retrieve(id)`), beside `/v1/messages`. Under the stage
 * `v1` the app also sees OpenAI's `/models` at `/v1/models`: such a request is Anthropic's when it carries
 * `anthropic-version` (formats/index.ts). The parameter is `{id}` like OpenAI's, so both routes read the same one.
 */
export const ANTHROPIC_MODELS_PATH = "/v1/models";
export const ANTHROPIC_MODEL_PATH = `${ANTHROPIC_MODELS_PATH}/{id}`;
export const USAGE_PATH = "/usage";
/**
 * Request header of the playground and the terminal client (`true`): the Chat Completions usage chunk then also
 * carries `estimated_cost_micro_usd`, the reply's estimated cost (usage/cost.ts). Other clients never see the field.
 */
export const ESTIMATED_COST_HEADER = "x-gateway-estimated-cost";
/** The browser playground (app/src/playground/); exposed by API Gateway only when the stack enables it. */
export const PLAYGROUND_PATH = "/playground";
