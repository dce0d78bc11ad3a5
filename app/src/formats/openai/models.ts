import type { Middleware } from "koa";
import type { AppState } from "../../http/request-record";

/** `global.anthropic.claude-...` -> `anthropic`: the provider part of a model or inference-profile id. */
export function ownerOf(modelId: string): string {
  const parts = modelId.split(".");
  const owner = parts.length > 2 ? parts[1] : parts.length === 2 ? parts[0] : "";
  return owner || "bedrock";
}

/**
 * `GET /models`: the models this deployment serves, default first, in OpenAI's list shape. `created` is 0: Bedrock
 * ids carry no creation time, and a made-up one would mislead clients that sort by it.
 */
export function listModels(models: readonly string[]): Middleware<AppState> {
  const body = {
    object: "list",
    data: models.map((id) => ({ id, object: "model", created: 0, owned_by: ownerOf(id) })),
  };
  return (ctx) => {
    ctx.body = body;
  };
}
