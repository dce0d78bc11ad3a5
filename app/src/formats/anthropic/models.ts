import type { Middleware } from "koa";
import { ApiError } from "../../http/errors";
import type { AppState } from "../../http/request-record";
import { type ModelInfo, modelInfo, type ResolutionContext, resolveModel } from "../../models";
import { modelsFor } from "../../usage/model-access";
import { modelNotFound } from "../model-kinds";
import type { CallerOf } from "../openai/models";

/**
 * Anthropic's Models API (`GET /v1/models`, `GET /v1/models/{id}`) over the served chat models: the same list and the
 * same per-key filter (`modelsFor`) as OpenAI's `/models`, in Anthropic's shapes. Embedding models are not listed:
 * nothing on Anthropic's routes takes them.
 */

/** Anthropic's `ModelInfo`, the fields the gateway can state truthfully. */
export interface AnthropicModelInfo {
  type: "model";
  id: string;
  display_name: string;
  /** Bedrock IDs carry no release date: the epoch, as Anthropic's docs allow for an unknown date. */
  created_at: string;
  /** From the model catalog; null for a model the catalog does not know (its defaults are guesses, not facts). */
  max_input_tokens: number | null;
  max_tokens: number | null;
}

const UNKNOWN_RELEASE = "1970-01-01T00:00:00Z";
/** Anthropic's own bounds for `limit`. */
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 1000;

/** `claude-sonnet` 4.6 -> `Claude Sonnet 4.6`; a model the catalog does not know is shown by its ID. */
function displayName(id: string, info: ModelInfo): string {
  if (!info.known) return id;
  const family = info.family.split("-").map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(" ");
  return info.generation ? `${family} ${info.generation}` : family;
}

export function anthropicModelInfo(id: string): AnthropicModelInfo {
  const info = modelInfo(id);
  return {
    type: "model", id, display_name: displayName(id, info), created_at: UNKNOWN_RELEASE,
    max_input_tokens: info.known ? info.contextWindow : null,
    max_tokens: info.known ? info.maxOutputTokens : null,
  };
}

const invalid = (param: string, message: string) => new ApiError(400, "invalid_request_error", `${param}: ${message}`, { param });

/** One query parameter as a string; a repeated one is refused (it would be ambiguous which one paginates). */
function single(query: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw invalid(name, "give it once");
  return value === undefined || value === "" ? undefined : value;
}

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) {
    throw invalid("limit", `an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

/** Where a cursor ID stands in the list; an ID not in it is a 400, never a silently different page. */
function indexOf(ids: readonly string[], cursor: string, name: string): number {
  const index = ids.indexOf(cursor);
  if (index < 0) throw invalid(name, `"${cursor.slice(0, 200)}" is not in the list`);
  return index;
}

/**
 * One page of `ids` by Anthropic's cursor rules: `after_id` -> the `limit` after it, `before_id` -> the `limit`
 * before it, `has_more` saying whether more lie in that direction (the SDK's page iterator follows it).
 */
export function modelsPage(ids: readonly string[], query: Record<string, string | string[] | undefined>) {
  const limit = limitOf(single(query, "limit"));
  const after = single(query, "after_id");
  const before = single(query, "before_id");
  if (after !== undefined && before !== undefined) {
    throw invalid("before_id", "give before_id or after_id, not both");
  }
  let start = after === undefined ? 0 : indexOf(ids, after, "after_id") + 1;
  let end = start + limit;
  if (before !== undefined) {
    end = indexOf(ids, before, "before_id");
    start = Math.max(0, end - limit);
  }
  const data = ids.slice(start, end).map(anthropicModelInfo);
  return {
    data,
    has_more: before === undefined ? end < ids.length : start > 0,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
  };
}

/**
 * `GET /v1/models`: the served chat models the caller may call, the default first (the order `/models` uses; Anthropic
 * sorts newest first, which Bedrock IDs cannot tell). `lifecycle` is accepted and ignored: every served model is active.
 */
export function listAnthropicModels(served: readonly string[], callerOf: CallerOf): Middleware<AppState> {
  return (ctx) => {
    ctx.body = modelsPage(modelsFor(callerOf(ctx), served), ctx.query);
  };
}

/**
 * `GET /v1/models/{id}`: a served ID, or a name `/v1/messages` would take (an alias, `claude-sonnet-4-6`, `opus`),
 * resolved as messages resolve it and answered with the served model's ID (Anthropic's retrieve also resolves
 * aliases). Unlike messages, a name that resolves to nothing is a 404, never the default model: the caller asked
 * whether that model exists. Only models the key may call count, so a 404 lists only those.
 */
export function retrieveAnthropicModel(resolution: ResolutionContext, callerOf: CallerOf): Middleware<AppState> {
  return (ctx) => {
    const requested = String(ctx.params.id ?? "");
    const visible = modelsFor(callerOf(ctx), resolution.served);
    if (visible.length === 0) modelNotFound(requested);
    ctx.body = anthropicModelInfo(resolveModel(requested, { ...resolution, served: visible, strict: true }));
  };
}
