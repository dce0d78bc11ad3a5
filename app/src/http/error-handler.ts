import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Middleware } from "koa";
import type { Logger } from "pino";
import { fromBedrockError } from "../bedrock/bedrock-errors";
import { answeredAtEdge } from "./edge";
import { ApiError, ClientClosedError, fromHttpError, fromRequestBodyError, internalError } from "./errors";
import type { AppState, ErrorShape } from "./request-record";
import { endWith } from "./stream-response";
import { MAX_GATEWAY_BODY_BYTES } from "../runtime-contract";

/**
 * Reading (and discarding) up to this much of a rejected body keeps its connection usable: the ALB reuses target
 * connections across clients, and closing one while the client still uploads resets it before the client has read
 * its answer. Anything API Gateway can deliver is drained (reading and dropping 10 MB costs milliseconds); only a
 * larger body, which can only come from inside the VPC, closes the connection instead.
 */
const MAX_DISCARDED_BODY_BYTES = MAX_GATEWAY_BODY_BYTES;

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
 * A rejected request whose body is still arriving (e.g. a chunked upload over the limit): the body must be read to
 * its end or the next request on this kept-alive connection is never parsed and hangs. A bounded remainder is
 * discarded; a larger declared one closes the connection after the answer, and a chunked one that turns out larger
 * is cut once the bound is passed (its answer is already out).
 */
function discardRestOfBody(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete) return;
  if (Number(req.headers["content-length"]) > MAX_DISCARDED_BODY_BYTES) res.setHeader("Connection", "close");
  let discarded = 0;
  req.on("data", (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > MAX_DISCARDED_BODY_BYTES) req.socket.destroy();
  });
  req.resume();
}

/**
 * The one error sink of the app. Before the response started: the error's status, headers and the route's
 * format's error body. After a stream started: that format's error frame, as the stream's last. After the client
 * left, or when the server's edge already answered: nothing more. The record keeps the error for the log line.
 */
export function errorHandler(): Middleware<AppState> {
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
        discardRestOfBody(ctx.req, ctx.res);
        ctx.status = apiError.status;
        ctx.set(apiError.headers);
        ctx.body = shape.errorBody(apiError);
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
