import { getHeapStatistics } from "node:v8";
import type { Middleware } from "koa";
import { ApiError } from "./errors";

/**
 * A body costs about this many times its size while it is read, parsed and re-encoded for Bedrock (the text, the
 * parsed value, the SDK's JSON of it), and until the request ends.
 */
export const BODY_COPIES = 4;

/** By default bodies in flight may hold half the V8 heap (the task's NODE_OPTIONS size it from the task's memory). */
export function defaultBodyMemoryBytes(): number {
  return Math.floor(getHeapStatistics().heap_size_limit / 2);
}

/**
 * Bounds the memory that request bodies in flight may hold. Each request reserves its declared size (or the body
 * limit, for a chunked one) times {@link BODY_COPIES} before its body is read, and gives it back when its response
 * ends. One that does not fit is answered 503 `overloaded` with `Retry-After` in its format's shape, its body never
 * read: a task refuses a burst of large bodies instead of running out of heap and resetting every stream it serves
 * (25 concurrent 5 MB bodies did that to a 512 MiB task).
 */
export function bodyMemory(capacityBytes: number, bodyLimitBytes: number): Middleware {
  let reserved = 0;
  return async (ctx, next) => {
    const declared = Number(ctx.get("content-length"));
    const size = Number.isFinite(declared) && declared > 0 ? Math.min(declared, bodyLimitBytes) : bodyLimitBytes;
    const cost = size * BODY_COPIES;
    // A lone request always fits: a body limit larger than the budget must not refuse everything.
    if (reserved > 0 && reserved + cost > capacityBytes) {
      throw new ApiError(503, "overloaded", "The server is busy with other large requests; retry shortly", {
        headers: { "Retry-After": "1" },
        logLevel: "warn",
      });
    }
    reserved += cost;
    ctx.res.once("close", () => (reserved -= cost));
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
