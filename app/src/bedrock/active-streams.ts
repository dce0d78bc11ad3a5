/**
 * Every `/stream` request that holds a Bedrock call, from the moment it calls Bedrock until its response ends.
 *
 * Why a registry: graceful shutdown has to know what is still running, wait for it, and then abort what is left
 * (each abort ends its client stream with an error line and cancels the billed Bedrock call).
 */
export interface Abortable {
  abort(reason: Error): void;
}

export class ActiveStreams {
  private readonly streams = new Set<Abortable>();
  private readonly idleWaiters = new Set<() => void>();

  get size(): number {
    return this.streams.size;
  }

  add(stream: Abortable): void {
    this.streams.add(stream);
  }

  delete(stream: Abortable): void {
    this.streams.delete(stream);
    if (this.streams.size === 0) {
      for (const wake of this.idleWaiters) wake();
      this.idleWaiters.clear();
    }
  }

  /** Resolves true once no stream is active, or false when `timeoutMs` passes first. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.streams.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.idleWaiters.delete(wake);
        resolve(false);
      }, timeoutMs);
      this.idleWaiters.add(wake);
    });
  }

  /** Aborts every active stream with `reason` (each removes itself from the registry when it has finished). */
  abortAll(reason: () => Error): void {
    for (const stream of [...this.streams]) stream.abort(reason());
  }
}
