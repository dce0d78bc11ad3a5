import type { Middleware } from "koa";
import { ApiError } from "./errors";

/** No charset parameter means UTF-8 for JSON (RFC 8259). */
const UTF8_NAMES = new Set(["", "utf-8", "utf8"]);

/**
 * Only `application/json` bodies (UTF-8, the only encoding JSON allows) are accepted: 415 otherwise, before
 * anything is read. The body parser would also take `+json` variants; this keeps the contract exact.
 */
export function requireJson(): Middleware {
  return async (ctx, next) => {
    const charset = ctx.request.charset.toLowerCase();
    // ctx.request.type, not ctx.is(): ctx.is() answers null for a request without a body, which must reach the
    // parser and get a 400 naming the missing field, not a 415 about a Content-Type it did send.
    if (ctx.request.type.trim().toLowerCase() !== "application/json" || !UTF8_NAMES.has(charset)) {
      throw new ApiError(415, "unsupported_media_type", "Content-Type must be application/json (UTF-8)");
    }
    await next();
  };
}
