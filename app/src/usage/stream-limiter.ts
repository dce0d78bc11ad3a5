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

/**
 * Per-key limits on streams in flight (`maxConcurrentStreams`), across tasks through {@link StreamLeases}. A key
 * without a limit costs nothing: no lease, no store round trip. This task renews the leases of its streams still
 * running every `ttlMs / 3`, one write per key, and releases each when its stream ends.
 */
export class StreamLimiter {
  /** Leases this task holds, by key name. */
  private readonly held = new Map<string, Set<string>>();
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
  async acquire(caller: Caller): Promise<StreamLease | undefined | false> {
    const limit = caller.maxConcurrentStreams;
    if (limit === undefined) return undefined;
    const { name } = caller;
    const id = randomBytes(8).toString("base64url");
    const now = this.hooks.clock().getTime();
    let acquired: boolean;
    try {
      acquired = await this.leases.acquire(name, id, limit, now, now + this.hooks.ttlMs);
    } catch (err) {
      this.hooks.failed("acquire", name, err);
      throw err;
    }
    if (!acquired) {
      this.hooks.refused(name);
      return false;
    }
    const ids = this.held.get(name) ?? new Set<string>();
    this.held.set(name, ids.add(id));
    this.timer ??= setInterval(() => this.renewAll(), this.hooks.ttlMs / RENEWALS_PER_TTL).unref();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        ids.delete(id);
        if (ids.size === 0 && this.held.get(name) === ids) this.held.delete(name);
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
    for (const [name, ids] of this.held) this.track(this.leases.renew(name, [...ids], expiresAt), "renew", name);
  }

  private track(write: Promise<void>, operation: "renew" | "release", keyName: string): void {
    // A failed release leaves the lease to expire; a failed renewal is tried again at the next round.
    const done = write.catch((err: unknown) => this.hooks.failed(operation, keyName, err)).finally(() => this.writes.delete(done));
    this.writes.add(done);
  }
}
