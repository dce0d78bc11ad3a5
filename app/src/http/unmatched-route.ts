import type { Middleware } from "koa";
import { ApiError } from "./errors";
import type { AppState } from "./request-record";

const MAX_ECHOED_PATH = 200;

/** The 405 for `target` ("METHOD /path"), with the `Allow` header listing what the path does take. */
export function methodNotAllowed(target: string, allow: string): ApiError {
  return new ApiError(405, "method_not_allowed", `Method not allowed: ${target} (allowed: ${allow})`, {
    headers: { Allow: allow },
  });
}

/** "METHOD /path" as error messages quote it (the path shortened). */
export const requestTarget = (method: string, path: string) => `${method} ${path.slice(0, MAX_ECHOED_PATH)}`;

/**
 * Turns the router's bare 404/405/501 (status set, no body) into thrown {@link ApiError}s, so they reach the one
 * error sink and get the same JSON body as every other error. 405 keeps the router's `Allow` header.
 */
export function unmatchedRoute(): Middleware<AppState> {
  return async (ctx, next) => {
    await next();
    if (ctx.body !== undefined && ctx.body !== null) return;
    const target = requestTarget(ctx.method, ctx.path);
    if (ctx.status === 404) throw new ApiError(404, "not_found", `No route for ${target}`);
    if (ctx.status === 405) throw methodNotAllowed(target, ctx.response.get("Allow"));
    if (ctx.status === 501) throw new ApiError(501, "not_implemented", `Method not implemented: ${ctx.method}`);
  };
}
