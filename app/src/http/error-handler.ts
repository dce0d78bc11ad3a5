import type { Context, Middleware } from "koa";
import type { Logger } from "pino";
import { fromBedrockError } from "../bedrock/bedrock-errors";
import { answerBeforeBodyEnds, bodyDeadline } from "./body-arrival";
import { answeredAtEdge } from "./edge";
import { ApiError, ClientClosedError, fromHttpError, fromRequestBodyError, internalError } from "./errors";
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
 * What a failure of this request was: the edge's answer when Node's parser or request timeout already answered it;
 * the client's fault when it happened while the body was still arriving (the client left, sent a corrupt compressed
 * body); otherwise the thrown error's own meaning.
 */
function classify(ctx: Context, err: unknown): ApiError {
  const atEdge = answeredAtEdge.get(ctx.res);
  if (atEdge) return atEdge;
  if (err instanceof ApiError) return err;
  const bodyError = fromRequestBodyError(err);
  if (bodyError) return bodyError;
  if (!ctx.req.complete && (ctx.req.destroyed || ctx.req.socket.destroyed)) return new ClientClosedError();
  return toApiError(err);
}

/**
 * The one error sink of the app. Before the response started: the error's status, headers and the route's
 * format's error body (for a body still arriving, its end waits until the rest is read and dropped:
 * body-arrival.ts). After a stream started: that format's error frame, as the stream's last. After the client left,
 * or when the server's edge already answered: nothing more. The record keeps the error for the log line.
 */
export function errorHandler(bodyReadTimeoutMs: number): Middleware<AppState> {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const apiError = classify(ctx, err);
      const shape = ctx.state.errorShape ?? NATIVE_ERROR_SHAPE;
      ctx.state.record.error = apiError;
      if (apiError instanceof ClientClosedError || answeredAtEdge.has(ctx.res)) {
        ctx.status = apiError.status;
        ctx.respond = false;
      } else if (ctx.res.headersSent) {
        endWith(ctx.res, shape.errorFrame(apiError));
      } else {
        ctx.status = apiError.status;
        ctx.set(apiError.headers);
        if (ctx.req.complete) ctx.body = shape.errorBody(apiError);
        else answerBeforeBodyEnds(ctx, shape.errorBody(apiError), bodyDeadline(ctx.state, bodyReadTimeoutMs));
      }
    }
  };
}

/** Socket errors that only mean the client went away: routine, already reported by the request's own line. */
const DISCONNECT_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "ERR_STREAM_DESTROYED"]);

/**
 * Koa's `error` event, which only sees failures of Koa's own response writing (the sink handles everything else).
 * A client that disconnects mid-response is routine (its request line says `client_closed`), so it adds nothing;
 * anything else is a bug worth an error line.
 */
export function responseErrorLogger(logger: Logger): (err: Error & { code?: unknown }) => void {
  return (err) => {
    if (typeof err.code === "string" && DISCONNECT_CODES.has(err.code)) return;
    logger.error({ err }, "unhandled error while responding");
  };
}
