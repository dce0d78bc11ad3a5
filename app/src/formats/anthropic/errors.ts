import type { ApiError } from "../../http/errors";
import type { ErrorShape } from "../../http/request-record";
import { sseFrame } from "./sse";

/**
 * Anthropic's error `type` for an HTTP status (docs: "Errors"). The status itself stays the one every format
 * answers with; only the body speaks Anthropic, so the SDKs raise their class per status (`RateLimitError` for 429,
 * `InternalServerError` for 5xx, ...) and read `error.type` as they would from the real API.
 */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    // 503 is capacity the caller should wait out (model not ready, service unavailable, shutting down): Anthropic's
    // own word for that is overloaded (its status 529).
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/** `{"type":"error","error":{"type","message"}}`, as a body and as the stream's `event: error` frame. */
export function anthropicErrorBody(error: ApiError): { type: "error"; error: { type: string; message: string } } {
  return { type: "error", error: { type: anthropicErrorType(error.status), message: error.message } };
}

export const ANTHROPIC_ERROR_SHAPE: ErrorShape = {
  errorBody: anthropicErrorBody,
  errorFrame: (error) => sseFrame("error", anthropicErrorBody(error)),
};
