import type { Middleware } from "koa";
import { type ModelKind, modelNotFound } from "../model-kinds";
import type { AppState } from "../../http/request-record";
import { modelInfo } from "../../models";
import type { Caller } from "../../usage/keys";
import { mayCall, modelsFor } from "../../usage/model-access";

/** `global.anthropic.claude-...` -> `anthropic`: the provider part of a model or inference-profile id. */
export function ownerOf(modelId: string): string {
  const parts = modelId.split(".");
  const owner = parts.length > 2 ? parts[1] : parts.length === 2 ? parts[0] : "";
  return owner || "bedrock";
}

/**
 * OpenAI's model object, plus `kind` (`chat` or `embedding`: which routes take it) and, from the model catalog, its
 * `context_window` and a chat model's `max_output_tokens` (clients ignore fields they do not know). `created` is 0:
 * Bedrock ids carry no creation time, and a made-up one would mislead clients that sort by it.
 */
export interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  kind: ModelKind;
  context_window: number;
  max_output_tokens?: number;
}

function modelObject(id: string, kind: ModelKind): ModelObject {
  const info = modelInfo(id);
  const limits = kind === "chat" ? { max_output_tokens: info.maxOutputTokens } : {};
  return { id, object: "model", created: 0, owned_by: ownerOf(id), kind, context_window: info.contextWindow, ...limits };
}

export interface ServedModelLists {
  /** The chat models, the default first. */
  chat: readonly string[];
  embedding: readonly string[];
}

function modelObjects(models: ServedModelLists): Map<string, ModelObject> {
  const entry = (kind: ModelKind) => (id: string): [string, ModelObject] => [id, modelObject(id, kind)];
  // A model listed as both is served as chat (the chat routes take it); it is shown once.
  return new Map([...models.embedding.map(entry("embedding")), ...models.chat.map(entry("chat"))]);
}

/** Who is asking (a key with `models` sees only the models it may call). */
export type CallerOf = (ctx: Parameters<Middleware<AppState>>[0]) => Caller;

/** `GET /models`: the models the caller may call, chat models first (the default first), in OpenAI's list shape. */
export function listModels(models: ServedModelLists, callerOf: CallerOf): Middleware<AppState> {
  const objects = modelObjects(models);
  const ordered = [...new Set([...models.chat, ...models.embedding])];
  // The same filter as Anthropic's `/v1/models` (anthropic/models.ts).
  return (ctx) => {
    ctx.body = { object: "list", data: modelsFor(callerOf(ctx), ordered).map((id) => objects.get(id)!) };
  };
}

/** `GET /models/{id}`: one model object, or a 404 `model_not_found` in OpenAI's error shape (also for a model the key may not call: it is not in its list). */
export function retrieveModel(models: ServedModelLists, callerOf: CallerOf): Middleware<AppState> {
  const objects = modelObjects(models);
  return (ctx) => {
    const id = String(ctx.params.id ?? "");
    const found = objects.get(id);
    if (!found || !mayCall(callerOf(ctx), id)) modelNotFound(id);
    ctx.body = found;
  };
}
