import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ENV, GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { SETTINGS } from "../src/settings";
import type { ApiKeys, KeyLimits } from "../src/usage/keys";
import { type CpuPlan, measureCpuSideBySide, type ServerUnderTest } from "./budgets-cpu";
import { type BenchContext, withServer, withUpstream } from "./context";
import { TASK_HEAP } from "./plan";
import { builtServerEntry, runBench, startUsageTable } from "./processes";
import { round } from "./stats";

/**
 * `npx tsx app/bench/spend-cpu.ts [--streams 100] [--rounds 6] [--tokens 100] [--keys 10]` after `npm run build`:
 * issue 25's figure on its own. CPU per streamed token of the production bundle with dollar budgets on (`usd`: keys
 * with `usdPerDay` and `usdPerMonth` beside their token budgets) against token budgets alone (`tokens`), and a second
 * token-only server (`control`: how far two identical servers differ in this run). All three meter against one usage
 * table (dynalite in its own process), with limits that never refuse, and are loaded at once in every round, which
 * one starts first rotating (budgets-cpu.ts), so the machine's load weighs on all alike. Target: usd/tokens <= 1.02.
 */
const MODES = ["usd", "tokens", "control"] as const;
type Mode = (typeof MODES)[number];
const TARGET_RATIO = 1.02;

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values } = parseArgs({
    options: {
      streams: { type: "string", default: "100" },
      rounds: { type: "string", default: "6" },
      tokens: { type: "string", default: "100" },
      keys: { type: "string", default: "10" },
      out: { type: "string", default: "bench-results" },
    },
  });
  const entry = builtServerEntry();
  const logsDir = path.resolve(values.out!, "logs");
  mkdirSync(logsDir, { recursive: true });
  const ctx: BenchContext = { quick: false, entries: { ours: entry, baseline: entry, oursSdkDefault: entry }, logsDir, nodeArgs: TASK_HEAP.nodeArgs };
  const streams = Number(values.streams);
  const plan: CpuPlan = {
    streams,
    // A multiple of the servers' number gives each every place in the start order equally often.
    rounds: Math.max(1, Math.round(Number(values.rounds) / MODES.length)) * MODES.length,
    // 200 arrivals a second per server, as the budgets phase (bench/plan.ts).
    rampMs: (streams / 200) * 1000,
    settleMs: SETTINGS.budgetReadMaxAgeMs.default,
    pacing: { firstTokenMs: 50, tokensPerSecond: 20, tokens: Number(values.tokens) },
  };
  const ids = Array.from({ length: Number(values.keys) }, (_, i) => `bench-key-id-${i}`);
  const never = Number.MAX_SAFE_INTEGER;
  const keysWith = (extra: Partial<KeyLimits>): ApiKeys =>
    Object.fromEntries(ids.map((id, i) => [id, { name: `bench-${i}`, tokensPerDay: never, tokensPerMonth: never, ...extra }]));
  const store = await startUsageTable(path.join(logsDir, "spend-usage-table.log"));
  try {
    const envOf = (keys: ApiKeys): NodeJS.ProcessEnv => ({
      [ENV.usageTableName]: store.tableName,
      [ENV.dynamodbEndpoint]: store.url,
      [ENV.apiKeys]: JSON.stringify(keys),
      [ENV.budgetReadMaxAgeMs]: String(SETTINGS.budgetReadMaxAgeMs.default),
    });
    const env: Record<Mode, NodeJS.ProcessEnv> = {
      usd: envOf(keysWith({ usdPerDay: 1_000_000_000, usdPerMonth: 1_000_000_000 })),
      tokens: envOf(keysWith({})),
      control: envOf(keysWith({})),
    };
    const headers = (index: number) => ({ [GATEWAY_API_KEY_ID_HEADER]: ids[index % ids.length] });
    console.log(`spend CPU: ${plan.streams} streams per server, ${plan.rounds} rounds, ${plan.pacing.tokens} tokens a stream, ${ids.length} keys`);
    const figures = await withUpstream(ctx, "spend-cpu", plan.pacing, (upstream) => {
      const started = {} as Record<Mode, ServerUnderTest>;
      const next = ([mode, ...rest]: readonly Mode[]): ReturnType<typeof measureCpuSideBySide<Mode>> =>
        mode === undefined
          ? measureCpuSideBySide(plan, started)
          : withServer(ctx, "ours", `spend-cpu-${mode}`, upstream.url, (server) => {
              started[mode] = { url: server.url, pid: server.pid, headers };
              return next(rest);
            }, { env: env[mode] });
      return next(MODES);
    });
    const ratio = (mode: Mode) => round(figures.cpuPerTokenUs[mode] / figures.cpuPerTokenUs.tokens, 3);
    for (const mode of MODES) {
      console.log(`  ${mode.padEnd(8)} ${figures.cpuPerTokenUs[mode]} µs CPU/token (rounds: ${figures.roundsCpuPerTokenUs[mode].join(", ")}); ` +
        `${figures.completedExact[mode]}/${plan.streams * plan.rounds} exact streams`);
    }
    console.log(`  usd / tokens: ${ratio("usd")}x (target <= ${TARGET_RATIO}x); control / tokens: ${ratio("control")}x (the run's resolution)`);
    console.log(`  listen overflows: ${figures.listenOverflows}; load generator p99 event-loop delay: ${figures.clientDelayP99Ms} ms`);
    if (figures.problems.length > 0) console.log(`  problems: ${figures.problems.join("; ")}`);
    return figures.problems.length === 0 && ratio("usd") <= TARGET_RATIO ? 0 : 1;
  } finally {
    await store.stop();
  }
}

runBench(main);
