import type { IncomingHttpHeaders } from "node:http";
import type { Logger } from "pino";
import type { StreamSummary, TokenUsage } from "../bedrock/chat-events";
import { type ChatRequest, estimateInputTokens } from "../bedrock/chat-request";
import { ApiError } from "../http/errors";
import type { RequestRecord } from "../http/request-record";
import type { ServiceMetrics } from "../metrics/service-metrics";
import { GATEWAY_API_KEY_ID_HEADER } from "../runtime-contract";
import { BudgetView } from "./budget-view";
import { ChargeWriter } from "./charge-writer";
import { costMicroUsd, type ModelPrices } from "./cost";
import type { FailurePolicy } from "./key-schema";
import { type ApiKeys, type Caller, identify } from "./keys";
import type { ModelUsage } from "./model-usage";
import { addUsed, type Charge, type Counters, tokensOf, type UsageStore, type Used, zeroCounters } from "./store";
import { MinuteBudget } from "./minute-budget";
import { budgetExceeded, concurrencyLimitReached, storeUnavailable } from "./refusals";
import type { StreamLeases } from "./stream-leases";
import { LEASE_TTL_MS, type StreamLease, StreamLimiter } from "./stream-limiter";
import { minuteAt, type Windows, windowsAt } from "./windows";


export interface UsageMeterOptions {
  keys: ApiKeys;
  /** The usage table; without one nothing is counted or enforced (keys still name callers in logs and metrics). */
  store?: UsageStore;
  failurePolicy: FailurePolicy;
  /** `BUDGET_READ_MAX_AGE_MS` (budget-view.ts): required, so the setting's default (settings.ts) is the only one. */
  budgetReadMaxAgeMs: number;
  metrics: ServiceMetrics;
  logger: Logger;
  /** Injectable for window roll-over tests. */
  clock?: () => Date;
  /** The `modelPrices` setting: price lists replacing the catalog's (cost.ts). */
  modelPrices?: ModelPrices;
  /** Streams in flight per key (`maxConcurrentStreams`), in the same table as `store`. */
  leases?: StreamLeases;
  /** {@link LEASE_TTL_MS} unless a test shortens it. */
  leaseTtlMs?: number;
  /** A key at its stream limit was refused (the `ConcurrencyRefusals` metric). */
  concurrencyRefused?: (keyName: string) => void;
}

/** How one request ended, as far as billing is concerned. */
export interface Outcome {
  request: ChatRequest;
  summary: StreamSummary;
  /** Whether Bedrock accepted the call (a refused call generated, and bills, nothing). */
  accepted: boolean;
}

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

/**
 * Per-key token budgets and metering: identifies the caller, refuses a key over its daily or monthly token limit
 * before Bedrock is called (429 `token_budget_exceeded`, `Retry-After` until the window resets), and charges
 * every request whatever its end. Charges are written after the response ended (a client never waits for them),
 * a key's concurrent ones together (charge-writer.ts), and shutdown waits for the last ones ({@link idle}).
 *
 * Limits are soft by the streams in flight: a check sees every charge already written, and charges are written
 * when a stream ends, so streams a key starts while earlier ones still run can all pass the check. With
 * `budgetReadMaxAgeMs` N, also by the streams other tasks start within 1.5 N ms after the key crossed a limit: their
 * views may be N ms old, and a task writes a key's charges at most every N / 2 ms ({@link chargeHoldMs}).
 */
export class UsageMeter {
  private readonly charges: ChargeWriter | undefined;
  private readonly view: BudgetView | undefined;
  private readonly minutes: MinuteBudget | undefined;
  private readonly streams: StreamLimiter | undefined;
  private readonly clock: () => Date;

