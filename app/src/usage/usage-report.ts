import { type Counters, tokensOf } from "./store";
import type { UsageWindow } from "./windows";

/** One window's figures as `GET /usage` shows them. */
export interface WindowReport extends Counters {
  window: string;
  resetsAt: string;
  totalTokens: number;
  tokenLimit: number | null;
  remainingTokens: number | null;
  /** The key's dollar budget for the window (compared with `costMicroUsd`). */
  usdLimit: number | null;
  /** The window's figures by the model that answered, as written to the table (a day keeps cost and requests). */
  models: Record<string, Partial<Counters>>;
}

/** A window's counters, limits and split by model as `GET /usage` reports them. */
export function windowReport(
  window: UsageWindow,
  used: Counters,
  models: Record<string, Partial<Counters>>,
  limit: number | undefined,
  usd: number | undefined,
): WindowReport {
  const totalTokens = tokensOf(used);
  return {
    window: window.id,
    resetsAt: window.resetsAt.toISOString(),
    ...used,
    totalTokens,
    tokenLimit: limit ?? null,
    remainingTokens: limit === undefined ? null : Math.max(0, limit - totalTokens),
    usdLimit: usd ?? null,
    models,
  };
}
