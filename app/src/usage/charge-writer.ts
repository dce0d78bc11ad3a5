import { COUNTER_NAMES, type Counters, type UsageStore } from "./store";
import type { Windows } from "./windows";

interface Batch {
  keyName: string;
  windows: Windows;
  charge: Counters;
}

/**
 * Writes charges to the usage table one key and day at a time: while a key's write is in flight, the charges that
 * arrive for it add up in memory and leave together in one `UpdateItem` the moment that write has finished. A lone
 * charge is written at once (nothing waits for a timer); a burst of a key's streams ending together costs a few
 * writes instead of one each, which is most of the metering's CPU at high concurrency.
 */
export class ChargeWriter {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Batch>();

  constructor(
    private readonly store: UsageStore,
    /** Called with a batch that could not be written (its charges are lost; the caller logs and counts it). */
    private readonly onFailure: (batch: Batch, err: unknown) => void,
  ) {}

  add(keyName: string, windows: Windows, charge: Counters): void {
    const id = `${keyName}\n${windows.day.id}`;
    const queued = this.queued.get(id);
    if (queued) {
      for (const name of COUNTER_NAMES) queued.charge[name] += charge[name];
    } else if (this.inFlight.has(id)) {
      this.queued.set(id, { keyName, windows, charge: { ...charge } });
    } else {
      this.write(id, { keyName, windows, charge });
    }
  }

  /** Resolves once every charge added so far is written (or has failed and been reported). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight.values()]);
  }

  private write(id: string, batch: Batch): void {
    const done = this.store
      .add(batch.keyName, batch.windows, batch.charge)
      .catch((err: unknown) => this.onFailure(batch, err))
      .finally(() => {
        this.inFlight.delete(id);
        const next = this.queued.get(id);
        if (!next) return;
        this.queued.delete(id);
        this.write(id, next);
      });
    this.inFlight.set(id, done);
  }
}
