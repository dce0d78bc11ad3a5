import type { Middleware } from "koa";
import { fromBedrockError } from "../bedrock/bedrock-errors";
import { ApiError, ClientClosedError, fromHttpError, internalError } from "./errors";
import type { AppState, ErrorShape } from "./request-record";
import { endWith } from "./stream-response";

/** Any thrown value -> the {@link ApiError} the client sees. Unknown errors become a bare 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return fromBedrockError(err) ?? fromHttpError(err) ?? internalError(err);
}

/** The service's own error shape, for routes outside any wire format (and Node-level rejections). */
export const NATIVE_ERROR_SHAPE: ErrorShape = {
  errorBody: (error) => error.toJSON(),
  errorFrame: (error) => `${JSON.stringify(error.toJSON())}\n`,
};

/**
 * The one error sink of the app. Before the response started: the error's status, headers and the route's
 * format's error body. After a stream started: that format's error frame, as the stream's last.
 * After the client left: nothing (there is no one to tell). The record keeps the error for the log line.
 */
export function errorHandler(): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const apiError = toApiError(err);
      const shape = ctx.state.errorShape ?? NATIVE_ERROR_SHAPE;
      ctx.state.record.error = apiError;
      if (apiError instanceof ClientClosedError) {
        ctx.status = apiError.status;
        ctx.respond = false;
      } else if (ctx.res.headersSent) {
        endWith(ctx.res, shape.errorFrame(apiError));
      } else {
        ctx.status = apiError.status;
        ctx.set(apiError.headers);
        ctx.body = shape.errorBody(apiError);
      }
    }
  };
}
