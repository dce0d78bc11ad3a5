import { ApiError } from "../http/errors";
import { BUDGET_EXCEEDED_CODE, SPEND_BUDGET_EXCEEDED_CODE } from "../metrics/service-metrics";
import { secondsUntil, type UsageWindow } from "./windows";

/**
 * What a caller over one of its key's limits gets: a 429 the error sink writes in the route's format (OpenAI and
 * Anthropic `rate_limit_error`, so their SDKs raise `RateLimitError`) with `Retry-After`; and the 503 of a store
 * that cannot be reached under the `refuse` policy.
 */

const BUDGET_NAMES = { minute: "per-minute", day: "daily", month: "monthly" } as const;

/** A token budget (`usd` undefined) or a dollar budget used up in `window`, until the window resets. */
export function budgetExceeded(window: UsageWindow, now: Date, usd?: number): ApiError {
  const budget = BUDGET_NAMES[window.kind];
  const resets = `it resets at ${window.resetsAt.toISOString()}`;
  return new ApiError(
    429,
    usd === undefined ? BUDGET_EXCEEDED_CODE : SPEND_BUDGET_EXCEEDED_CODE,
    usd === undefined
      ? `This API key has used its ${budget} token budget; ${resets}`
      : `This API key has used its ${budget} budget of $${usd}; ${resets}`,
    { headers: { "Retry-After": String(secondsUntil(window.resetsAt, now)) } },
  );
}

/** The code of a refusal for a key at its `maxConcurrentStreams`. */
export const CONCURRENCY_LIMIT_CODE = "concurrency_limit_exceeded";
/** When to try again: a stream's end cannot be foreseen, and agents' streams are often short. */
const CONCURRENCY_RETRY_AFTER_S = 1;

export function concurrencyLimitReached(limit: number): ApiError {
  return new ApiError(
    429,
    CONCURRENCY_LIMIT_CODE,
    `This API key already has its limit of ${limit} stream(s) in flight; retry when one has ended`,
    { headers: { "Retry-After": String(CONCURRENCY_RETRY_AFTER_S) } },
  );
}

/** The usage store could not be reached (budgets' and leases' `refuse` policy, `GET /usage`): `message` says what failed. */
export function storeUnavailable(message: string, cause: unknown): ApiError {
  return new ApiError(503, "usage_store_unavailable", `${message}; retry shortly`, {
    headers: { "Retry-After": "5" },
    logLevel: "error",
    cause,
  });
}
