import type { ApiError } from "../../http/errors";
import { sseEvent } from "./stream-writer";

/**
 * Errors in OpenAI's shape `{"error":{"message","type","param","code"}}`. The status stays the service's own
 * (429 with Retry-After, 400, 502/503/504), so the official clients raise the class that goes with it
 * (BadRequestError, NotFoundError, RateLimitError, InternalServerError); `type` follows OpenAI's names per status.
 */
export function openAiErrorType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export function openAiErrorBody(error: ApiError): { error: { message: string; type: string; param: string | null; code: string } } {
  return { error: { message: error.message, type: openAiErrorType(error.status), param: error.param ?? null, code: error.code } };
}

/** After the stream started: one `data: {"error":...}` event (the clients raise it); the stream then ends without `[DONE]`. */
export function openAiErrorFrame(error: ApiError): string {
  return sseEvent(JSON.stringify(openAiErrorBody(error)));
}
