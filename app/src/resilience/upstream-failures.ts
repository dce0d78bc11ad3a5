import { fromBedrockError } from "../bedrock/bedrock-errors";
import { ApiError } from "../http/errors";

/**
 * Which failures of a call that has not started streaming are worth another attempt (on the same model, or on the
 * next one of its fallback chain), by the code bedrock-errors.ts maps them to: throttling and exhausted quotas,
 * unavailability, a model not ready yet, Bedrock's 5xx and a connection (HTTP/2 session) reset or silence. A 400,
 * an access or model-id misconfiguration and a model's own error are answered as they are: another attempt would
 * fail the same way.
 */
const RETRYABLE_CODES = new Set([
  "throttled",
  "quota_exceeded",
  "model_not_ready",
  "service_unavailable",
  "upstream_error",
  "model_timeout",
  "upstream_connection_error",
  "upstream_timeout",
]);

/** The codes that mean "this model has no capacity for us right now": what a model's circuit counts. */
const THROTTLE_CODES = new Set(["throttled", "quota_exceeded"]);

export interface FailureKind {
  /** The error as the request would report it. */
  error: unknown;
  retryable: boolean;
  throttled: boolean;
}

/** Classifies a failure of a call before its first event (an SDK error, or one already mapped). */
export function classifyFailure(err: unknown): FailureKind {
  const mapped = err instanceof ApiError ? err : fromBedrockError(err);
  const code = mapped?.code ?? "";
  return { error: err, retryable: RETRYABLE_CODES.has(code), throttled: THROTTLE_CODES.has(code) };
}

/** First wait before a retry, and the longest: full jitter on an exponential step (AWS's backoff advice). */
export const BACKOFF_BASE_MS = 100;
export const BACKOFF_CAP_MS = 1000;

/** The wait before attempt `attempt` (2, 3, ...) on one model: a random share of 100, 200, 400 ... ms, at most 1 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 2));
  return Math.floor(random() * ceiling);
}
