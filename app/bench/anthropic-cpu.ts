import { mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { measureFormatConcurrency } from "./concurrency";
import type { BenchContext } from "./context";
import { planFor } from "./plan";
import { median } from "./stats";
import { ANTHROPIC, type BenchFormat, NDJSON } from "./wire-formats";
import { builtServerEntry, runBench } from "./processes";

/**
 * The Anthropic route's CPU per token at N concurrent streams (Claude's native path: the default model is a Claude
 * model) against NDJSON's in the same run: the full bench's formats phase on its own, for a quick figure
 * (`tsx app/bench/anthropic-cpu.ts --streams 500 --tokens 60 --rounds 3` after `npm run build`).
 *
 * Rounds interleave the two formats (N A, then A N, ...) so a neighbour's load drifting over the run weighs on both
 * alike; each round's ratio compares its own pair, and the median of those is the figure. Only the server process's
 * CPU counts (the stand-in and the load generator are processes of their own). `--profile <dir>` runs each server
 * with `--cpu-prof` (then `npx tsx app/bench/profile-summary.ts <file>` says where its self time went); `--ours FILE`
 * measures another build (e.g. an older commit's bundle).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      streams: { type: "string", default: "500" },
      tokens: { type: "string", default: "200" },
      rounds: { type: "string", default: "3" },
      out: { type: "string", default: "bench-results" },
      profile: { type: "string" },
      ours: { type: "string" },
    },
  });
  const plan = planFor(false);
  const streams = Number(values.streams);
  const pacing = { ...plan.concurrencyPacing, tokens: Number(values.tokens) };
  const logsDir = path.resolve(values.out!, "logs");
  mkdirSync(logsDir, { recursive: true });
  const profileDir = values.profile ? path.resolve(values.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const ours = values.ours ? path.resolve(values.ours) : builtServerEntry();
  const ctx: BenchContext = { quick: false, entries: { ours, baseline: ours, oursSdkDefault: ours }, logsDir, nodeArgs: [], profileDir };
  const rampMs = (streams / plan.arrivalsPerSecond) * 1000;
  const run = async (format: BenchFormat, round: number) => {
    const result = await measureFormatConcurrency(ctx, { streams, rampMs, pacing, format, label: `r${round}` });
    // How many streams completed exactly matters as much: a stream cut short (a 499) also costs less CPU per token.
    const problems = result.problems.length > 0 ? `; problems: ${result.problems.join(" | ")}` : "";
    console.log(
      `round ${round} ${format.name}: ${result.cpuPerTokenUs} us CPU per token (${result.cpuMs} ms CPU), ` +
        `${result.completedExact}/${streams} exact; load average ${load()}${problems}`,
    );
    return result.cpuPerTokenUs;
  };
  const ratios: number[] = [];
  for (let round = 1; round <= Number(values.rounds); round++) {
    const order = round % 2 === 1 ? [NDJSON, ANTHROPIC] : [ANTHROPIC, NDJSON];
    const cost = new Map<BenchFormat, number>();
    for (const format of order) cost.set(format, await run(format, round));
    ratios.push(cost.get(ANTHROPIC)! / cost.get(NDJSON)!);
  }
  console.log(
    `anthropic / ndjson CPU per token: ${median(ratios).toFixed(2)}x median of rounds [${ratios.map((r) => r.toFixed(2)).join(", ")}] ` +
      `(${streams} streams, ${pacing.tokens} tokens each; load average ${load()})`,
  );
}

function load(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

runBench(main);
