import { parseModelId } from "../bedrock/model-ids";
import { ApiError } from "../http/errors";
import { patternRegExp } from "../models/catalog";
import type { ResolutionContext } from "../models/resolve";
import type { Caller } from "./keys";

/**
 * Per-key model access: a key's `models` (key-schema.ts) are ID patterns (`*` matches anything). They are checked on
 * the served model a request resolves to (after aliases and Claude names), never on the name the client sent, so an
 * alias cannot reach a model the key may not call; the same check drops such models from the fallback chain. A
 * pattern matches the served ID as written (`global.anthropic.claude-haiku-*`, which names the route too) or its
 * foundation model without the profile prefix (`anthropic.claude-haiku-4-5*`, any route). A key without `models` may
 * call every served model.
 */

/** Whether `caller` may call the served model `modelId`. */
export function mayCall(caller: { readonly models?: readonly string[] }, modelId: string): boolean {
  if (!caller.models) return true;
  const foundation = parseModelId(modelId).foundationModelId;
  return caller.models.some((pattern) => patternRegExp(pattern).test(modelId) || patternRegExp(pattern).test(foundation));
}

/** The models of `models` the caller may call, in their order. */
export function modelsFor(caller: Caller, models: readonly string[]): string[] {
  return caller.models ? models.filter((id) => mayCall(caller, id)) : [...models];
}

/**
 * The resolution context as the caller sees it: the key's default is the first served model it may call, so a
 * request naming no model (or, without `strictModels`, a name that resolves to nothing) goes to a model the key may
 * call instead of being refused for a choice the client never made.
 */
export function contextFor(caller: Caller, ctx: ResolutionContext): ResolutionContext {
  if (!caller.models || mayCall(caller, ctx.served[0])) return ctx;
  const first = ctx.served.find((id) => mayCall(caller, id));
  return first === undefined ? ctx : { ...ctx, served: [first, ...ctx.served.filter((id) => id !== first)] };
}

/**
 * Throws 403 `model_not_allowed` unless the caller may call `modelId`. The message names the model and the caller's
 * own patterns (a key learns nothing about other keys).
 */
export function requireAccess(caller: Caller, modelId: string): void {
  if (mayCall(caller, modelId)) return;
  throw new ApiError(
    403,
    "model_not_allowed",
    `This API key may not call the model "${modelId}"; it may call models matching: ${caller.models!.join(", ")}`,
    { param: "model" },
  );
}
