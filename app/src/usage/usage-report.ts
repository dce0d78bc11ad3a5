import type { BudgetView } from "./budget-view";
import type { ChargeWriter } from "./charge-writer";
import type { Caller } from "./keys";
import type { MinuteBudget } from "./minute-budget";
import { addUsed, type Counters, tokensOf, type UsageStore } from "./store";
import { minuteAt, type UsageWindow, windowsAt } from "./windows";

/** What every window of `GET /usage` shows: its tokens against the key's limit, and when it resets. */
export interface TokenWindowReport {
  window: string;
  resetsAt: string;
  totalTokens: number;
  tokenLimit: number | null;
  remainingTokens: number | null;
}

/** A day's or month's figures as `GET /usage` shows them (a minute counts tokens only). */
export interface WindowReport extends Counters, TokenWindowReport {
  /** The key's dollar budget for the window (compared with `costMicroUsd`). */
  usdLimit: number | null;
  /** The window's figures by the model that answered, as written to the table (a day keeps cost and requests). */
  models: Record<string, Partial<Counters>>;
}

/** `GET /usage`'s answer; `minute` only for a key with `tokensPerMinute`. */
export interface UsageReport {
  key: string;
  minute?: TokenWindowReport;
  day: WindowReport;
  month: WindowReport;
}

export function tokenWindowReport(window: UsageWindow, totalTokens: number, limit: number | undefined): TokenWindowReport {
  return {
    window: window.id,
    resetsAt: window.resetsAt.toISOString(),
    totalTokens,
    tokenLimit: limit ?? null,
    remainingTokens: limit === undefined ? null : Math.max(0, limit - totalTokens),
  };
}

/** A window's counters, limits and split by model as `GET /usage` reports them. */
export function windowReport(
  window: UsageWindow,
  used: Counters,
  models: Record<string, Partial<Counters>>,
  limit: number | undefined,
  usd: number | undefined,
): WindowReport {
  return { ...tokenWindowReport(window, tokensOf(used), limit), ...used, usdLimit: usd ?? null, models };
}

/** The meter's parts a report reads (meter.ts). */
export interface ReportSources {
  store: UsageStore;
  view?: BudgetView;
  charges?: ChargeWriter;
  minutes?: MinuteBudget;
}

/**
 * The caller's report at `now`. The minute is read (beside the day and month) only for a key with a per-minute
 * limit: no other key has a minute item, so reading one would be a store trip for nothing. Throws what the store threw.
 */
export async function readUsageReport(caller: Caller, now: Date, sources: ReportSources): Promise<UsageReport> {
  const { store, view, charges, minutes } = sources;
  const windows = windowsAt(now);
  const minute = caller.tokensPerMinute === undefined ? undefined : minuteAt(now);
  const [stored, minuteTokens] = await Promise.all([
    store.readWithModels(caller.name, windows),
    // Through the minute budget: it shares a check's read in flight and counts this task's unwritten charges.
    minute && minutes?.used(caller.name, minute),
  ]);
  view?.observe(caller.name, windows, stored.used);
  // Charges this task still holds (budgetReadMaxAgeMs > 0) are the caller's usage too; none is in the table yet.
  const used = charges ? addUsed(stored.used, charges.pending(caller.name, windows, true)) : stored.used;
  return {
    key: caller.name,
    ...(minute && { minute: tokenWindowReport(minute, minuteTokens ?? 0, caller.tokensPerMinute) }),
    day: windowReport(windows.day, used.day, stored.models.day, caller.tokensPerDay, caller.usdPerDay),
    month: windowReport(windows.month, used.month, stored.models.month, caller.tokensPerMonth, caller.usdPerMonth),
  };
}
