import type { IncomingHttpHeaders } from "node:http";
import type { Logger } from "pino";
import type { StreamSummary } from "../bedrock/chat-events";
import type { ChatRequest } from "../bedrock/chat-request";
import { ApiError } from "../http/errors";
import type { RequestRecord } from "../http/request-record";
import type { ServiceMetrics } from "../metrics/service-metrics";
import { GATEWAY_API_KEY_ID_HEADER } from "../runtime-contract";
import { BudgetView } from "./budget-view";
import { ChargeWriter } from "./charge-writer";
import type { ModelPrices } from "./cost";
import type { FailurePolicy } from "./key-schema";
import { type ApiKeys, type Caller, identify } from "./keys";
import { type Charge, tokensOf, type UsageStore } from "./store";
import { requestCharge } from "./request-charge";
import { MinuteBudget } from "./minute-budget";
import { storeUnavailable } from "./refusals";
import { Admission, policyEffect } from "./admission";
import { readUsageReport, type UsageReport } from "./usage-report";
import type { StreamLeases } from "./stream-leases";
import { LEASE_TTL_MS, type StreamLease, StreamLimiter } from "./stream-limiter";
import { minuteAt, windowsAt } from "./windows";


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

/**
 * Per-key limits and metering: identifies the caller, refuses a key over a token or dollar budget of its minute, day
 * or month, or at its limit of streams in flight, before Bedrock is called (429, `Retry-After`; admission.ts), and charges
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
  private readonly admission: Admission | undefined;
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
        failed: (operation, keyName, err) => this.storeFailed("write", keyName, err, LEASE_FAILURE_EFFECTS[operation](options.failurePolicy)),
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
    this.admission = new Admission({
      view: this.view, minutes: this.minutes, streams: this.streams, clock, failurePolicy: options.failurePolicy,
      storeFailed: (operation, keyName, err, effect) => this.storeFailed(operation, keyName, err, effect),
    });
  }

  /** The caller of a request, from the key-id header API Gateway sets; noted on the record for logs and metrics. */
  identify(headers: IncomingHttpHeaders, record: RequestRecord): Caller {
    const raw = headers[GATEWAY_API_KEY_ID_HEADER];
    const caller = identify(this.options.keys, typeof raw === "string" ? raw.trim() : undefined);
    record.apiKeyName = caller.name;
    return caller;
  }

  /** Over a budget: 429 (admission.ts). Only keys with budgets are read. */
  async admit(caller: Caller): Promise<void> {
    await this.admission?.admit(caller);
  }

  /** {@link admit}, then a lease on one of the key's streams in flight if it has a limit (released by the caller). */
  async admitStream(caller: Caller): Promise<StreamLease | undefined> {
    return this.admission?.admitStream(caller);
  }

  /** Charges a finished request what request-charge.ts makes of its outcome, to its day, month and minute. Never throws. */
  settle(record: RequestRecord, caller: Caller, outcome: Outcome): void {
    const counters = requestCharge(record, outcome, this.options.modelPrices);
    if (!this.charges) return;
    const modelId = record.model;
    const charge: Charge = { ...counters, models: modelId ? { [modelId]: counters } : undefined };
    const now = this.clock();
    this.charges.add(caller.name, windowsAt(now), charge);
    if (caller.tokensPerMinute !== undefined) this.minutes?.charge(caller.name, minuteAt(now), tokensOf(counters));
  }

  /** The caller's own counters and limits for the current day and month, and minute if it has a per-minute limit. */
  async report(caller: Caller): Promise<UsageReport> {
    const store = this.options.store;
    if (!store) throw new ApiError(404, "usage_not_enabled", "Usage metering is not enabled on this deployment");
    try {
      return await readUsageReport(caller, this.clock(), { store, view: this.view, charges: this.charges, minutes: this.minutes });
    } catch (err) {
      this.storeFailed("read", caller.name, err, "usage not reported");
      throw storeUnavailable("Usage cannot be read right now", err);
    }
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

  /** Logged at error level (an operator must look) and counted: the `UsageStoreFailures` alarm watches it. */
  private storeFailed(operation: "read" | "write", keyName: string, err: unknown, effect: string): void {
    this.options.metrics.usageStoreFailure(operation);
    this.view?.expireAll();
    // `cause` goes through the logger's allow-list serializer, like every other error the service logs.
    this.options.logger.error({ apiKey: keyName, operation, cause: err }, `usage store unavailable: ${effect}`);
  }
}

/** What a lease operation the store failed did (logged with the failure). */
const LEASE_FAILURE_EFFECTS = {
  acquire: (policy: FailurePolicy) => policyEffect(policy, "stream served without a concurrency lease"),
  renew: () => "stream leases not renewed",
  release: () => "stream lease left to expire",
} as const;

/**
 * How long a task holds a key's charges before writing them, with budget views of at most `maxAgeMs`: half of it.
 * The task counts its own unwritten charges in every check, and other tasks already accept counters `maxAgeMs` old,
 * so holding costs them at most half that again; in return a key's streams ending within the hold share one write.
 */
export function chargeHoldMs(maxAgeMs: number): number {
  return Math.floor(maxAgeMs / 2);
}
