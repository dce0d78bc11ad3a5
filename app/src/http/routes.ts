import { bodyParser } from "@koa/bodyparser";
import Router from "@koa/router";
import type { Middleware } from "koa";
import { requireJson } from "./require-json";
import type { AppState } from "./request-record";
import { HEALTH_PATH, STREAM_PATH } from "../runtime-contract";
import { type StreamDependencies, streamHandler } from "../formats/ndjson/stream-handler";

/**
 * The two routes, served at `/health` and `/stream` and, when a stage prefix is configured, also at
 * `/<stage>/health` and `/<stage>/stream`: API Gateway private integrations may put the stage name in front of
 * the backend path, and the app answers either way instead of depending on that detail.
 */
export function createRouter(deps: StreamDependencies): Router<AppState> {
  const prefixes = ["", ...(deps.config.stagePrefix ? [`/${deps.config.stagePrefix}`] : [])];
  const at = (path: string) => prefixes.map((prefix) => `${prefix}${path}`);
  const router = new Router<AppState>();

  router.get(at(HEALTH_PATH), routeLabel(HEALTH_PATH), (ctx) => {
    ctx.body = { status: "healthy" };
  });
  router.post(
    at(STREAM_PATH),
    routeLabel(STREAM_PATH),
    requireJson(),
    bodyParser({ enableTypes: ["json"], jsonLimit: deps.config.bodyLimitBytes, encoding: "utf-8" }),
    streamHandler(deps),
  );
  return router;
}

/** Names the route in the request's log line, the same with or without the stage prefix. */
function routeLabel(route: string): Middleware<AppState> {
  return (ctx, next) => {
    ctx.state.record.route = route;
    return next();
  };
}