  constructor(private readonly options: UsageMeterOptions) {
    const clock = (this.clock = options.clock ?? (() => new Date()));
    const { store, budgetReadMaxAgeMs: maxAgeMs } = options;
    if (!store) return;
    this.minutes = new MinuteBudget(store, (keyName, err) => this.storeFailed("write", keyName, err, "minute's tokens not counted"));
    if (options.leases) {
      this.streams = new StreamLimiter(options.leases, {
        clock,
        ttlMs: options.leaseTtlMs ?? LEASE_TTL_MS,
        refused: (keyName) => options.concurrencyRefused?.(keyName),
        failed: (operation, keyName, err) =>
          operation === "acquire"
            ? this.servesUnchecked("write", keyName, err, "stream served without a concurrency lease")
            : this.storeFailed("write", keyName, err, operation === "renew" ? "stream leases not renewed" : "stream lease left to expire"),
      });
    }
    const charges = (this.charges = new ChargeWriter(store, {
      failed: (batch, err) =>
        this.storeFailed("write", batch.keyName, err, `${batch.charge.requests} request(s) held, their charge retried`),
      lost: (batch) =>
        options.logger.error(
          { apiKey: batch.keyName, operation: "write", requests: batch.charge.requests, tokens: tokensOf(batch.charge) },
          `usage store unavailable: ${batch.charge.requests} request(s) not charged`,
        ),
      written: maxAgeMs > 0 ? (batch, totals) => this.view?.observe(batch.keyName, batch.windows, totals) : undefined,
    }, { holdMs: chargeHoldMs(maxAgeMs) }));
    this.view = new BudgetView(store, {
      maxAgeMs,
      clock,
      pending: (keyName, windows) => charges.pending(keyName, windows),
      refreshFailed: (keyName, err) => this.storeFailed("read", keyName, err, "budget view not refreshed"),
    });
  }

  /** The caller of a request, from the key-id header API Gateway sets; noted on the record for logs and metrics. */
  identify(headers: IncomingHttpHeaders, record: RequestRecord): Caller {
    const raw = headers[GATEWAY_API_KEY_ID_HEADER];
    const caller = identify(this.options.keys, typeof raw === "string" ? raw.trim() : undefined);
    record.apiKeyName = caller.name;
    return caller;
  }

