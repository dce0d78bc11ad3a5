import type { Middleware } from "koa";
import type { AppState } from "../http/request-record";
import type { ServiceMetrics } from "./service-metrics";

/** Emits each chat request's metrics once it ended (the record then holds its usage, timings and error code). */
export function requestMetrics(metrics: ServiceMetrics): Middleware<AppState> {
  return async (ctx, next) => {
    await next();
    if (ctx.state.record.format) metrics.request(ctx.state.record);
  };
}
