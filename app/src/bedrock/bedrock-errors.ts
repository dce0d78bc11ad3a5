import { ApiError, type LogLevel } from "../http/errors";

/**
 * How Bedrock's failures reach our clients. The same table serves both phases: before the stream starts the
 * `status` becomes the HTTP status; after it started only `code` and `message` go into the final error line.
 *
 * Choices (documented in docs/ndjson.md, Errors):
 * - 400 only for ValidationException: the one upstream error the caller can fix by changing its request.
 * - 429 + Retry-After for rate and quota limits; 503 + Retry-After for capacity the caller should wait out.
 * - 502 for everything that is the server's or the model's fault. Access denied, unknown model and rejected
 *   credentials mean the deployment is misconfigured (IAM policy, MODEL_ID, region): logged at error level.
 * - 504 when the model (or, see {@link UpstreamIdleTimeoutError}, the connection) is too slow.
 */
interface UpstreamRule {
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
  logLevel: LogLevel;
  /** Pass Bedrock's own message through: only where it helps the caller fix the request. */
  exposeUpstreamMessage?: boolean;
}

const MISCONFIGURED: UpstreamRule = {
  status: 502,
  code: "upstream_misconfigured",
  message: "The service cannot use the model: server misconfiguration (operators: check IAM, MODEL_ID and region)",
  logLevel: "error",
};

export const BEDROCK_ERROR_TABLE: Readonly<Record<string, UpstreamRule>> = {
  ValidationException: {
    status: 400,
    code: "invalid_request",
    message: "The model rejected the request",
    logLevel: "warn",
    exposeUpstreamMessage: true,
  },
  ThrottlingException: {
    status: 429,
    code: "throttled",
    message: "Too many requests to the model; retry later",
    retryAfterSeconds: 5,
    logLevel: "warn",
  },
  ServiceQuotaExceededException: {
    status: 429,
    code: "quota_exceeded",
    message: "The model usage quota is exhausted; retry later",
    retryAfterSeconds: 60,
    logLevel: "warn",
  },
  ModelNotReadyException: {
    status: 503,
    code: "model_not_ready",
    message: "The model is not ready yet; retry shortly",
    retryAfterSeconds: 5,
    logLevel: "warn",
  },
  ServiceUnavailableException: {
    status: 503,
    code: "service_unavailable",
    message: "The model service is temporarily unavailable; retry shortly",
    retryAfterSeconds: 5,
    logLevel: "warn",
  },
  ModelTimeoutException: { status: 504, code: "model_timeout", message: "The model took too long", logLevel: "warn" },
  AccessDeniedException: MISCONFIGURED,
  ResourceNotFoundException: MISCONFIGURED,
  UnrecognizedClientException: MISCONFIGURED,
  InvalidSignatureException: MISCONFIGURED,
  ExpiredTokenException: MISCONFIGURED,
  CredentialsProviderError: MISCONFIGURED,
  ModelErrorException: { status: 502, code: "model_error", message: "The model failed to process the request", logLevel: "warn" },
  ModelStreamErrorException: { status: 502, code: "model_stream_error", message: "The model stream failed", logLevel: "warn" },
  InternalServerException: { status: 502, code: "upstream_error", message: "The model service failed", logLevel: "error" },
};

/** Any other error Bedrock itself reported (it has `$fault`). */
const UNKNOWN_UPSTREAM: UpstreamRule = {
  status: 502,
  code: "upstream_error",
  message: "The model service failed",
  logLevel: "error",
};

/** The connection to Bedrock failed: refused, reset, truncated frames, HTTP/2 stream errors. */
const CONNECTION_FAILED: UpstreamRule = {
  status: 502,
  code: "upstream_connection_error",
  message: "The connection to the model service failed",
  logLevel: "warn",
};

/**
 * Bedrock answers a wrong or unusable MODEL_ID (a typo, a model that needs an inference profile, a profile not
 * offered here) with a ValidationException, not ResourceNotFound. That is the deployment's fault, not the caller's:
 * a 400 would blame every client and alert nobody, so these become the misconfiguration 502 at error level.
 */
const MODEL_ID_REJECTED = /model identifier is invalid|on-demand throughput|inference profile/i;

/**
 * The SDK's own request timeout (a connection that never answers): as slow as a model timeout, so 504. Only when
 * one of its timers fired: the SDK also names the failure of a request whose HTTP/2 session was destroyed (a reset
 * connection) "TimeoutError", which is a connection failure.
 */
const SDK_TIMEOUT: UpstreamRule = {
  status: 504,
  code: "upstream_timeout",
  message: "The model service did not answer in time",
  logLevel: "warn",
};