  /**
   * Throws 429 `token_budget_exceeded` (or `budget_exceeded` for dollars) when the caller is over a limit of its
   * minute, day or month: only keys with limits are read.
   */
  async admit(caller: Caller): Promise<void> {
    const view = this.view;
    const minuteLimit = caller.tokensPerMinute;
    const budgets = hasBudget(caller);
    if (!view || !this.minutes || (!budgets && minuteLimit === undefined)) return;
    const now = this.clock();
    const windows = windowsAt(now);
    const minute = minuteAt(now);
    let used: Used | undefined;
    let minuteUsed = 0;
    try {
      [used, minuteUsed] = await Promise.all([
        budgets ? view.used(caller.name, windows, (seen) => overLimits(caller, seen).length > 0) : undefined,
        minuteLimit === undefined ? 0 : this.minutes.used(caller.name, minute),
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
    if (!this.streams || caller.maxConcurrentStreams === undefined) return undefined;
    let lease: StreamLease | undefined | false;
    try {
      lease = await this.streams.acquire(caller);
    } catch (err) {
      if (this.options.failurePolicy === "serve") return undefined;
      throw storeUnavailable("Streams in flight cannot be counted right now", err);
    }
    if (lease === false) throw concurrencyLimitReached(caller.maxConcurrentStreams);
    return lease;
  }

  /**
   * Charges a finished request: Bedrock's reported usage, or when the stream was cut before Bedrock reported it,
   * the input estimate plus the output deltas sent (marked on the record as estimated). Never throws.
   */
  settle(record: RequestRecord, caller: Caller, outcome: Outcome): void {
    const reported = outcome.summary.usage;
    const estimated = outcome.accepted && !reported;
    const usage: TokenUsage | undefined = reported ?? (estimated ? estimate(outcome.request, record.deltas) : undefined);
    if (estimated) record.estimatedUsage = usage;
    // Priced by the model that answered (a fallback's, when one did), on the route it was called by.
    const modelId = record.model;
    if (usage && modelId) record.costMicroUsd = costMicroUsd(modelId, usage, this.options.modelPrices);
    if (!this.charges) return;
    const counters: Counters = {
      ...zeroCounters(),
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cacheReadInputTokens: usage?.cacheReadInputTokens ?? 0,
      cacheWriteInputTokens: usage?.cacheWriteInputTokens ?? 0,
      requests: 1,
      estimatedRequests: estimated ? 1 : 0,
      costMicroUsd: record.costMicroUsd ?? 0,
    };
    const charge: Charge = { ...counters, models: modelId ? { [modelId]: counters } : undefined };
    const now = this.clock();
    this.charges.add(caller.name, windowsAt(now), charge);
    if (caller.tokensPerMinute !== undefined) this.minutes?.charge(caller.name, minuteAt(now), tokensOf(counters));
  }

  /** The caller's own counters and limits for the current day and month. */
  async report(caller: Caller): Promise<{ key: string; day: WindowReport; month: WindowReport }> {
    const store = this.options.store;
    if (!store) throw new ApiError(404, "usage_not_enabled", "Usage metering is not enabled on this deployment");
    const windows = windowsAt(this.clock());
    let used: Used;
    let byModel: ModelUsage = { day: {}, month: {} };
    try {
      let models: ModelUsage;
      ({ used, models } = await store.readWithModels(caller.name, windows));
      byModel = models;
      this.view?.observe(caller.name, windows, used);
      // Charges this task still holds (budgetReadMaxAgeMs > 0) are the caller's usage too; none is in the table yet.
      if (this.charges) used = addUsed(used, this.charges.pending(caller.name, windows, true));
    } catch (err) {
      this.storeFailed("read", caller.name, err, "usage not reported");
      throw storeUnavailable("Usage cannot be read right now", err);
    }
    const view = (kind: keyof Windows, limit: number | undefined, usd: number | undefined): WindowReport => {
      const totalTokens = tokensOf(used[kind]);
      return {
        window: windows[kind].id,
        resetsAt: windows[kind].resetsAt.toISOString(),
        ...used[kind],
        totalTokens,
        tokenLimit: limit ?? null,
        remainingTokens: limit === undefined ? null : Math.max(0, limit - totalTokens),
        usdLimit: usd ?? null,
        models: byModel[kind],
      };
    };
    return { key: caller.name, day: view("day", caller.tokensPerDay, caller.usdPerDay), month: view("month", caller.tokensPerMonth, caller.usdPerMonth) };
  }

  /**
   * Resolves once every charge started so far is written (or has failed and been logged), and no read of the table
   * is on its way: shutdown closes the store's client next, which would fail a background refresh still out.
   */
  async idle(): Promise<void> {
    await Promise.all([this.charges?.idle(), this.view?.idle(), this.minutes?.idle(), this.streams?.idle()]);
  }

  /**
   * Shutdown's last word: writes every charge held, retrying those the store refused until `timeoutMs` has passed,
   * then logs what is still unwritten as lost.
   */
  async flush(timeoutMs: number): Promise<void> {
    this.streams?.close();
    await Promise.all([this.charges?.flush(timeoutMs), this.view?.idle(), this.minutes?.idle(), this.streams?.idle()]);
  }

  /**
   * The failure policy for a check the store could not answer: reported either way; true when the request is to be
   * served unchecked (`serve`), false when it is to be refused with a 503 (`refuse`).
   */
  private servesUnchecked(operation: "read" | "write", keyName: string, err: unknown, served: string): boolean {
    const serve = this.options.failurePolicy === "serve";
    this.storeFailed(operation, keyName, err, serve ? served : "request refused");
    return serve;
  }

  /** Logged at error level (an operator must look) and counted: the `UsageStoreFailures` alarm watches it. */
  private storeFailed(operation: "read" | "write", keyName: string, err: unknown, effect: string): void {
    this.options.metrics.usageStoreFailure(operation);
    this.view?.expireAll();
    // `cause` goes through the logger's allow-list serializer, like every other error the service logs.
    this.options.logger.error({ apiKey: keyName, operation, cause: err }, `usage store unavailable: ${effect}`);
  }
}

/** Whether the key has a token or dollar budget (keys without one are never read before Bedrock). */
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

/** What a cut stream is charged: the input estimate, and one token per output delta sent. */
function estimate(request: ChatRequest, deltas: number): TokenUsage {
  const inputTokens = estimateInputTokens(request);
  return { inputTokens, outputTokens: deltas, totalTokens: inputTokens + deltas };
}

/**
 * How long a task holds a key's charges before writing them, with budget views of at most `maxAgeMs`: half of it.
 * The task counts its own unwritten charges in every check, and other tasks already accept counters `maxAgeMs` old,
 * so holding costs them at most half that again; in return a key's streams ending within the hold share one write.
 */
export function chargeHoldMs(maxAgeMs: number): number {
  return Math.floor(maxAgeMs / 2);
}
