/**
 * Failures of a chat call, as one readable sentence each: the playground shows it, the terminal client prints it.
 * The message is built once here from the status, the error body (OpenAI's `{"error":{"message","type","code"}}`,
 * or API Gateway's own `{"message"}`) and `Retry-After`, so both clients say the same thing.
 */

/** What went wrong, for callers that react differently (e.g. exit codes, retry hints). */
export type ChatErrorKind =
  /** The endpoint could not be reached (refused, DNS, TLS, reset before any answer). */
  | "network"
  /** The key is missing or refused (401/403). */
  | "auth"
  /** 429: the request rate or a token budget is exhausted; `retryAfterSeconds` says when to come back. */
  | "rate_limit"
  /** The gateway or the model service behind it is down or failing (5xx, or an error frame mid-stream). */
  | "upstream"
  /** The request itself was refused (4xx other than the above). */
  | "request"
  /** The answer was not the stream we expected. */
  | "protocol";

export class ChatError extends Error {
  override name = "ChatError";
  constructor(
    message: string,
    readonly kind: ChatErrorKind,
    readonly details: { status?: number; code?: string; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }
}

interface ErrorBody {
  error?: { message?: unknown; code?: unknown; type?: unknown } | string;
  message?: unknown;
}

/** The error an HTTP answer other than 200 stands for; `bodyText` is its (possibly non-JSON) body. */
export function httpError(status: number, bodyText: string, retryAfter: string | null, now = Date.now()): ChatError {
  const { message, code } = readErrorBody(bodyText);
  const retryAfterSeconds = parseRetryAfter(retryAfter, now);
  const details = { status, code, retryAfterSeconds };
  const retry = retryAfterSeconds === undefined ? "" : ` Try again ${formatWait(retryAfterSeconds)}.`;
  const said = message ? `: ${message}` : "";
  if (code === "token_budget_exceeded") {
    return new ChatError(`Token budget exhausted${said}.${retry}`, "rate_limit", details);
  }
  if (status === 429) return new ChatError(`Too many requests (${code ?? status})${said}.${retry}`, "rate_limit", details);
  if (status === 401 || status === 403) {
    return new ChatError(`The API key was refused (${status}${code ? ` ${code}` : ""})${said}. Check the key.`, "auth", details);
  }
  if (status >= 500) {
    return new ChatError(`The model service is unavailable (${status}${code ? ` ${code}` : ""})${said}.${retry}`, "upstream", details);
  }
  return new ChatError(`Request refused (${status}${code ? ` ${code}` : ""})${said}.`, "request", details);
}

/** An error frame inside a stream that had started (status 200 already sent): the reply is cut short. */
export function streamError(payload: { message?: unknown; code?: unknown; type?: unknown }): ChatError {
  const code = text(payload.code) ?? text(payload.type);
  const message = text(payload.message) ?? "the stream ended with an error";
  const kind = code === "token_budget_exceeded" || code === "throttled" || code === "quota_exceeded" ? "rate_limit" : "upstream";
  return new ChatError(`The reply was cut short (${code ?? "error"}): ${message}.`, kind, { code });
}

function readErrorBody(bodyText: string): { message?: string; code?: string } {
  let body: ErrorBody;
  try {
    body = JSON.parse(bodyText) as ErrorBody;
  } catch {
    // A proxy's HTML error page says nothing useful; a short plain-text body might.
    const plain = bodyText.trim();
    return { message: plain && plain.length <= 200 && !plain.startsWith("<") ? plain : undefined };
  }
  if (typeof body?.error === "object" && body.error !== null) {
    return { message: text(body.error.message), code: text(body.error.code) ?? text(body.error.type) };
  }
  return { message: text(body?.error) ?? text(body?.message) };
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value.replace(/\.$/, "") : undefined;
}

/** `Retry-After` as seconds from now: either delay-seconds or an HTTP date (RFC 9110). */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** "in 5 s", "in 3 min", "in 2 h 5 min": how long to wait, readable at a glance. */
export function formatWait(seconds: number): string {
  if (seconds < 90) return `in ${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `in ${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return `in ${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ""}`;
}
