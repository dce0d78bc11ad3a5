import { addModelCounters } from "./model-usage";
import { type Charge, COUNTER_NAMES, type UsageStore, type Used, zeroCounters } from "./store";
import { keyDay, type Windows } from "./windows";

export interface Batch {
  keyName: string;
  windows: Windows;
  charge: Charge;
}

export interface ChargeWriterOptions {
  /**
   * How long a key's first charge after a write waits for more before leaving (0: at once). Charges that arrive
   * meanwhile leave with it, in one `UpdateItem`. Only with budget views (budget-view.ts), where this task counts
   * its own unwritten charges and other tasks are allowed to see them late.
   */
  holdMs: number;
}

export interface ChargeWriterHooks {
  /** Called with a batch that could not be written; its charges are held and retried (the caller logs and counts it). */
  failed(batch: Batch, err: unknown): void;
  /** Called with charges given up on: more held than {@link MAX_HELD_BATCHES}, or still unwritten when a flush ended. */
  lost(batch: Batch): void;
  /**
   * When set, every write asks for the totals it produced and hands them here, in the same turn as the batch
   * leaves {@link ChargeWriter.pending}: at no moment is a written batch counted in neither, or in both.
   */
  written?(batch: Batch, totals: Used): void;
}

/**
 * Most key-days whose charges a task holds unwritten. Charges of one key and day add up in one batch, so this only
 * binds after an outage longer than a day with this many keys charged; the memory it bounds is a few hundred bytes a
 * batch.
 */
export const MAX_HELD_BATCHES = 10_000;
/** A failed batch is retried after this, doubling per failure in a row, up to {@link MAX_RETRY_DELAY_MS}. */
const FIRST_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 10_000;
/** While a flush waits out an outage: how long between its rounds of retries. */
const FLUSH_ROUND_MS = 250;

/**
 * Writes charges to the usage table one key and day at a time: while a key's write is in flight, the charges that
 * arrive for it add up in memory and leave together in one `UpdateItem` the moment that write has finished. With
 * `holdMs` 0 a lone charge is written at once (nothing waits for a timer); a burst of a key's streams ending together
 * costs a few writes instead of one each, which is most of the metering's CPU at high concurrency. With `holdMs` N a
 * key's charges leave at most once per N ms (and at once when {@link idle} is asked, as shutdown does).
 */
