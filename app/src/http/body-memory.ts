import { getHeapStatistics } from "node:v8";
import type { Middleware } from "koa";
import { bodyDeadline } from "./body-arrival";
import { ApiError, ClientClosedError } from "./errors";
import { MemoryBudget } from "./memory-budget";
import type { AppState } from "./request-record";

/**
 * A body costs about this many times its size while it is read, parsed and re-encoded for Bedrock (the text, the
 * parsed value, the SDK's JSON of it), and until the request ends.
 */
export const BODY_COPIES = 4;

/** By default bodies in flight may hold half the V8 heap (the task's NODE_OPTIONS size it from the task's memory). */
export function defaultBodyMemoryBytes(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 2);
}

export interface BodyWaits {
  /** BODY_MEMORY_WAIT_MS: how long a request that does not fit may wait in line. */
  maxWaitMs: number;
  /** BODY_READ_TIMEOUT_MS: the body's deadline, which the wait is part of. */
  bodyReadTimeoutMs: number;
}

/**
 * Bounds the memory that request bodies in flight may hold. Each request reserves its declared size (or the body
 * limit, for a chunked one) times {@link BODY_COPIES} before its body is read, and gives it back when its response
 * ends. One that does not fit waits up to `waits.maxWaitMs` for memory to free (first come, first served), then is
 * answered 503 `overloaded` with `Retry-After` in its format's shape: a task refuses a burst of large bodies instead
 * of running out of heap and resetting every stream it serves (25 concurrent 5 MB bodies did that to a 512 MiB task).
 */
export function bodyMemory(capacityBytes: number, bodyLimitBytes: number, waits: BodyWaits): Middleware<AppState> {
  const budget = new MemoryBudget(capacityBytes);
  return async (ctx, next) => {
    const declared = Number(ctx.get("content-length"));
    const size = Number.isFinite(declared) && declared > 0 ? Math.min(declared, bodyLimitBytes) : bodyLimitBytes;
    const cost = size * BODY_COPIES;
    // The wait counts toward the body's deadline: it never outlasts it.
    const left = bodyDeadline(ctx.state, waits.bodyReadTimeoutMs) - performance.now();
    const maxWaitMs = Math.max(0, Math.min(waits.maxWaitMs, left));
    const gone = new AbortController();
    ctx.res.once("close", () => gone.abort());
    if (!(await budget.reserve(cost, maxWaitMs, gone.signal))) {
      if (gone.signal.aborted) throw new ClientClosedError();
      throw new ApiError(503, "overloaded", "The server is busy with other large requests; retry shortly", {
        headers: { "Retry-After": "1" },
        logLevel: "warn",
      });
    }
    // Let in as its client left: nothing will close its response again to give the memory back.
    if (gone.signal.aborted) {
      budget.release(cost);
      throw new ClientClosedError();
    }
    ctx.res.once("close", () => budget.release(cost));
    await next();
  };
}

/**
 * After the body parser: forgets its copy of the body's text (`request.rawBody`), which nothing here reads, so a
 * large body's text is not held beside its parsed value until the response ends.
 */
export function dropRawBody(): Middleware {
  return async (ctx, next) => {
    delete (ctx.request as { rawBody?: string }).rawBody;
    await next();
  };
}
