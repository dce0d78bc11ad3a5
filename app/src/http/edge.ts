import { randomUUID } from "node:crypto";
import http, { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import { answerWhileBodyDrains } from "./body-arrival";
import { ApiError, ClientClosedError, requestTimeoutError } from "./errors";
import { REQUEST_ID_HEADER, requestIdFor, writeRequestLine } from "./request-log";

/**
 * The server's edge: answers that Node itself would give before (or instead of) the app, given the app's own
 * contract instead: the `{"error":{...}}` body from {@link ApiError.toJSON}, an `X-Request-Id`, and one request log
 * line. Such answers happen before any route is known, so they always use the native error body.
 */

const MAX_LOGGED_PATH = 200;

/** Node's parser and timeout errors (`clientError`) -> what the client is told. Messages never quote the request. */
export function fromNodeClientError(err: Error & { code?: unknown }): ApiError {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW":
      return new ApiError(431, "request_header_fields_too_large", "The request headers are too large");
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return new ApiError(413, "payload_too_large", "The request's chunk extensions are too large");
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return requestTimeoutError();
    case "HPE_INVALID_EOF_STATE":
    case "ECONNRESET":
    case "EPIPE":
    case "ECONNABORTED":
    case "ETIMEDOUT":
      return new ClientClosedError();
    default:
      return new ApiError(400, "bad_request", "Malformed HTTP request (framing or headers)", { logLevel: "warn" });
  }
}

/** The status line and headers of an edge answer; `Connection: close` because the connection cannot be trusted. */
function answerHeaders(error: ApiError, requestId: string, body: Buffer): Record<string, string> {
  return {
    ...error.headers,
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(body.length),
    [REQUEST_ID_HEADER]: requestId,
    Connection: "close",
  };
}

const bodyOf = (error: ApiError) => Buffer.from(JSON.stringify(error.toJSON()));

/**
 * Answers through a response Node created (the request was parsed). With `drainUntil` (a `performance.now()` time)
 * the response ends only once the request's body has been read and dropped, up to then: closing at once would reset
 * a client still uploading, often before it reads the answer (see {@link answerWhileBodyDrains}).
 */
export function answerResponse(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  error: ApiError,
  requestId: string,
  drainUntil?: number,
): void {
  const body = bodyOf(error);
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(answerHeaders(error, requestId, body))) res.setHeader(name, value);
  if (drainUntil !== undefined) return answerWhileBodyDrains(req, res, body, drainUntil);
  res.end(req.method === "HEAD" ? undefined : body);
  // A body nobody reads would stall the socket before the close: discard it.
  req.resume();
}

/** Answers on a bare socket (Node could not parse the request, so there is no response object), then closes it. */
function answerSocket(socket: Socket, error: ApiError, requestId: string): void {
  const body = bodyOf(error);
  const head = Object.entries(answerHeaders(error, requestId, body)).map(([name, value]) => `${name}: ${value}\r\n`);
  socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\n${head.join("")}\r\n`), body]));
  socket.once("finish", () => socket.destroy());
}

/** Logs an edge answer as the request's one line. */
export function logEdgeAnswer(logger: Logger, requestId: string, error: ApiError, req?: http.IncomingMessage): void {
  const path = req?.url === undefined ? null : req.url.split("?")[0].slice(0, MAX_LOGGED_PATH);
  const record = { requestId, startedAt: performance.now(), deltas: 0, error };
  writeRequestLine(logger, record, { method: req?.method ?? null, path, status: error.status });
}

/** Answers a parsed request from the edge (e.g. shutdown, missing Host): the answer and its log line. */
export function refuse(logger: Logger, req: http.IncomingMessage, res: http.ServerResponse, error: ApiError, drainUntil?: number): void {
  const requestId = requestIdFor((name) => req.headers[name]);
  answerResponse(req, res, error, requestId, drainUntil);
  logEdgeAnswer(logger, requestId, error, req);
}

/**
 * Errors the edge answered for a request the app is handling (its body was malformed or timed out): the app's error
 * sink reports this instead of the body reader's failure that follows, so the request still has one line.
 */
export const answeredAtEdge = new WeakMap<http.ServerResponse, ApiError>();

/**
 * The server's `clientError` hook. Node emits it when its parser rejects bytes (bad chunk size, duplicate
 * Content-Length, oversized headers...), when `requestTimeout` expires, or when a socket fails. `inFlight` names the
 * response the app is producing on that socket, if any: its log line then carries the error.
 */
export function clientErrorHandler(logger: Logger, inFlight: (socket: Socket) => http.ServerResponse | undefined) {
  return (err: Error, socket: Socket): void => {
    const error = fromNodeClientError(err);
    const res = inFlight(socket);
    if (!socket.writable || res?.headersSent || error instanceof ClientClosedError) {
      // Nothing can be said any more; a request the app handles reports the failure in its own line.
      socket.destroy();
      return;
    }
    const requestId = String(res?.getHeader(REQUEST_ID_HEADER) ?? randomUUID());
    if (res) answeredAtEdge.set(res, error);
    else logEdgeAnswer(logger, requestId, error);
    answerSocket(socket, error, requestId);
  };
}
