import * as z from "zod";
import { ApiError } from "../http/errors";

/**
 * Who is calling. API Gateway validates the caller's `x-api-key` and the integrations map the key's *id*
 * (`$context.identity.apiKeyId`, never its value) into a header, overwriting anything a client sent; the app maps
 * that id to the key's configured name and token limits, which the Pulumi program writes into the task's
 * environment (`API_KEYS`) from the key resources' ids. Logs, metrics and the usage table only ever see the name.
 */

/** Key names: what logs, metrics dimensions and table items carry. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The name requests are metered under when no API key was involved (the API open with `apiKeyRequired=false`). */
export const ANONYMOUS = "anonymous";

const tokenLimit = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const keyLimitsSchema = z
  .object({
    name: z.string().regex(KEY_NAME, "must be 1-64 letters, digits, '.', '_' or '-'"),
    tokensPerDay: tokenLimit.optional(),
    tokensPerMonth: tokenLimit.optional(),
  })
  .strict();

/** `API_KEYS`: API Gateway key id -> the key's name and limits. */
export const apiKeysSchema = z
  .record(z.string().regex(/^[\w-]{1,128}$/, "must be an API Gateway key id"), keyLimitsSchema)
  .refine((keys) => {
    const names = Object.values(keys).map((key) => key.name);
    return new Set(names).size === names.length && !names.includes(ANONYMOUS);
  }, `key names must be unique and not "${ANONYMOUS}"`);

export type KeyLimits = z.output<typeof keyLimitsSchema>;
export type ApiKeys = z.output<typeof apiKeysSchema>;

/** The caller of one request: a configured key (with its limits), or the anonymous caller (no limits). */
export type Caller = KeyLimits;

/**
 * Resolves the key-id header to the caller. No id means no key was involved (an open API, or local mode without the
 * header): the anonymous caller. An id this deployment does not know is refused rather than metered under a guess:
 * it means a key was attached to the API outside this stack's configuration.
 */
export function identify(keys: ApiKeys, keyId: string | undefined): Caller {
  if (!keyId) return { name: ANONYMOUS };
  const key = Object.hasOwn(keys, keyId) ? keys[keyId] : undefined;
  if (!key) throw new ApiError(403, "unknown_api_key", "The API key is not configured for this deployment");
  return key;
}
