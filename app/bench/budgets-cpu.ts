import type http from "node:http";
import { closedLoop } from "./load";
import { cpuTimeMs } from "./proc-stats";
import type { UpstreamPacing } from "./processes";
import { round } from "./stats";
import { checkStream, expectedText, loadAgent, promptFor, streamOnce } from "./stream-client";

/**
 * CPU per streamed token of several servers under the same load, measured side by side: every round loads all of
 * them at once (`streams` each), so whatever else the machine does in that round weighs on all alike.
 *
 * Why not one server at a time: on this shared 2-core machine two identical budgets-off servers measured in turn
 * (ABBA over six rounds) differed by 0.84x–1.05x per round and 0.92x over the run, more than the few per cent
 * budgets cost. Loaded at once they differed by 0.97x–1.03x per round and 1.00x over the run. The order the loads
 * start in rotates every round, so no server always ramps first.
 */

export interface CpuPlan {
  streams: number;
  rounds: number;
  rampMs: number;
  pacing: UpstreamPacing;
}

/** A server under measurement: where to send streams, its process (for /proc), and the headers a request carries. */
export interface ServerUnderTest {
  url: string;
  pid: number;
  headers: (index: number) => http.OutgoingHttpHeaders;
}

export interface CpuFigures<M extends string> {
  streams: number;
  rounds: number;
  tokensPerStream: number;
  completedExact: Record<M, number>;
  problems: string[];
  tokens: Record<M, number>;
  cpuMs: Record<M, number>;
  cpuPerTokenUs: Record<M, number>;
  /** Each round's CPU per token, µs: the spread the total's ratio stands on. */
  roundsCpuPerTokenUs: Record<M, number[]>;
}

export async function measureCpuSideBySide<M extends string>(plan: CpuPlan, targets: Record<M, ServerUnderTest>): Promise<CpuFigures<M>> {
  const modes = Object.keys(targets) as M[];
  const expected = [0, 1].map((i) => expectedText(promptFor(i), plan.pacing.tokens));
  const agent = loadAgent();
  const load = (mode: M) =>
    closedLoop(plan.streams, 1, plan.rampMs, async (index) =>
      checkStream(await streamOnce(agent, targets[mode].url, promptFor(index), undefined, targets[mode].headers(index)), expected[index % 2]),
    );
  const perMode = <T>(value: () => T) => Object.fromEntries(modes.map((mode) => [mode, value()])) as Record<M, T>;
  const figures: CpuFigures<M> = {
    streams: plan.streams,
    rounds: plan.rounds,
    tokensPerStream: plan.pacing.tokens,
    completedExact: perMode(() => 0),
    problems: [],
    tokens: perMode(() => 0),
    cpuMs: perMode(() => 0),
    cpuPerTokenUs: perMode(() => 0),
    roundsCpuPerTokenUs: perMode((): number[] => []),
  };
  const measured = async (mode: M) => {
    const before = cpuTimeMs(targets[mode].pid);
    const checks = await load(mode);
    const cpuMs = cpuTimeMs(targets[mode].pid) - before;
    const tokens = checks.reduce((sum, check) => sum + check.deltas, 0);
    figures.cpuMs[mode] += cpuMs;
    figures.tokens[mode] += tokens;
    figures.roundsCpuPerTokenUs[mode].push(round((cpuMs * 1000) / Math.max(1, tokens), 2));
    figures.completedExact[mode] += checks.filter((check) => check.exact).length;
    figures.problems.push(...checks.flatMap((check) => (check.problem ? [`${mode}: ${check.problem}`] : [])));
  };
  try {
    // Warm-up: JIT, connections, and the budgets-on servers' first reads.
    await Promise.all(modes.map(load));
    for (let r = 0; r < plan.rounds; r += 1) {
      const first = r % modes.length;
      await Promise.all([...modes.slice(first), ...modes.slice(0, first)].map(measured));
    }
  } finally {
    agent.destroy();
  }
  figures.problems = [...new Set(figures.problems)].slice(0, 5);
  for (const mode of modes) {
    figures.cpuPerTokenUs[mode] = round((figures.cpuMs[mode] * 1000) / Math.max(1, figures.tokens[mode]), 2);
  }
  return figures;
}
