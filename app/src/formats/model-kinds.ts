import { ApiError } from "../http/errors";

/**
 * The two kinds of served model: chat models (`MODEL_ID`, `ALLOWED_MODEL_IDS`) answer the chat routes, embedding
 * models (`EMBEDDING_MODEL_IDS`) answer `POST /embeddings`. A model named on the other kind's route is a 400 that
 * says where it belongs, before any resolution could hand the request to some other model.
 */
export type ModelKind = "chat" | "embedding";

const ROUTE_OF: Readonly<Record<ModelKind, string>> = {
  chat: "a chat model: use POST /chat/completions, /v1/messages or /stream",
  embedding: "an embedding model: use POST /embeddings",
};

/** Throws 400 `wrong_model_kind` when `requested` is one of `models`, which are of `kind`. */
export function refuseOtherKind(requested: string | undefined, models: readonly string[], kind: ModelKind): void {
  if (requested === undefined || !models.includes(requested)) return;
  throw new ApiError(400, "wrong_model_kind", `The model "${requested}" is ${ROUTE_OF[kind]}`, { param: "model" });
}

/** The 404 for a model name this deployment does not serve (a long name is cut: it is echoed). */
export function modelNotFound(model: string): never {
  const shown = model.length > 200 ? `${model.slice(0, 200)}...` : model;
  throw new ApiError(404, "model_not_found", `The model "${shown}" is not served by this deployment`, { param: "model" });
}
