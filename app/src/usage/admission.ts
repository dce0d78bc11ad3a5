import type { BudgetView } from "./budget-view";
import type { FailurePolicy } from "./key-schema";
import type { Caller } from "./keys";
import type { MinuteBudget } from "./minute-budget";
import { budgetExceeded, concurrencyLimitReached, storeUnavailable } from "./refusals";
import { tokensOf, type Used } from "./store";
import type { StreamLease, StreamLimiter } from "./stream-limiter";
import { minuteAt, type Windows, windowsAt } from "./windows";

export interface AdmissionParts {
  view: BudgetView;
  minutes: MinuteBudget;
  /** Without one (no table), no key's streams are counted. */
  streams?: StreamLimiter;
  clock: () => Date;
  failurePolicy: FailurePolicy;
  /** Logs and counts a store failure, with what it did to the request. */
  storeFailed(operation: "read" | "write", keyName: string, err: unknown, effect: string): void;
}

/** What a store failure did to a request under the policy: served unchecked (`serve`), or refused with a 503. */
export const policyEffect = (policy: FailurePolicy, served: string) => (policy === "serve" ? served : "request refused");

/**
 * The checks before Bedrock is called (usage/meter.ts): the key's token and dollar budgets of its minute, day and
 * month, then its streams in flight. Only keys with a limit cost a store round trip; when the store cannot answer,
 * the usage store failure policy decides (`serve` unchecked, or `refuse` with a 503).
 */
export class Admission {
  constructor(private readonly parts: AdmissionParts) {}

  /** Throws 429 `token_budget_exceeded` (`budget_exceeded` for dollars) when the caller is over a budget. */
  async admit(caller: Caller): Promise<void> {
    const { view, minutes, clock } = this.parts;
    const minuteLimit = caller.tokensPerMinute;
    const budgets = hasBudget(caller);
    if (!budgets && minuteLimit === undefined) return;
    const now = clock();
    const windows = windowsAt(now);
    const minute = minuteAt(now);
    let used: Used | undefined;
    let minuteUsed = 0;
    try {
      [used, minuteUsed] = await Promise.all([
        budgets ? view.used(caller.name, windows, (seen) => overLimits(caller, seen).length > 0) : undefined,
        minuteLimit === undefined ? 0 : minutes.used(caller.name, minute),
      ]);
    } catch (err) {
      if (this.servesUnchecked("read", caller.name, err, "request served without a budget check")) return;
      throw storeUnavailable("Token budgets cannot be checked right now", err);
    }
    const over = used ? overLimits(caller, used) : [];
    if (over.length > 0) {
      // Over several windows: only the longest one's reset helps.
      const { kind, unit } = over.find((limit) => limit.kind === "month") ?? over[0];
      throw budgetExceeded(windows[kind], now, unit === "usd" ? (kind === "day" ? caller.usdPerDay : caller.usdPerMonth) : undefined);
    }
    if (minuteLimit !== undefined && minuteUsed >= minuteLimit) throw budgetExceeded(minute, now);
  }

  /**
   * {@link admit}, then for a key with `maxConcurrentStreams` a lease on one of its streams in flight, which the
   * caller releases when the stream ends, however it ends. A key at its limit gets 429 `concurrency_limit_exceeded`.
   */
  async admitStream(caller: Caller): Promise<StreamLease | undefined> {
    await this.admit(caller);
    const { streams, failurePolicy } = this.parts;
    if (!streams || caller.maxConcurrentStreams === undefined) return undefined;
    let lease: StreamLease | undefined | false;
    try {
      lease = await streams.acquire(caller);
    } catch (err) {
      // The limiter reported it (stream-limiter.ts `failed`, wired in meter.ts with the same policy).
      if (failurePolicy === "serve") return undefined;
      throw storeUnavailable("Streams in flight cannot be counted right now", err);
    }
    if (lease === false) throw concurrencyLimitReached(caller.maxConcurrentStreams);
    return lease;
  }

  private servesUnchecked(operation: "read" | "write", keyName: string, err: unknown, served: string): boolean {
    this.parts.storeFailed(operation, keyName, err, policyEffect(this.parts.failurePolicy, served));
    return this.parts.failurePolicy === "serve";
  }
}

/** Whether the key has a token or dollar budget of its day or month (keys without one are never read for it). */
function hasBudget(caller: Caller): boolean {
  return [caller.tokensPerDay, caller.tokensPerMonth, caller.usdPerDay, caller.usdPerMonth].some((l) => l !== undefined);
}

/** The caller's limits the counters reached: windows, and whether tokens or dollars (micro-dollars counted). */
function overLimits(caller: Caller, used: Used): Array<{ kind: keyof Windows; unit: "tokens" | "usd" }> {
  const limits = [
    { kind: "day", unit: "tokens", limit: caller.tokensPerDay, used: tokensOf(used.day) },
    { kind: "month", unit: "tokens", limit: caller.tokensPerMonth, used: tokensOf(used.month) },
    { kind: "day", unit: "usd", limit: microUsd(caller.usdPerDay), used: used.day.costMicroUsd },
    { kind: "month", unit: "usd", limit: microUsd(caller.usdPerMonth), used: used.month.costMicroUsd },
  ] as const;
  return limits.filter((l) => l.limit !== undefined && l.used >= l.limit);
}

const microUsd = (usd: number | undefined) => (usd === undefined ? undefined : Math.round(usd * 1_000_000));
