import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { measureFormatConcurrency } from "./concurrency";
import type { BenchContext } from "./context";
import { builtServerEntry, REPO_ROOT, runBench } from "./processes";
import { round } from "./stats";
import { type BenchFormat, NDJSON, OTHER_FORMATS } from "./wire-formats";

/**
 * `npx tsx app/bench/formats-phase.ts [--format responses] [--streams 500] [--tokens 60]`: only the wire-formats
 * phase of `npm run bench`, for one format: NDJSON, the format, NDJSON again, each at `streams` concurrent paced
 * streams on a fresh server, and the format's CPU per token against the mean of the two NDJSON runs beside it (the
 * full bench's comparison, at a size a shared machine can afford). Needs `npm run build` first.
 */
async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values } = parseArgs({
    options: {
      format: { type: "string", default: "responses" },
      streams: { type: "string", default: "500" },
      tokens: { type: "string", default: "60" },
      out: { type: "string", default: "bench-results" },
    },
  });
  const format = OTHER_FORMATS.find((candidate) => candidate.name === values.format);
  if (!format) throw new Error(`--format: one of ${OTHER_FORMATS.map((candidate) => candidate.name).join(", ")}`);
  const entry = builtServerEntry();
  const logsDir = path.resolve(REPO_ROOT, values.out, "logs");
  mkdirSync(logsDir, { recursive: true });
  const ctx: BenchContext = { quick: true, entries: { ours: entry, baseline: entry, oursSdkDefault: entry }, logsDir, nodeArgs: [] };
  const streams = Number(values.streams);
  const pacing = { firstTokenMs: 50, tokensPerSecond: 20, tokens: Number(values.tokens) };
  // 200 new streams a second, as in the full bench (faster arrivals overflow this machine's accept queues).
  const rampMs = (streams / 200) * 1000;
  const run = (measured: BenchFormat) => measureFormatConcurrency(ctx, { streams, rampMs, pacing, format: measured });
  process.stderr.write(`load average ${os.loadavg().map((value) => value.toFixed(2)).join(" ")}\n`);
  const before = await run(NDJSON);
  const measured = await run(format);
  const after = await run(NDJSON);
  const ndjsonUs = (before.cpuPerTokenUs + after.cpuPerTokenUs) / 2;
  const summary = (r: typeof before) => `${r.format}: ${r.completedExact}/${r.streams} exact, ${r.cpuPerTokenUs} µs CPU per token, added p99 gap ${r.addedGapP99Ms} ms`;
  for (const r of [before, measured, after]) console.log(summary(r), r.problems.slice(0, 2));
  console.log(`${format.name} / NDJSON CPU per token: ${round(measured.cpuPerTokenUs / ndjsonUs, 3)}x (target <= 1.15x)`);
  console.log(`load average after: ${os.loadavg().map((value) => value.toFixed(2)).join(" ")}`);
}

runBench(main);