/**
 * An answer the SDK could not read: a truncated body, or a proxy's HTML error page instead of Bedrock's JSON (the
 * SDK throws a SyntaxError "Deserialization error"; when several calls fail on one shared error it throws "Cannot
 * redefine property: $response" instead). Its HTTP status still says what happened: 429, 503 and 504 mean what
 * they always mean; anything else is the upstream's failure.
 */
const UNREADABLE_ANSWER = /Deserialization error|Cannot redefine property: \$response/;
const UNREADABLE: UpstreamRule = {
  status: 502,
  code: "upstream_error",
  message: "The model service sent an answer that could not be read",
  logLevel: "warn",
};

function unreadableRule(err: Error & { $metadata?: { httpStatusCode?: unknown } }): UpstreamRule {
  const status = err.$metadata?.httpStatusCode;
  if (status === 429) return BEDROCK_ERROR_TABLE.ThrottlingException;
  if (status === 503) return BEDROCK_ERROR_TABLE.ServiceUnavailableException;
  if (status === 504) return SDK_TIMEOUT;
  return UNREADABLE;
}

const TIMER_FIRED = /timed out/i;
const TRANSPORT_CODE = /^(E[A-Z]+$|ERR_HTTP2_|ERR_STREAM_PREMATURE_CLOSE$)/;
const TRANSPORT_MESSAGE = /Truncated event message|HTTP\/2 stream|socket hang up|did not get a response/i;

function isTransportError(err: Error & { code?: unknown }): boolean {
  if (typeof err.code === "string" && TRANSPORT_CODE.test(err.code)) return true;
  return TRANSPORT_MESSAGE.test(err.message);
}

function ruleFor(err: Error & { $fault?: unknown; code?: unknown }): UpstreamRule | undefined {
  if (err.name === "ValidationException" && MODEL_ID_REJECTED.test(err.message)) return MISCONFIGURED;
  if (err.name === "TimeoutError" && TIMER_FIRED.test(err.message)) return SDK_TIMEOUT;
  if (UNREADABLE_ANSWER.test(err.message)) return unreadableRule(err);
  const known = BEDROCK_ERROR_TABLE[err.name];
  if (known) return known;
  if (err.$fault === "client" || err.$fault === "server") return UNKNOWN_UPSTREAM;
  if (isTransportError(err)) return CONNECTION_FAILED;
  return undefined;
}

/**
 * Maps an error from the SDK (`send()` or the `for await` loop) to an {@link ApiError}; undefined when it is not
 * a Bedrock or transport failure (then it is our own bug and the caller reports an internal error).
 * `upstreamRequestId` is Bedrock's id for the call, when known, for the log line.
 */
export function fromBedrockError(err: unknown, upstreamRequestId?: string): ApiError | undefined {
  if (!(err instanceof Error)) return undefined;
  const rule = ruleFor(err);
  if (!rule) return undefined;
  return apiErrorFor(rule, err, upstreamRequestId);
}

type SdkError = Error & { $metadata?: { requestId?: unknown }; $response?: { headers?: Record<string, unknown> } };

/**
 * Bedrock's request id as the SDK attached it to its error. An exception that is the stream's first message is
 * thrown while `send()` reads that message, with no id in its `$metadata`: the response it came in has it.
 */
function ownRequestId(err: SdkError): string | undefined {
  const id = err.$metadata?.requestId ?? err.$response?.headers?.["x-amzn-requestid"];
  return typeof id === "string" ? id : undefined;
}

function apiErrorFor(rule: UpstreamRule, err: SdkError, upstreamRequestId?: string): ApiError {
  const upstreamMessage = rule.exposeUpstreamMessage && err.message ? `: ${err.message}` : "";
  return new ApiError(rule.status, rule.code, `${rule.message}${upstreamMessage}`, {
    headers: rule.retryAfterSeconds === undefined ? undefined : { "Retry-After": String(rule.retryAfterSeconds) },
    logLevel: rule.logLevel,
    cause: err,
    upstreamRequestId: ownRequestId(err) ?? upstreamRequestId,
  });
}

/** An answer Bedrock sent that says nothing usable (e.g. a CountTokens answer without a count). */
export function unreadableAnswer(what: string): ApiError {
  return apiErrorFor(UNREADABLE, new Error(what));
}

/**
 * A failure while reading Bedrock's event stream. Besides the errors {@link fromBedrockError} knows, the SDK throws
 * plain errors for frames it cannot decode (bad checksum, a payload that is not JSON, an unknown exception type, a
 * `:message-type: error` frame): those are the upstream's fault, never a bug of ours.
 */
export function fromStreamError(err: unknown, upstreamRequestId?: string): ApiError {
  if (err instanceof ApiError) return err;
  const cause = err instanceof Error ? err : new Error(String(err));
  return fromBedrockError(cause, upstreamRequestId) ?? apiErrorFor(UNKNOWN_UPSTREAM, cause, upstreamRequestId);
}
