import type { Middleware } from "koa";
import { ApiError } from "./errors";
import type { AppState } from "./request-record";

const MAX_ECHOED_PATH = 200;

/**
 * Turns the router's bare 404/405/501 (status set, no body) into thrown {@link ApiError}s, so they reach the one
 * error sink and get the same JSON body as every other error. 405 keeps the router's `Allow` header.
 */
export function unmatchedRoute(): Middleware<AppState> {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined && ctx.body !== null) return;
    const target = `${ctx.method} ${ctx.path.slice(0, MAX_ECHOED_PATH)}`;
    if (ctx.status === 404) throw new ApiError(404, "not_found", `No route for ${target}`);
    if (ctx.status === 405) {
      const allow = ctx.response.get("Allow");
      throw new ApiError(405, "method_not_allowed", `Method not allowed: ${target} (allowed: ${allow})`, {
        headers: { Allow: allow },
      });
    }
    if (ctx.status === 501) throw new ApiError(501, "not_implemented", `Method not implemented: ${ctx.method}`);
  };
}
