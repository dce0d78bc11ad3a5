import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ENV, GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { SETTINGS } from "../src/settings";
import { measureCpuSideBySide, type ServerUnderTest } from "./budgets-cpu";
import { builtServerEntry, REPO_ROOT, runBench, startServer, startUpstream, startUsageTable } from "./processes";

/**
 * The cost-when-unused figure (issue 24; docs/resilience.md): CPU per streamed token of the production bundle with
 * the resilience features configured but not used against the same bundle without them, and a second server without
 * them as the control (how far two identical servers differ in this run). All three meter against one usage table
 * with the same key, and are loaded at once in every round (budgets-cpu.ts: the only way this shared machine gives
 * comparable figures). `configured`: a fallback chain for the default model, circuits on (5 throttles in 10 s),
 * 3 attempts in a 10 s retry budget, a guardrail the stand-in never triggers, and another key with
 * `maxConcurrentStreams` (the requests' key has none, so no lease is taken). `off`: 1 attempt, circuits off, no
 * chain, no guardrail. `tsx app/bench/unused-cost.ts [--streams 100] [--rounds 6]` after `npm run build`.
 */
const MODES = ["configured", "off", "control"] as const;
type Mode = (typeof MODES)[number];
const DEFAULT_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const SIBLING = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const KEY_ID = "bench-key-id";
/** 20 tokens a second for 5 s: the concurrency phase's rate, shorter. */
const PACING = { firstTokenMs: 200, tokensPerSecond: 20, tokens: 100 };
const ARRIVALS_PER_SECOND = 50;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { streams: { type: "string", default: "100" }, rounds: { type: "string", default: "6" } } });
  const streams = Number(values.streams);
  const rounds = Number(values.rounds);
  const logsDir = path.join(REPO_ROOT, "bench-results", "unused-cost");
  rmSync(logsDir, { recursive: true, force: true });
  mkdirSync(logsDir, { recursive: true });
  const upstream = await startUpstream(PACING, path.join(logsDir, "upstream.log"));
  const table = await startUsageTable(path.join(logsDir, "usage-table.log"));
  const keys = { [KEY_ID]: { name: "bench" }, "bench-swarm-key-id": { name: "swarm", maxConcurrentStreams: 20 } };
  const common = {
    [ENV.usageTableName]: table.tableName,
    [ENV.dynamodbEndpoint]: table.url,
    [ENV.apiKeys]: JSON.stringify(keys),
    MODEL_ID: DEFAULT_MODEL,
    ALLOWED_MODEL_IDS: SIBLING,
  };
  const off = { ...common, UPSTREAM_MAX_ATTEMPTS: "1", CIRCUIT_THROTTLES: "0", MODEL_FALLBACKS: "{}", GUARDRAIL: "{}" };
  const env: Record<Mode, NodeJS.ProcessEnv> = {
    configured: {
      ...common,
      UPSTREAM_MAX_ATTEMPTS: "3",
      UPSTREAM_RETRY_BUDGET_MS: "10000",
      CIRCUIT_THROTTLES: "5",
      MODEL_FALLBACKS: JSON.stringify({ [DEFAULT_MODEL]: [SIBLING] }),
      GUARDRAIL: JSON.stringify({ identifier: "benchguardrail1", version: "1" }),
    },
    off,
    control: off,
  };
  const entry = builtServerEntry();
  const targets = {} as Record<Mode, ServerUnderTest>;
  const servers: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const mode of MODES) {
      const server = await startServer({ entry, upstreamUrl: upstream.url, logFile: path.join(logsDir, `${mode}.log`), env: env[mode] });
      servers.push(server);
      targets[mode] = { url: server.url, pid: server.pid, headers: () => ({ [GATEWAY_API_KEY_ID_HEADER]: KEY_ID }) };
    }
    const cpu = await measureCpuSideBySide({
      streams,
      rounds,
      rampMs: (streams / ARRIVALS_PER_SECOND) * 1000,
      settleMs: SETTINGS.budgetReadMaxAgeMs.default,
      pacing: PACING,
    }, targets);
    const ratio = (mode: Mode) => Math.round((cpu.cpuPerTokenUs[mode] / cpu.cpuPerTokenUs.off) * 1000) / 1000;
    console.log(JSON.stringify({
      streamsPerServerPerRound: streams, rounds, tokensPerStream: PACING.tokens,
      cpuPerTokenUs: cpu.cpuPerTokenUs, roundsCpuPerTokenUs: cpu.roundsCpuPerTokenUs,
      completedExact: cpu.completedExact, problems: cpu.problems,
      configuredVsOff: ratio("configured"), controlVsOff: ratio("control"), target: 1.03,
      clientDelayP99Ms: cpu.clientDelayP99Ms, listenOverflows: cpu.listenOverflows,
    }, null, 2));
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await table.stop();
    await upstream.stop();
  }
}

runBench(main);
