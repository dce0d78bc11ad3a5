import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context, Middleware } from "koa";
import { MAX_GATEWAY_BODY_BYTES } from "../runtime-contract";
import { requestTimeoutError } from "./errors";
import type { AppState } from "./request-record";

/**
 * How long a request body may take to arrive: `BODY_READ_TIMEOUT_MS` from the request's arrival. API Gateway hands
 * a body over in one go, so only a client inside the VPC can stall one, but a stalled body holds its memory
 * reservation (body-memory.ts), and Node's own `requestTimeout` (315 s, tied to the ALB's idle timeout) is far too
 * long for that: sixty stalled uploads would refuse everyone else for five minutes.
 */
export function bodyDeadline(state: AppState, timeoutMs: number): number {
  return state.record.startedAt + timeoutMs;
}

/**
 * Runs the body reader `read` (the body parser) against the request's deadline. A body not read by then is a 408
 * `request_timeout` (the route's error shape); the error sink then closes the connection after the answer, which
 * ends the reader too, and the body's reservation is given back when the response closes.
 */
export function readBodyWithin(timeoutMs: number, read: Middleware<AppState>): Middleware<AppState> {
  return async (ctx, next) => {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      const left = bodyDeadline(ctx.state, timeoutMs) - performance.now();
      timer = setTimeout(() => reject(requestTimeoutError()), Math.max(0, left));
    });
    const reading = Promise.resolve(read(ctx, async () => undefined));
    // Once the deadline has answered, the reader's own end (the connection closing under it) means nothing.
    reading.catch(() => undefined);
    try {
      await Promise.race([reading, expired]);
    } finally {
      clearTimeout(timer);
    }
    return next();
  };
}

/**
 * Reading (and discarding) up to this much of a refused body keeps its connection usable: the ALB reuses target
 * connections across clients. Anything API Gateway can deliver is drained (reading and dropping 10 MB costs
 * milliseconds); only a larger body, which can only come from inside the VPC, closes the connection instead.
 */
const MAX_DISCARDED_BODY_BYTES = MAX_GATEWAY_BODY_BYTES;

/**
 * Answers a request whose body is still arriving (503 for memory, 413, a timeout...) at once, and ends the answer
 * only after the rest of the body has been read and dropped as it comes (nothing is kept): closing the connection
 * (a client's `Connection: close`) while the client still uploads resets it, often before it has read its answer
 * (a broken pipe; an ALB in front reports a 502), and on a kept-alive connection the next request would never be
 * parsed. The wait ends with the body, at the request's `deadline` (`performance.now()` time), or past
 * {@link MAX_DISCARDED_BODY_BYTES}; a body that did not end by then leaves its connection unusable, so it is closed
 * once the answer is out. A declared body over that bound is not read at all: `Connection: close` at once.
 */
export function answerBeforeBodyEnds(ctx: Context, body: unknown, deadline: number): void {
  const { req, res } = ctx;
  ctx.respond = false;
  res.statusCode = ctx.status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  answerWhileBodyDrains(req, res, Buffer.from(JSON.stringify(body)), deadline);
}

/**
 * {@link answerBeforeBodyEnds} on Node's own request and response (the server's edge answers before Koa runs): `res`
 * carries its status and headers already; `body` goes out now and the response ends once the request's body has
 * been drained (or the bounds are hit).
 */
export function answerWhileBodyDrains(req: IncomingMessage, res: ServerResponse, body: Buffer, deadline: number): void {
  const tooLarge = Number(req.headers["content-length"]) > MAX_DISCARDED_BODY_BYTES;
  res.setHeader("Content-Length", body.length);
  if (tooLarge) res.setHeader("Connection", "close");
  // The whole answer goes out now (its length is declared); only the response's end waits.
  res.write(body);
  if (tooLarge) return void res.end();
  void discardRestOfBody(req, deadline).then((ended) => {
    res.end();
    if (!ended) res.once("finish", () => req.socket.destroy());
  });
}

/** Reads and drops the rest of `req`'s body; resolves with whether it ended within the bounds. */
function discardRestOfBody(req: IncomingMessage, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    let discarded = 0;
    let settled = false;
    const settle = (ended: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("end", onEnd);
      req.off("close", onClose);
      resolve(ended);
    };
    const onEnd = () => settle(true);
    const onClose = () => settle(req.complete);
    const timer = setTimeout(() => settle(false), Math.max(0, deadline - performance.now()));
    // Stays attached: whatever arrives until the connection closes is dropped too.
    req.on("data", (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > MAX_DISCARDED_BODY_BYTES) settle(false);
    });
    req.once("end", onEnd);
    req.once("close", onClose);
    req.resume();
  });
}
