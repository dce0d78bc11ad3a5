import type { IncomingMessage, ServerResponse } from "node:http";
import type { Middleware } from "koa";
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
 * Before a request whose body is still arriving is answered (503 for memory, 413, a timeout...): reads the rest of
 * the body and drops each piece as it comes (nothing is kept), then resolves, so the answer goes out once the client
 * has finished sending. Answering first and closing the connection (a client's `Connection: close`) while the client
 * still uploads resets it, a broken pipe before it reads its answer, which an ALB in front reports as a 502; on a
 * kept-alive connection the next request would never be parsed.
 *
 * Waits until the body ends, at most until `deadline` (`performance.now()` time) or past
 * {@link MAX_DISCARDED_BODY_BYTES}. A body that did not end by then gets `Connection: close`: the answer is sent,
 * and the connection closed after it. Resolves true when the client is still there to be answered.
 */
export function discardRestOfBody(req: IncomingMessage, res: ServerResponse, deadline: number): Promise<boolean> {
  if (req.complete) return Promise.resolve(!req.socket.destroyed);
  const closeAfterAnswer = () => {
    if (!res.headersSent) res.setHeader("Connection", "close");
  };
  if (Number(req.headers["content-length"]) > MAX_DISCARDED_BODY_BYTES) {
    closeAfterAnswer();
    return Promise.resolve(true);
  }
  return new Promise((resolve) => {
    let discarded = 0;
    let settled = false;
    const settle = (ended: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("end", onEnd);
      req.off("close", onClose);
      if (!ended) closeAfterAnswer();
      resolve(!req.socket.destroyed);
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
