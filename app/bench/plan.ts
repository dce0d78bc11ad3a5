import type { FirstLinePlan } from "./first-line";
import type { UpstreamPacing } from "./processes";

/**
 * How much of everything one run measures. The full plan fits the figures in about four minutes on two
 * cores; `--quick` is a smoke run (about a minute) that exercises every phase with fewer, shorter samples.
 */
export interface BenchPlan {
  coldStartRuns: number;
  firstLine: FirstLinePlan[];
  concurrencyLevels: number[];
  /** Every concurrency stream: 20 tokens/s for 10 s (the load). */
  concurrencyPacing: UpstreamPacing;
  /** Stream starts are spread over this long. */
  rampMs: number;
}

export function planFor(quick: boolean): BenchPlan {
  return {
    coldStartRuns: quick ? 3 : 9,
    firstLine: [
      {
        // One stream at a time: nothing queues, so the figure is the service's own per-request path.
        label: "first-line-1",
        concurrency: 1,
        requestsPerClient: quick ? 60 : 400,
        warmupPerClient: quick ? 20 : 50,
        rampMs: 0,
        pacing: { firstTokenMs: 0, tokensPerSecond: 500, tokens: 5 },
      },
      {
        // 200 streams open at once, each a 1-second reply, new ones starting as others end.
        label: "first-line-200",
        concurrency: 200,
        requestsPerClient: quick ? 1 : 4,
        warmupPerClient: 1,
        rampMs: 1000,
        pacing: { firstTokenMs: 0, tokensPerSecond: 20, tokens: 20 },
      },
    ],
    concurrencyLevels: quick ? [100, 1000] : [100, 500, 1000],
    concurrencyPacing: { firstTokenMs: 50, tokensPerSecond: 20, tokens: quick ? 40 : 200 },
    rampMs: 1000,
  };
}
