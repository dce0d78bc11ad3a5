import type { Middleware } from "koa";
import type { AppState } from "../http/request-record";
import type { ServiceMetrics } from "./service-metrics";

/**
 * Emits each chat request's metrics once it ended (the record then holds its usage, timings and error code). Chat
 * requests are those of a wire format's route whose caller the chat handler identified (not `GET /models`).
 */
export function requestMetrics(metrics: ServiceMetrics): Middleware<AppState> {
  return async (ctx, next) => {
    await next();
    const record = ctx.state.record;
    if (record.format !== undefined && record.apiKeyName !== undefined) metrics.request(record);
  };
}
