import { setTimeout as sleep } from "node:timers/promises";
import type { UpstreamCall } from "../bedrock/upstream-call";
import type { ResilienceMetrics } from "../metrics/resilience-metrics";
import type { Circuits } from "./circuit";
import { backoffMs, classifyFailure } from "./upstream-failures";

export interface StartOptions {
  /** `UPSTREAM_MAX_ATTEMPTS`: attempts per model before its chain moves on (1: no retry). */
  maxAttempts: number;
  /** `UPSTREAM_RETRY_BUDGET_MS`: no further attempt starts (nor waits) once this long has passed since the first. */
  retryBudgetMs: number;
  /** `MODEL_FALLBACKS`: served model -> the served models to try next, in order. */
  fallbacks: Readonly<Record<string, readonly string[]>>;
  /** `STRICT_MODELS`: a request that names its model is never moved to another. */
  strictModels: boolean;
  circuits: Circuits;
  metrics: ResilienceMetrics;
  random?: () => number;
}

/** How the stream was started: what answered, after how many attempts. */
export interface Started<T> {
  value: T;
  /** The model that accepted the call (the reply's `model`). */
  model: string;
  attempts: number;
}

/** What a request notes about its start for the log line, also when every attempt failed. */
export interface StartRecord {
  attempts?: number;
  /** The model the request was to use, when another one answered. */
  fallbackFrom?: string;
}

/**
 * Starts a Bedrock stream with our retries and fallbacks (the SDK's own are off: client.ts), all before the stream's
 * first event: a call that failed retryably (upstream-failures.ts) is tried again on the same model after a
 * jittered backoff, up to `maxAttempts`, then on the next model of the chain; a model whose circuit is open is
 * tried only after the others. Once `attempt` resolved (Bedrock sent the stream's first event) nothing here runs
 * again: a started stream is never retried. Every wait is a step of the call, so a client that leaves (or shutdown)
 * ends the loop at once.
 */
export class UpstreamStarter {
  constructor(private readonly options: StartOptions) {}

  /** The models a request for `model` may be answered by, in the order to try them. */
  chain(model: string, named: boolean): string[] {
    const { fallbacks, strictModels, circuits } = this.options;
    const next = Object.hasOwn(fallbacks, model) ? fallbacks[model] : undefined;
    if (!next || next.length === 0 || (named && strictModels)) return [model];
    const all = [...new Set([model, ...next])];
    // Open circuits last: still a way out when every other model refuses too.
    return [...all.filter((m) => !circuits.isOpen(m)), ...all.filter((m) => circuits.isOpen(m))];
  }

  async start<T>(
    call: UpstreamCall,
    requested: string,
    chain: readonly string[],
    attempt: (model: string) => Promise<T>,
    record: StartRecord,
  ): Promise<Started<T>> {
    const { maxAttempts, retryBudgetMs, circuits, metrics } = this.options;
    const random = this.options.random ?? Math.random;
    const deadline = performance.now() + retryBudgetMs;
    let attempts = 0;
    let failure: unknown;
    try {
      for (const model of chain) {
        for (let n = 1; n <= maxAttempts; n++) {
          if (attempts > 0) {
            const wait = n === 1 ? 0 : backoffMs(n, random);
            if (performance.now() + wait > deadline) throw failure;
            if (wait > 0) await call.upstream(sleep(wait, undefined, { signal: call.signal }));
          }
          attempts += 1;
          record.attempts = attempts;
          try {
            const value = await call.upstream(attempt(model));
            circuits.succeeded(model);
            if (model !== requested) {
              record.fallbackFrom = requested;
              metrics.fallback(requested, model);
            }
            return { value, model, attempts };
          } catch (err) {
            if (call.signal.aborted) throw err;
            const kind = classifyFailure(err);
            if (kind.throttled) circuits.throttled(model);
            if (!kind.retryable) throw err;
            failure = err;
            // This throttle opened the model's circuit: its remaining attempts go to the next model instead.
            if (circuits.isOpen(model) && model !== chain.at(-1)) break;
          }
        }
      }
      throw failure;
    } finally {
      if (attempts > 1) metrics.retries(requested, attempts - 1);
    }
  }
}
