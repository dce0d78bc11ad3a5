import type { Middleware } from "koa";
import { fromBedrockError } from "../bedrock/bedrock-errors";
import { ApiError, ClientClosedError, fromHttpError, internalError } from "./errors";
import { endWithLine } from "../formats/ndjson/ndjson-response";
import type { AppState } from "./request-record";

/** Any thrown value -> the {@link ApiError} the client sees. Unknown errors become a bare 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return fromBedrockError(err) ?? fromHttpError(err) ?? internalError(err);
}

/**
 * The one error sink of the app. Before the response started: the error's status, headers and
 * `{"error":{"code","message"}}` body. After a stream started: the same object as the stream's final line.
 * After the client left: nothing (there is no one to tell). The record keeps the error for the log line.
 */
export function errorHandler(): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const apiError = toApiError(err);
      ctx.state.record.error = apiError;
      if (apiError instanceof ClientClosedError) {
        ctx.status = apiError.status;
        ctx.respond = false;
      } else if (ctx.res.headersSent) {
        endWithLine(ctx.res, apiError.toJSON());
      } else {
        ctx.status = apiError.status;
        ctx.set(apiError.headers);
        ctx.body = apiError.toJSON();
      }
    }
  };
}
