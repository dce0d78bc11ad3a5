import { ApiError } from "../http/errors";
import { ANONYMOUS, type ApiKeys, type KeyLimits } from "./key-schema";

export { ANONYMOUS, type ApiKeys, type KeyLimits } from "./key-schema";

/**
 * Who is calling. API Gateway validates the caller's `x-api-key` and the integrations map the key's *id*
 * (`$context.identity.apiKeyId`, never its value) into a header, overwriting anything a client sent; the app maps
 * that id to the key's configured name and token limits, which the Pulumi program writes into the task's
 * environment (`API_KEYS`) from the key resources' ids. Logs, metrics and the usage table only ever see the name.
 */

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
