import type { Context, Middleware, Next } from "koa";
import type { AppState } from "./request-record";

/**
 * Routes of different formats can meet on one full path: under the stage `v1`, OpenAI's `/models` is also served
 * at `/v1/models`, which is Anthropic's `/v1/models`. The router would always run the first one registered, so each
 * full path gets one entry that hands the request to the route claiming it (the default route: the one without
 * `claims`).
 */

export interface SharingRoute {
  readonly method: "get" | "post";
  /** Whether this route takes the request, for a route that may share its path. */
  readonly claims?: (ctx: Context) => boolean;
}

/** `routes` grouped by method and full path (`at` gives a route's full paths), in registration order. */
export function byFullPath<R extends SharingRoute & { path: string }>(
  routes: readonly R[],
  at: (path: string) => string[],
): { method: R["method"]; path: string; routes: R[] }[] {
  const groups = new Map<string, { method: R["method"]; path: string; routes: R[] }>();
  for (const route of routes) {
    for (const path of at(route.path)) {
      const key = `${route.method} ${path}`;
      const group = groups.get(key) ?? groups.set(key, { method: route.method, path, routes: [] }).get(key)!;
      group.routes.push(route);
    }
  }
  return [...groups.values()];
}

/** Runs `chain` as one middleware. */
function compose(chain: readonly Middleware<AppState>[]): Middleware<AppState> {
  return (ctx, next) => {
    const step = (index: number): Promise<unknown> =>
      Promise.resolve(index === chain.length ? next() : chain[index](ctx, () => step(index + 1) as Promise<void>));
    return step(0);
  };
}

/** One middleware per full path: a lone route's chain as it is, else the claiming route's chain. */
export function claimDispatch(
  routes: readonly { claims?: (ctx: Context) => boolean; chain: readonly Middleware<AppState>[] }[],
): Middleware<AppState>[] {
  if (routes.length === 1) return [...routes[0].chain];
  const chains = routes.map((route) => ({ claims: route.claims, run: compose(route.chain) }));
  const fallback = chains.find((route) => route.claims === undefined) ?? chains[0];
  return [(ctx, next: Next) => (chains.find((route) => route.claims?.(ctx)) ?? fallback).run(ctx, next)];
}
