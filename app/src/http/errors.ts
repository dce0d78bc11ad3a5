import { STATUS_CODES } from "node:http";

/**
 * The one error vocabulary of the API: every failure a client can see is an {@link ApiError} with an HTTP status
 * (used when headers are not sent yet), a stable snake_case `code` and a human message that never carries a stack
 * trace, upstream internals or prompt text.
 */
export type LogLevel = "info" | "warn" | "error";

export interface ApiErrorOptions {
  headers?: Record<string, string>;
  /** How loudly the request log line reports it: `error` means an operator has to act (e.g. IAM, model id). */
  logLevel?: LogLevel;
  cause?: unknown;
  /** The request field at fault, for formats whose error body names it (OpenAI's `param`). */
  param?: string;
  /** Bedrock's request id for the call that failed, so the log line can be matched with AWS support's. */
  upstreamRequestId?: string;
}

export class ApiError extends Error {
  override name = "ApiError";
  readonly headers: Record<string, string>;
  readonly logLevel: LogLevel;
  readonly param?: string;
  readonly upstreamRequestId?: string;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options: ApiErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.headers = options.headers ?? {};
    this.logLevel = options.logLevel ?? (status >= 500 ? "error" : "info");
    this.param = options.param;
    this.upstreamRequestId = options.upstreamRequestId;
  }

  /** The JSON body (or final stream line) clients receive. */
  toJSON(): { error: { code: string; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

/** The client went away; nothing can be sent any more. 499 is the de-facto "client closed request" log status. */
export class ClientClosedError extends ApiError {
  constructor() {
    super(499, "client_closed", "The client closed the connection", { logLevel: "info" });
  }
}

/** The request (headers and body) did not arrive in time: Node's `requestTimeout`, or the body's own deadline. */
export function requestTimeoutError(): ApiError {
  return new ApiError(408, "request_timeout", "The request was not received completely in time", { logLevel: "warn" });
}

/** Bedrock went silent for longer than the configured idle timeout (before accepting, or between events). */
export class UpstreamIdleTimeoutError extends ApiError {
  constructor(idleMs: number) {
    super(504, "upstream_timeout", `The model service sent nothing for ${idleMs} ms`, { logLevel: "warn" });
  }
}

/** The server is stopping and the shutdown grace period ran out before this request finished. */
export class ShuttingDownError extends ApiError {
  constructor() {
    super(503, "shutting_down", "The server is shutting down; retry the request", {
      headers: { "Retry-After": "1", Connection: "close" },
      logLevel: "warn",
    });
  }
}

/**
 * The upstream stream ended without `messageStop`: the reply is truncated, so say so. The SDK ends its loop quietly
 * when the connection to Bedrock is reset, so this is how a reset usually shows; it shares the reset's code.
 */
export class UpstreamIncompleteError extends ApiError {
  constructor() {
    super(502, "upstream_connection_error", "The connection to the model service ended before the reply was complete", {
      logLevel: "warn",
    });
  }
}

/** `Not Found` -> `not_found`: codes for plain HTTP errors derive from the standard reason phrase. */
export function codeForStatus(status: number): string {
  return (STATUS_CODES[status] ?? "error")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");
}

interface HttpErrorLike {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  limit?: unknown;
  headers?: unknown;
  message?: unknown;
}

/**
 * Maps errors thrown by Koa's ecosystem (`http-errors` from the body parser and router) to {@link ApiError}.
 * Returns undefined for anything that is not a client (4xx) error, which the caller treats as a server fault.
 */
export function fromHttpError(err: unknown): ApiError | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const candidate = err as HttpErrorLike;
  const status = Number(candidate.status ?? candidate.statusCode);
  if (!Number.isInteger(status) || status < 400 || status > 499) return undefined;
  const headers = isStringRecord(candidate.headers) ? candidate.headers : undefined;
  if (status === 413) {
    const limit = Number(candidate.limit);
    const detail = Number.isFinite(limit) ? ` of ${limit} bytes` : "";
    return new ApiError(413, "payload_too_large", `The request body exceeds the limit${detail}`, { headers });
  }
  if (status === 400 && (err instanceof SyntaxError || candidate.type === "entity.parse.failed")) {
    // The parser's own message quotes the body, i.e. the prompt: never echo or log it.
    return new ApiError(400, "invalid_json", "The request body is not valid JSON (an object is expected)");
  }
  const message = candidate.expose === true && typeof candidate.message === "string" ? candidate.message : undefined;
  return new ApiError(status, codeForStatus(status), message ?? STATUS_CODES[status] ?? "Bad request", { headers });
}

/** zlib's and brotli's error codes: a compressed body that does not decompress. */
const DECOMPRESSION_CODE = /^Z_|BROTLI|^ERR__ERROR_FORMAT/;

/**
 * Failures of reading the request body that are the client's doing and that no other mapping recognises: a corrupt
 * or truncated compressed body (400, not a 500 of ours), or a client that left while uploading (the body reader's
 * "request aborted", which carries a transport-like code that must not read as an upstream failure).
 */
export function fromRequestBodyError(err: unknown): ApiError | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const { code, type } = err as { code?: unknown; type?: unknown };
  if (typeof code === "string" && DECOMPRESSION_CODE.test(code)) {
    return new ApiError(400, "bad_request", "The request body could not be decompressed (check Content-Encoding)");
  }
  if (type === "request.aborted") return new ClientClosedError();
  return undefined;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === "object" && value !== null && Object.values(value).every((item) => typeof item === "string")
  );
}

/** Anything unexpected: a bug of ours. The client learns nothing about it; the log line carries the details. */
export function internalError(cause: unknown): ApiError {
  return new ApiError(500, "internal_error", "Internal server error", { cause, logLevel: "error" });
}
