import { ApiError } from "../http/errors";

/** The models a deployment serves: the default first, then the further allowed ones, without repeats. */
export function servedModels(defaultModelId: string, allowedModelIds: readonly string[] = []): string[] {
  return [...new Set([defaultModelId, ...allowedModelIds])];
}

/**
 * The model a request may use: the default when it names none, the named one when it is served, else a 404
 * `model_not_found`. The task role may only invoke the served models, so an unlisted name could never work anyway;
 * refusing it here gives the caller a clear answer instead of a misconfiguration 502.
 */
export function resolveModel(requested: string | undefined, served: readonly string[]): string {
  if (requested === undefined || requested === "") return served[0];
  if (served.includes(requested)) return requested;
  const shown = requested.length > 200 ? `${requested.slice(0, 200)}...` : requested;
  return notFound(shown);
}

function notFound(model: string): never {
  throw new ApiError(404, "model_not_found", `The model "${model}" is not served by this deployment`, { param: "model" });
}
