import { mkdirSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { measureFormatConcurrency } from "./concurrency";
import type { BenchContext } from "./context";
import { planFor } from "./plan";
import { ANTHROPIC, type BenchFormat, NDJSON } from "./wire-formats";

/**
 * The Anthropic route's CPU per token at N concurrent streams (Claude's native path: the default model is a Claude
 * model) against NDJSON's in the same run, NDJSON measured right before and after: the full bench's formats phase on
 * its own, for a quick figure (`tsx app/bench/anthropic-cpu.ts --streams 500 --tokens 60` after `npm run build`).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { streams: { type: "string", default: "500" }, tokens: { type: "string", default: "200" }, out: { type: "string", default: "bench-results" } },
  });
  const plan = planFor(false);
  const streams = Number(values.streams);
  const pacing = { ...plan.concurrencyPacing, tokens: Number(values.tokens) };
  const logsDir = path.resolve(values.out!, "logs");
  mkdirSync(logsDir, { recursive: true });
  const ours = path.resolve("app", "dist", "server.js");
  const ctx: BenchContext = { quick: false, entries: { ours, baseline: ours, oursSdkDefault: ours }, logsDir, nodeArgs: [] };
  const rampMs = (streams / plan.arrivalsPerSecond) * 1000;
  const run = async (format: BenchFormat) => {
    const result = await measureFormatConcurrency(ctx, { streams, rampMs, pacing, format });
    // How many streams completed exactly matters as much: a stream cut short (a 499) also costs less CPU per token.
    const problems = result.problems.length > 0 ? `; problems: ${result.problems.join(" | ")}` : "";
    console.log(`${format.name}: ${result.cpuPerTokenUs} us CPU per token (${result.cpuMs} ms CPU), ${result.completedExact}/${streams} exact${problems}`);
    return result.cpuPerTokenUs;
  };
  const before = await run(NDJSON);
  const anthropic = await run(ANTHROPIC);
  const after = await run(NDJSON);
  const ndjson = (before + after) / 2;
  console.log(`anthropic / ndjson CPU per token: ${(anthropic / ndjson).toFixed(2)}x (${streams} streams, ${pacing.tokens} tokens each)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