export class ChargeWriter {
  private readonly inFlight = new Map<string, { batch: Batch; done: Promise<void> }>();
  private readonly queued = new Map<string, Batch>();
  /** Queued batches still held (their timer has not fired): they leave when it does. */
  private readonly held = new Map<string, NodeJS.Timeout>();
  /** Key-days whose last write failed, with the failures in a row: their queued batch waits for a retry. */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly store: UsageStore,
    private readonly hooks: ChargeWriterHooks,
    private readonly options: ChargeWriterOptions = { holdMs: 0 },
  ) {}

  add(keyName: string, windows: Windows, charge: Charge): void {
    const id = keyDay(keyName, windows);
    const queued = this.queued.get(id);
    if (queued) {
      for (const name of COUNTER_NAMES) queued.charge[name] += charge[name];
      addModelCounters(queued.charge, charge);
      return;
    }
    const batch: Batch = { keyName, windows, charge: { ...charge, models: undefined } };
    addModelCounters(batch.charge, charge);
    if (this.queued.size >= MAX_HELD_BATCHES) return this.hooks.lost(batch);
    if (this.options.holdMs > 0) {
      this.queued.set(id, batch);
      this.held.set(id, setTimeout(() => this.release(id), this.options.holdMs));
    } else if (this.inFlight.has(id)) {
      this.queued.set(id, batch);
    } else {
      this.write(id, batch);
    }
  }

  /** A held batch may leave: now, or when the key's write in flight has finished. */
  private release(id: string): void {
    clearTimeout(this.held.get(id));
    this.held.delete(id);
    const queued = this.queued.get(id);
    if (!queued || this.inFlight.has(id)) return;
    this.queued.delete(id);
    this.write(id, queued);
  }

  /**
   * This task's charges of the key not yet written (queued or in flight; `unsentOnly`: queued only, i.e. certainly
   * not in the table yet): to `windows`' day, and to its month (including a previous day's charges still on their
   * way at the day's roll-over).
   */
  pending(keyName: string, windows: Windows, unsentOnly = false): Used {
    const used = { day: zeroCounters(), month: zeroCounters() };
    const count = ({ keyName: key, windows: at, charge }: Batch) => {
      if (key !== keyName || at.month.id !== windows.month.id) return;
      for (const name of COUNTER_NAMES) {
        used.month[name] += charge[name];
        if (at.day.id === windows.day.id) used.day[name] += charge[name];
      }
    };
    if (!unsentOnly) for (const { batch } of this.inFlight.values()) count(batch);
    for (const batch of this.queued.values()) count(batch);
    return used;
  }

  /**
   * Resolves once every charge added so far is written, or has failed and waits for its retry (batches of key-days
   * whose write failed are not released early: that is {@link flush}'s job).
   */
  async idle(): Promise<void> {
    // Charges added meanwhile (streams ending during shutdown) are held again: release them too.
    const waiting = () => [...this.held.keys()].filter((id) => !this.failures.has(id));
    while (this.inFlight.size > 0 || waiting().length > 0) {
      for (const id of waiting()) this.release(id);
      await Promise.all([...this.inFlight.values()].map(({ done }) => done));
    }
  }

  /**
   * Writes everything held, retrying failed batches every {@link FLUSH_ROUND_MS} until all are written or `timeoutMs`
   * has passed (shutdown: the store's outage outlasts the stop timeout); what is still unwritten then is lost.
   */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (const id of [...this.held.keys()]) this.release(id);
      await Promise.all([...this.inFlight.values()].map(({ done }) => done));
      if (this.queued.size === 0 || performance.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, Math.min(FLUSH_ROUND_MS, deadline - performance.now())));
    }
    for (const [id, batch] of this.queued) {
      clearTimeout(this.held.get(id));
      this.hooks.lost(batch);
    }
    this.queued.clear();
    this.held.clear();
    this.failures.clear();
  }

  /** A batch whose write failed goes back in front of the key-day's queue, to be retried after a backoff. */
  private retry(id: string, batch: Batch): void {
    const queued = this.queued.get(id);
    if (queued) {
      for (const name of COUNTER_NAMES) queued.charge[name] += batch.charge[name];
      addModelCounters(queued.charge, batch.charge);
    } else this.queued.set(id, batch);
    const failures = (this.failures.get(id) ?? 0) + 1;
    this.failures.set(id, failures);
    clearTimeout(this.held.get(id));
    const delay = Math.min(FIRST_RETRY_DELAY_MS * 2 ** (failures - 1), MAX_RETRY_DELAY_MS);
    // Unref'd: a pending retry must not keep a process alive by itself (shutdown flushes explicitly).
    this.held.set(id, setTimeout(() => this.release(id), delay).unref());
  }

  private write(id: string, batch: Batch): void {
    const { written, failed } = this.hooks;
    const request = written
      ? this.store.add(batch.keyName, batch.windows, batch.charge, true)
      : this.store.add(batch.keyName, batch.windows, batch.charge);
    // The key's next batch leaves in the same turn, so `pending` and `idle` never miss it between two writes.
    const next = () => {
      this.inFlight.delete(id);
      const queued = this.queued.get(id);
      if (!queued || this.held.has(id)) return;
      this.queued.delete(id);
      this.write(id, queued);
    };
    const done = request.then(
      (totals) => {
        this.failures.delete(id);
        next();
        if (totals) written?.(batch, totals);
      },
      (err: unknown) => {
        this.inFlight.delete(id);
        this.retry(id, batch);
        failed(batch, err);
      },
    );
    this.inFlight.set(id, { batch, done });
  }
}
