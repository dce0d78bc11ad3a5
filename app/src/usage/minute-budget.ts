import type { UsageStore } from "./store";
import type { UsageWindow } from "./windows";

/**
 * Tokens per UTC minute (`tokensPerMinute`), kept apart from the day and month counters: a key's minute is its own
 * item (store.ts), read before each of the key's requests and added to when each ends. Checks of one key and minute
 * share one read in flight, and count this task's charges still on their way to the table, so a task never misses
 * its own. Like the daily budgets the limit is soft by the streams in flight: a charge lands when its stream ends.
 * A charge that fails is not retried (it is logged and counted): by the time the store answers again its minute
 * has usually passed.
 */
export class MinuteBudget {
  private readonly reads = new Map<string, Promise<number>>();
  /** Tokens of this task's charges being written, by key and minute. */
  private readonly unwritten = new Map<string, number>();
  private readonly writes = new Set<Promise<void>>();

  constructor(
    private readonly store: UsageStore,
    private readonly failed: (keyName: string, err: unknown) => void,
  ) {}

  /** The key's tokens in `minute`: the table's count plus this task's charges not written yet. */
  async used(keyName: string, minute: UsageWindow): Promise<number> {
    const id = `${keyName}\n${minute.id}`;
    let read = this.reads.get(id);
    if (!read) {
      read = this.store.readMinute(keyName, minute).finally(() => this.reads.delete(id));
      this.reads.set(id, read);
    }
    const stored = await read;
    return stored + (this.unwritten.get(id) ?? 0);
  }

  /** Adds a finished request's tokens to the key's minute (the write does not hold up the response). */
  charge(keyName: string, minute: UsageWindow, tokens: number): void {
    if (tokens <= 0) return;
    const id = `${keyName}\n${minute.id}`;
    const add = (delta: number) => {
      const left = (this.unwritten.get(id) ?? 0) + delta;
      if (left === 0) this.unwritten.delete(id);
      else this.unwritten.set(id, left);
    };
    add(tokens);
    const write = this.store.addMinute(keyName, minute, tokens)
      .catch((err: unknown) => this.failed(keyName, err))
      .finally(() => {
        add(-tokens);
        this.writes.delete(write);
      });
    this.writes.add(write);
  }

  /** Resolves once no read or write of a minute is on its way. */
  async idle(): Promise<void> {
    while (this.writes.size > 0 || this.reads.size > 0) {
      await Promise.allSettled([...this.writes, ...this.reads.values()]);
    }
  }
}
