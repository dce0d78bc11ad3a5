import { bodyParser } from "@koa/bodyparser";
import Router from "@koa/router";
import type { Middleware } from "koa";
import { type ChatDependencies, formatRoutes } from "./formats";
import type { AppState, ErrorShape } from "./http/request-record";
import { readBodyWithin } from "./http/body-arrival";
import { bodyMemory, defaultBodyMemoryBytes, dropRawBody } from "./http/body-memory";
import { jsonDepthLimit } from "./http/json-depth";
import { requireJson } from "./http/require-json";
import { byFullPath, claimDispatch } from "./http/shared-paths";
import { methodNotAllowed, requestTarget } from "./http/unmatched-route";
import { playgroundHandler } from "./playground/page";
import { HEALTH_PATH, PLAYGROUND_PATH, USAGE_PATH } from "./runtime-contract";
import { usageRoute } from "./usage/usage-route";

/**
 * The routes, each served at its path and, when a stage prefix is configured, also at `/<stage><path>`: API
 * Gateway private integrations may put the stage name in front of the backend path, and the app answers either way
 * instead of depending on that detail.
 */
export function createRouter(deps: ChatDependencies): Router<AppState> {
  const prefixes = ["", ...(deps.config.stagePrefix ? [`/${deps.config.stagePrefix}`] : [])];
  const at = (path: string) => prefixes.map((prefix) => `${prefix}${path}`);
  const router = new Router<AppState>();

  router.get(at(HEALTH_PATH), routeLabel(HEALTH_PATH), (ctx) => {
    ctx.body = { status: "healthy" };
  });
  // The stage root and `/v1`: clients probe their base URL (Claude Code sends `HEAD <base>` first, current versions
  // `HEAD <base>/api/hello`). GET answers HEAD.
  const roots = [...new Set(prefixes.flatMap((prefix) => [prefix || "/", `${prefix}/v1`]))];
  const hellos = roots.map((root) => `${root === "/" ? "" : root}/api/hello`);
  router.get([...roots, ...hellos], routeLabel("/"), (ctx) => {
    ctx.body = { status: "ok" };
  });
  router.get(at(PLAYGROUND_PATH), routeLabel(PLAYGROUND_PATH), playgroundHandler());
  router.get(at(USAGE_PATH), routeLabel(USAGE_PATH), usageRoute(deps.usage));
  const bodyBudget = deps.config.bodyMemoryBytes ?? defaultBodyMemoryBytes();
  const readJson = [
    bodyMemory(bodyBudget, deps.config.bodyLimitBytes, {
      maxWaitMs: deps.config.bodyMemoryWaitMs,
      bodyReadTimeoutMs: deps.config.bodyReadTimeoutMs,
    }),
    requireJson(),
    readBodyWithin(
      deps.config.bodyReadTimeoutMs,
      bodyParser({ enableTypes: ["json"], jsonLimit: deps.config.bodyLimitBytes, encoding: "utf-8" }),
    ),
    dropRawBody(),
    jsonDepthLimit(),
  ];
  const routes = formatRoutes(deps);
  for (const { method, path, routes: sharing } of byFullPath(routes, at)) {
    router[method](path, ...claimDispatch(sharing.map((route) => ({
      claims: route.claims,
      chain: [routeLabel(route.path, route.format), ...(route.method === "post" ? readJson : []), route.handler],
    }))));
  }
  // Any other method on a format's path: a 405 in that format's error shape (the router's own 405 knows no format).
  for (const route of routes) {
    const allow = routes.filter((other) => other.path === route.path).map((other) => other.method.toUpperCase());
    if (allow[0] !== route.method.toUpperCase()) continue;
    const header = [...allow, ...(allow.includes("GET") ? ["HEAD"] : [])].join(", ");
    router.all(at(route.path), routeLabel(route.path, route.format), (ctx, next) => {
      // Methods the router does not implement at all stay the 501 of unmatchedRoute.
      if (!router.methods.includes(ctx.method)) return next();
      throw methodNotAllowed(requestTarget(ctx.method, ctx.path), header);
    });
  }
  return router;
}

/** Names the route (and the format whose error shape applies) for the log line and the error sink. */
function routeLabel(route: string, format?: ErrorShape & { name: string }): Middleware<AppState> {
  return (ctx, next) => {
    ctx.state.record.route = route;
    if (format) {
      ctx.state.record.format = format.name;
      ctx.state.errorShape = format;
    }
    return next();
  };
}
