/**
 * A circuit per model, per task: after `throttles` throttling answers within `windowMs`, the model's circuit opens
 * for `coolOffMs`, and new requests start on the next model of their chain instead of spending their first
 * attempts (and Bedrock's quota) on a model that is refusing. Once the cool-off has passed, the next request tries
 * the model again (half open): a success closes the circuit, another throttle opens it for a new cool-off.
 *
 * The state is this task's own (no store round trip): every task learns the same from Bedrock within N throttles.
 */
export interface CircuitOptions {
  /** Throttles within the window that open a circuit; 0 turns circuits off. */
  throttles: number;
  windowMs: number;
  coolOffMs: number;
  /** Told when a model's circuit opens or closes (metrics, log). */
  changed?: (model: string, state: "open" | "closed") => void;
  now?: () => number;
}

interface ModelState {
  /** Times of the recent throttles, oldest first (at most `throttles` kept). */
  recent: number[];
  /** While open: when the cool-off ends. */
  openUntil?: number;
}

export class Circuits {
  private readonly models = new Map<string, ModelState>();
  private readonly now: () => number;

  constructor(private readonly options: CircuitOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether new requests should skip `model` for now (open and still cooling off). */
  isOpen(model: string): boolean {
    const openUntil = this.models.get(model)?.openUntil;
    return openUntil !== undefined && this.now() < openUntil;
  }

  /** Bedrock throttled a call to `model`. */
  throttled(model: string): void {
    const { throttles, windowMs, coolOffMs } = this.options;
    if (throttles === 0) return;
    const now = this.now();
    let state = this.models.get(model);
    if (!state) this.models.set(model, (state = { recent: [] }));
    if (state.openUntil !== undefined) {
      // Half open (cool-off over) and throttled again: a new cool-off; while still open nothing changes.
      if (now >= state.openUntil) state.openUntil = now + coolOffMs;
      return;
    }
    state.recent.push(now);
    while (state.recent.length > 0 && (state.recent.length > throttles || now - state.recent[0] > windowMs)) {
      state.recent.shift();
    }
    if (state.recent.length >= throttles) {
      state.openUntil = now + coolOffMs;
      state.recent = [];
      this.options.changed?.(model, "open");
    }
  }

  /** A call to `model` was accepted: an open circuit (tried after its cool-off) closes. */
  succeeded(model: string): void {
    const state = this.models.get(model);
    if (state?.openUntil === undefined) return;
    state.openUntil = undefined;
    this.options.changed?.(model, "closed");
  }
}
