import type { AgentPlan } from "./agents";
import { BUDGET_MODES, type BudgetsPlan } from "./budgets";
import type { HeapSettings } from "./concurrency";
import type { FirstLinePlan } from "./first-line";
import type { UpstreamPacing } from "./processes";
import { taskNodeOptions } from "../src/runtime-contract";
import { SETTINGS } from "../src/settings";

/**
 * How much of everything one run measures. The full plan takes about nine minutes on two cores (half of it the
 * budgets phase); `--quick` is a smoke run (about two minutes) that exercises every phase with fewer, shorter
 * samples.
 */

/**
 * The V8 heap of the service's default Fargate task (512 MiB; infra/config.ts): the task definition sets
 * `NODE_OPTIONS` from `taskNodeOptions(memory)`, so the benchmark runs the same flags. On this 24 GB host V8 left to
 * itself would allow ~4 GiB and collect much later, so peak RSS and GC CPU differ; the report shows the
 * 1,000-stream run both ways.
 */
export const TASK_HEAP: HeapSettings = {
  name: "512 MiB task heap",
  nodeArgs: taskNodeOptions(512).split(" "),
};

export interface ConcurrencyLevel {
  streams: number;
  heap?: HeapSettings;
}

export interface BenchPlan {
  coldStartRuns: number;
  firstLine: FirstLinePlan[];
  concurrencyLevels: ConcurrencyLevel[];
  /** Every concurrency stream: 20 tokens/s for 10 s (the load). */
  concurrencyPacing: UpstreamPacing;
  /**
   * New streams per second while a concurrency run ramps up. Each stream is a new client connection and, for the
   * baseline (the SDK gives every event stream its own HTTP/2 session), a new upstream connection too: at 1,000
   * arrivals per second this 2-core machine (servers, stand-in and load generator together) overflows accept queues
   * and the kernel's SYN retransmits (1 s, 3 s) would be measured instead of the servers. 200/s puts 1,000 streams up
   * in 5 s, all of them then streaming together for the other half of their 10 s.
   */
  arrivalsPerSecond: number;
  /** Our other wire formats (when served) run at this many streams, against NDJSON's run at the same level. */
  formatStreams: number;
  agents: AgentPlan;
  /**
   * Token budgets on (as deployed by default, and with exact checks) against off and a second budgets-off server
   * (the control): first line at the levels above, CPU per token at 200 streams of the paced load on each server.
   */
  budgets: BudgetsPlan;
}

export function planFor(quick: boolean): BenchPlan {
  const plan: Omit<BenchPlan, "budgets"> = {
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
    concurrencyLevels: quick
      ? [{ streams: 100 }, { streams: 500 }, { streams: 500, heap: TASK_HEAP }]
      : [{ streams: 100 }, { streams: 500 }, { streams: 1000 }, { streams: 1000, heap: TASK_HEAP }],
    concurrencyPacing: { firstTokenMs: 50, tokensPerSecond: 20, tokens: quick ? 60 : 200 },
    arrivalsPerSecond: 200,
    formatStreams: 500,
    agents: {
      clients: 16,
      warmupPerClient: 3,
      rounds: quick ? 2 : 6,
      perClientPerRound: quick ? 4 : 8,
      // ~24 KB of context: a long prompt, well under the service's body limit (BODY_LIMIT_BYTES, 5 MiB).
      promptChars: 24_000,
      // 12 tokens (5-20), first after 10 ms, then 2 ms apart: short, fast calls.
      pacing: { firstTokenMs: 10, tokensPerSecond: 500, tokens: 12 },
    },
  };
  const budgetStreams = 200;
  return {
    ...plan,
    budgets: {
      keys: 10,
      // At 200 streams, 4 rounds (800 samples a server) left the p99 moving by several ms from run to run: a server
      // with no store read on its path missed "off + 5 ms" once in three such runs. 12 rounds settle it.
      firstLine: plan.firstLine.map((level) => (level.concurrency === 1 ? level : { ...level, requestsPerClient: quick ? 1 : 12 })),
      // Every round loads all the servers at once (budgets-cpu.ts), which one takes the first arrival rotating: a
      // multiple of their number gives each every place equally often. Each server gets its streams at
      // `arrivalsPerSecond`, as in every other phase: 20 requests a second per key. The default's saving depends on
      // that rate (docs/performance.md, "Token budgets on vs off"): spread over 4 s (5 a second per key) it measured 1.10x instead of 1.03x.
      cpu: {
        streams: budgetStreams,
        rounds: (quick ? 1 : 2) * BUDGET_MODES.length,
        rampMs: (budgetStreams / plan.arrivalsPerSecond) * 1000,
        // A budgets-on server writes its last held charges half its staleness after its last stream, plus a round trip.
        settleMs: SETTINGS.budgetReadMaxAgeMs.default,
        pacing: plan.concurrencyPacing,
      },
    },
  };
}
