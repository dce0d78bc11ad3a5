/**
 * A byte budget shared by the requests in flight, with a first-come-first-served line of bounded wait: a request
 * that does not fit waits (a bounded time) for earlier ones to give memory back instead of being refused at
 * once. A waiting request holds a connection and nothing else: its body is not read until it is let in.
 */
export class MemoryBudget {
  private reserved = 0;
  private readonly line: Array<{ cost: number; admit: () => void }> = [];

  constructor(readonly capacityBytes: number) {}

  /**
   * Resolves true once `cost` bytes are reserved (call {@link release} with the same cost later), false when they
   * did not become free within `maxWaitMs` or `gone` fired first (the client left). A lone request always fits: a body
   * limit larger than the budget must not refuse everything.
   */
  async reserve(cost: number, maxWaitMs: number, gone: AbortSignal): Promise<boolean> {
    if (this.line.length === 0 && this.fits(cost)) {
      this.reserved += cost;
      return true;
    }
    if (maxWaitMs <= 0 || gone.aborted) return false;
    return new Promise((resolve) => {
      const entry = { cost, admit: () => settle(true) };
      const settle = (admitted: boolean) => {
        clearTimeout(timer);
        gone.removeEventListener("abort", leave);
        const at = this.line.indexOf(entry);
        if (at >= 0) this.line.splice(at, 1);
        if (admitted) this.reserved += cost;
        resolve(admitted);
        // One that leaves the head of the line may let smaller ones behind it in.
        if (!admitted && at === 0) this.admitWaiting();
      };
      const leave = () => settle(false);
      const timer = setTimeout(leave, maxWaitMs);
      gone.addEventListener("abort", leave, { once: true });
      this.line.push(entry);
    });
  }

  release(cost: number): void {
    this.reserved -= cost;
    this.admitWaiting();
  }

  /** Lets waiting requests in, in arrival order, while the first one fits. */
  private admitWaiting(): void {
    while (this.line.length > 0 && this.fits(this.line[0].cost)) this.line[0].admit();
  }

  private fits(cost: number): boolean {
    return this.reserved === 0 || this.reserved + cost <= this.capacityBytes;
  }
}
