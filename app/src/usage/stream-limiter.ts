import { randomBytes } from "node:crypto";
import type { Caller } from "./keys";
import type { StreamLeases } from "./stream-leases";

/** How long a lease lives unless renewed: what a crashed task's streams go on counting for at most. */
export const LEASE_TTL_MS = 60_000;
/** Renewed at a third of their life: two renewals in a row may fail (a store blip) before a live lease expires. */
const RENEWALS_PER_TTL = 3;

/** One stream's slot; `release` frees it (once, whatever the ending). */
export interface StreamLease {
  release(): void;
}

export interface StreamLimiterHooks {
  clock: () => Date;
  /** `LEASE_TTL_MS`; tests shorten it to see leases renewed. */
  ttlMs: number;
  /** A key at its limit was refused (the `ConcurrencyRefusals` metric). */
  refused(keyName: string): void;
  /** The store failed a lease operation (the caller logs and counts it; an acquisition's caller applies the policy). */
  failed(operation: "acquire" | "renew" | "release", keyName: string, err: unknown): void;
}

interface Waiter {
  id: string;
  limit: number;
  resolve(lease: StreamLease | false): void;
  reject(err: unknown): void;
}

/**
 * Per-key limits on streams in flight (`maxConcurrentStreams`), across tasks through {@link StreamLeases}. A key
 * without a limit costs nothing: no lease, no store round trip. A key's acquisitions leave one write at a time, those
 * arriving meanwhile together in the next (an agent swarm's burst costs a few writes, not one each). This task renews the leases of its streams still
 * running every `ttlMs / 3`, one write per key, and releases each when its stream ends.
 */
export class StreamLimiter {
  /** Leases this task holds, by key name. */
  private readonly heldIds = new Map<string, Set<string>>();
  /** Acquisitions waiting for the key's write in flight, and the keys with one in flight. */
  private readonly queued = new Map<string, Waiter[]>();
  private readonly acquiring = new Set<string>();
  private readonly writes = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly leases: StreamLeases,
    private readonly hooks: StreamLimiterHooks,
  ) {}

  /**
   * A lease for one of the caller's streams: undefined when the key has no limit; false when the key is at its limit
   * (counted as a refusal); throws what the store threw (after reporting it) when it cannot be reached.
   */
  acquire(caller: Caller): Promise<StreamLease | undefined | false> {
    const limit = caller.maxConcurrentStreams;
    if (limit === undefined) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
      const queue = this.queued.get(caller.name) ?? [];
      this.queued.set(caller.name, queue);
      queue.push({ id: randomBytes(8).toString("base64url"), limit, resolve, reject });
      if (!this.acquiring.has(caller.name)) void this.acquireQueued(caller.name);
    });
  }

  /**
   * Sends the key's queued acquisitions in one write (the store grants a prefix of them), then those queued
   * meanwhile, until none is left: one acquisition in flight per key and task.
   */
  private async acquireQueued(name: string): Promise<void> {
    this.acquiring.add(name);
    try {
      for (let batch = this.takeQueued(name); batch.length > 0; batch = this.takeQueued(name)) {
        const now = this.hooks.clock().getTime();
        let granted: Set<string>;
        try {
          // Every request of a key carries the key's one configured limit.
          const ids = batch.map((waiter) => waiter.id);
          granted = new Set(await this.leases.acquire(name, ids, batch[0].limit, now, now + this.hooks.ttlMs));
        } catch (err) {
          this.hooks.failed("acquire", name, err);
          for (const waiter of batch) waiter.reject(err);
          continue;
        }
        for (const waiter of batch) {
          if (granted.has(waiter.id)) {
            waiter.resolve(this.held(name, waiter.id));
          } else {
            this.hooks.refused(name);
            waiter.resolve(false);
          }
        }
      }
    } finally {
      this.acquiring.delete(name);
    }
  }

  private takeQueued(name: string): Waiter[] {
    const queue = this.queued.get(name) ?? [];
    this.queued.delete(name);
    return queue;
  }

  /** Notes a lease as this task's (renewed until released) and answers its handle. */
  private held(name: string, id: string): StreamLease {
    const ids = this.heldIds.get(name) ?? new Set<string>();
    this.heldIds.set(name, ids.add(id));
    this.timer ??= setInterval(() => this.renewAll(), this.hooks.ttlMs / RENEWALS_PER_TTL).unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        ids.delete(id);
        if (ids.size === 0 && this.heldIds.get(name) === ids) this.heldIds.delete(name);
        this.track(this.leases.release(name, id), "release", name);
      },
    };
  }

  /** Resolves once no renewal or release is on its way. */
  async idle(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  /** Stops renewing (shutdown: the streams have ended, their releases are under way). */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private renewAll(): void {
    const expiresAt = this.hooks.clock().getTime() + this.hooks.ttlMs;
    for (const [name, ids] of this.heldIds) this.track(this.leases.renew(name, [...ids], expiresAt), "renew", name);
  }

  private track(write: Promise<void>, operation: "renew" | "release", keyName: string): void {
    // A failed release leaves the lease to expire; a failed renewal is tried again at the next round.
    const done = write.catch((err: unknown) => this.hooks.failed(operation, keyName, err)).finally(() => this.writes.delete(done));
    this.writes.add(done);
  }
}
