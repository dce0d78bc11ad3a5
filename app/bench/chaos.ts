import http from "node:http";
import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createChaos } from "../local/chaos";
import { startFakeBedrock } from "../local/fake-bedrock";
import { builtServerEntry, killAllChildren, REPO_ROOT, runBench, type ServerProcess, startServer } from "./processes";
import { loadAgent, promptFor, streamOnce, type StreamTiming } from "./stream-client";

/**
 * The chaos phase (issue 24; docs/resilience.md): the default model throttles 70% of every attempt (an exhausted
 * quota); one server has a two-model fallback chain, one the same models without it, and a control server calls an
 * untouched model. Rounds interleave the three, a round's streams all at once. Reports failures per server, the p99
 * time to first line the chain adds over the control, and the stand-in's count of streams retried after their first
 * byte. `tsx app/bench/chaos.ts [--streams 500] [--round 25]` after `npm run build`: `--streams` per server, in
 * rounds of `--round` per server (three times that in flight), all on 127.0.0.1. Without the chain a stream fails when
 * all of its `UPSTREAM_MAX_ATTEMPTS` (3) attempts are throttled: 0.7^3, about 34%, is the rate to expect.
 */
const DEFAULT_MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const FALLBACK = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const CONTROL = "eu.anthropic.claude-haiku-4-5-20251001-v1:0";
const SERVED = { MODEL_ID: DEFAULT_MODEL, ALLOWED_MODEL_IDS: `${FALLBACK},${CONTROL}` };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** A stream failed when it was not a 200 or its last line is an error. */
function failed(timing: StreamTiming): boolean {
  if (timing.status !== 200 || timing.error) return true;
  const last = timing.body.toString("utf8").trim().split("\n").at(-1) ?? "";
  return !last.includes('"done":true');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { streams: { type: "string", default: "500" }, round: { type: "string", default: "25" } } });
  const streams = Number(values.streams);
  const round = Number(values.round);
  const logsDir = path.join(REPO_ROOT, "bench-results", "chaos");
  mkdirSync(logsDir, { recursive: true });
  const chaos = createChaos({ throttleEveryAttempt: { [DEFAULT_MODEL]: 0.7 } });
  const fake = await startFakeBedrock({ pacing: { firstTokenMs: 200, interTokenMs: 20, tokenCount: 20 } });
  fake.setScenario(chaos.source());
  const entry = builtServerEntry();
  const start = (name: string, env: Record<string, string>) =>
    startServer({ entry, upstreamUrl: fake.url, logFile: path.join(logsDir, `${name}.log`), env: { ...SERVED, ...env } });
  const servers: Record<string, ServerProcess> = {
    chain: await start("chain", { MODEL_FALLBACKS: JSON.stringify({ [DEFAULT_MODEL]: [FALLBACK] }) }),
    noChain: await start("no-chain", {}),
    control: await start("control", { MODEL_ID: CONTROL, ALLOWED_MODEL_IDS: `${DEFAULT_MODEL},${FALLBACK}` }),
  };
  const agent: http.Agent = loadAgent();
  const loadBefore = os.loadavg().map((v) => Number(v.toFixed(2)));
  const startedAt = performance.now();
  const results: Record<string, StreamTiming[]> = { chain: [], noChain: [], control: [] };
  let next = 0;
  try {
    for (let done = 0; done < streams; done += round) {
      const size = Math.min(round, streams - done);
      // The three servers' streams of a round run together, started in turn, so every server meets the same
      // machine load (it is shared); each stream has its own prompt.
      const names = Object.keys(servers);
      const batch = Array.from({ length: size * names.length }, (_, k) => {
        const name = names[k % names.length];
        const i = next++;
        return streamOnce(agent, servers[name].url, `${promptFor(i)} #${i}`).then((timing) => void results[name].push(timing));
      });
      await Promise.all(batch);
    }
  } finally {
    agent.destroy();
    await Promise.all(Object.values(servers).map((server) => server.stop()));
    await fake.close();
    killAllChildren();
  }
  const ttfl = (name: string) => results[name].filter((t) => !failed(t) && t.arrivals.length > 0)
    .map((t) => t.arrivals[0].at - t.startedAt);
  const report = Object.fromEntries(Object.keys(results).map((name) => [name, {
    streams: results[name].length,
    failures: results[name].filter(failed).length,
    failureRate: `${((100 * results[name].filter(failed).length) / results[name].length).toFixed(2)}%`,
    p50FirstLineMs: Math.round(percentile(ttfl(name), 50)),
    p99FirstLineMs: Math.round(percentile(ttfl(name), 99)),
  }]));
  const addedP99Ms = Math.round(percentile(ttfl("chain"), 99) - percentile(ttfl("control"), 99));
  const machine = { cpus: os.cpus().length, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg().map((v) => Number(v.toFixed(2))),
    seconds: Math.round((performance.now() - startedAt) / 1000) };
  const retried = Object.values(chaos.retriedAfterFirstByte).reduce((sum, n) => sum + n, 0);
  console.log(JSON.stringify({ report, addedP99FirstLineMs: addedP99Ms, retriedAfterFirstByte: retried, retriedByModel: chaos.retriedAfterFirstByte,
    throttled: chaos.throttled, streamed: chaos.streamed, machine }, null, 2));
}

runBench(main);
