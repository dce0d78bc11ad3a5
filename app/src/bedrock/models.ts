import { ApiError } from "../http/errors";

/** The models a deployment serves: the default first, then the further allowed ones, without repeats. */
export function servedModels(defaultModelId: string, allowedModelIds: readonly string[] = []): string[] {
  return [...new Set([defaultModelId, ...allowedModelIds])];
}

/** What a served model is for: the chat routes, or `POST /embeddings`. */
export type ModelKind = "chat" | "embedding";

/** A served model of the other kind than the route's: named, it is a 400 that says where it belongs. */
export interface OtherKind {
  readonly models: readonly string[];
  /** e.g. "an embedding model: use POST /embeddings". */
  readonly hint: string;
}

/**
 * The model a request may use: the default when it names none, the named one when it is served, a 400 when it is a
 * served model of the other kind, else a 404 `model_not_found`. The task role may only invoke the served models, so
 * an unlisted name could never work anyway; refusing it here gives the caller a clear answer instead of a
 * misconfiguration 502.
 */
export function resolveModel(requested: string | undefined, served: readonly string[], other?: OtherKind): string {
  if (requested === undefined || requested === "") return served[0];
  if (served.includes(requested)) return requested;
  if (other?.models.includes(requested)) {
    throw new ApiError(400, "wrong_model_kind", `The model "${requested}" is ${other.hint}`, { param: "model" });
  }
  return notFound(requested);
}

/** How the chat routes resolve their model: embedding models are pointed to their route. */
export const resolveChatModel = (requested: string | undefined, chat: readonly string[], embedding: readonly string[]) =>
  resolveModel(requested, chat, { models: embedding, hint: "an embedding model: use POST /embeddings" });

/** The 404 for a model name this deployment does not serve (a long name is cut: it is echoed). */
export function notFound(model: string): never {
  const shown = model.length > 200 ? `${model.slice(0, 200)}...` : model;
  throw new ApiError(404, "model_not_found", `The model "${shown}" is not served by this deployment`, { param: "model" });
}
