import type { Middleware } from "koa";
import type { AppState } from "../http/request-record";
import type { UsageMeter } from "./meter";

/**
 * `GET /usage`: the calling key's own counters and limits for the current UTC day and month (and minute, for a key
 * with `tokensPerMinute`). The key comes only from the header API Gateway sets (a client cannot name another key),
 * so a key never sees another key's usage.
 */
export function usageRoute(usage: UsageMeter): Middleware<AppState> {
  return async (ctx) => {
    const caller = usage.identify(ctx.headers, ctx.state.record);
    const report = await usage.report(caller);
    ctx.set("Cache-Control", "no-store");
    ctx.body = report;
  };
}
