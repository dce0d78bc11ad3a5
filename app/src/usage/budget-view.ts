import { addUsed, COUNTER_NAMES, type Counters, type UsageStore, type Used } from "./store";
import { keyDay, type UsageWindow, type Windows } from "./windows";

/** Counters of one window as this task last saw them, and when (clock milliseconds). */
interface Seen {
  id: string;
  counters: Counters;
  at: number;
}

export interface BudgetViewOptions {
  /** `BUDGET_READ_MAX_AGE_MS`: 0 reads before every check; N answers from counters seen less than N ms ago. */
  maxAgeMs: number;
  clock: () => Date;
  /** This task's charges not written yet (charge-writer.ts): added to what was seen, so none is ever missed. */
  pending: (keyName: string, windows: Windows) => Used;
  /** A background refresh's read failed (nothing waited for it; the caller logs and counts it). */
  refreshFailed: (keyName: string, err: unknown) => void;
}

/**
 * How a budget check gets a key's counters. Concurrent checks of one key always share one read in flight: a check
 * that joins a read started a moment earlier sees what a request arriving at that moment would have seen.
 *
 * With `maxAgeMs` 0 that is all, and limits are as exact as a read per request makes them. With N > 0 each task
 * also keeps the counters it last saw per key, from reads and from the totals every charge's `UpdateItem` returns
 * (so a task that charges a key keeps its view fresh for free, other tasks' charges included), and answers a check
 * from them while they are less than N ms old, plus its own charges since. Counters only grow, so each sighting is a
 * lower bound of the truth: the view keeps the largest of each, and a view over a limit stays over it until its
 * window ends (answered without a read, however old). A check may thus miss only other tasks' charges of the last
 * N ms, and those they still hold (for N / 2 ms, meter.ts `chargeHoldMs`, plus a write of the key's in flight). A
 * read that races this task's write in flight may count that charge twice until the write answers: the error is
 * on the refusing side, and lasts a round trip. A check that finds a view past half its age still answers from it,
 * and has it read again in the background, so a key that sends a request at least every N / 2 ms never waits for a
 * read.
 */
export class BudgetView {
  private readonly reads = new Map<string, Promise<Used>>();
  private readonly seen = new Map<string, { day: Seen; month: Seen }>();

  constructor(
    private readonly store: UsageStore,
    private readonly options: BudgetViewOptions,
  ) {}

  /** The key's counters for a check; `over` tells whether counters are past a limit (then any age will do). */
  async used(keyName: string, windows: Windows, over: (used: Used) => boolean): Promise<Used> {
    const { maxAgeMs, clock } = this.options;
    if (maxAgeMs === 0) return this.sharedRead(keyName, windows);
    const known = this.known(keyName, windows);
    if (known && over(known.used)) return known.used;
    const age = known ? clock().getTime() - known.at : Number.POSITIVE_INFINITY;
    if (known && age < maxAgeMs) {
      if (age >= maxAgeMs / 2) this.refresh(keyName, windows);
      return known.used;
    }
    const read = await this.sharedRead(keyName, windows);
    return this.known(keyName, windows)?.used ?? read;
  }

  /**
   * Counters seen outside a check: the totals a charge's write returned (a read of its day and month made as the
   * write completed) or a `GET /usage` read. Nothing is kept when checks always read.
   */
  observe(keyName: string, windows: Windows, used: Used): void {
    if (this.options.maxAgeMs === 0) return;
    const at = this.options.clock().getTime();
    const last = this.seen.get(keyName);
    this.seen.set(keyName, {
      day: merge(last?.day, windows.day, used.day, at),
      month: merge(last?.month, windows.month, used.month, at),
    });
  }

  /**
   * The store just failed a call: every view counts as expired, so each key's next check reads and meets the failure
   * policy instead of trusting counters the store can no longer confirm. A view over a limit still refuses.
   */
  expireAll(): void {
    for (const view of this.seen.values()) view.day.at = view.month.at = Number.NEGATIVE_INFINITY;
  }

  private known(keyName: string, windows: Windows): { used: Used; at: number } | undefined {
    const last = this.seen.get(keyName);
    if (last?.day.id !== windows.day.id || last.month.id !== windows.month.id) return undefined;
    const seen = { day: last.day.counters, month: last.month.counters };
    return { used: addUsed(seen, this.options.pending(keyName, windows)), at: Math.min(last.day.at, last.month.at) };
  }

  /** Resolves once no read of the table is on its way (each settled: failures are the checks' and refreshes' to report). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.reads.values()]);
  }

  /** Reads a view again behind a check (unless a read of the key is already on its way); a failure is reported once. */
  private refresh(keyName: string, windows: Windows): void {
    if (this.reads.has(keyDay(keyName, windows))) return;
    this.sharedRead(keyName, windows).catch((err: unknown) => this.options.refreshFailed(keyName, err));
  }

  private sharedRead(keyName: string, windows: Windows): Promise<Used> {
    const id = keyDay(keyName, windows);
    let read = this.reads.get(id);
    if (!read) {
      // Seen before the read stops being shared: no check in between can miss both.
      read = this.store.read(keyName, windows)
        .then((used) => (this.observe(keyName, windows, used), used))
        .finally(() => this.reads.delete(id));
      this.reads.set(id, read);
    }
    return read;
  }
}

/**
 * A window's counters after a new sighting: the largest of each counter within one window (both are lower bounds);
 * a later window replaces an earlier one, and a sighting of an earlier window (a charge of yesterday written after
 * midnight) changes nothing.
 */
function merge(last: Seen | undefined, window: UsageWindow, counters: Counters, at: number): Seen {
  if (!last || window.id > last.id) return { id: window.id, counters: { ...counters }, at };
  if (window.id < last.id) return last;
  const merged = { ...last.counters };
  for (const name of COUNTER_NAMES) merged[name] = Math.max(merged[name], counters[name]);
  return { id: last.id, counters: merged, at: Math.max(last.at, at) };
}
