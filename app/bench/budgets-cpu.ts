import type http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { closedLoop, withClientDelay } from "./load";
import { cpuTimeMs, listenOverflows } from "./proc-stats";
import type { UpstreamPacing } from "./processes";
import { round } from "./stats";
import { checkStream, expectedText, loadAgent, promptFor, streamOnce } from "./stream-client";

/**
 * CPU per streamed token of several servers under the same load, measured side by side: every round loads all of
 * them at once (`streams` each), so whatever else the machine does in that round weighs on all alike.
 *
 * Why not one server at a time: on this shared 2-core machine two identical budgets-off servers measured in turn
 * (ABBA over six rounds) differed by 0.84x–1.05x per round and 0.92x over the run, more than the few per cent
 * budgets cost. Loaded at once they differed by 0.97x–1.03x per round and 1.00x over the run. Each load ramps over
 * `rampMs`; which one takes the first arrival rotates every round.
 *
 * A round's CPU is read for every server from before the loads start until `settleMs` after the last one ends, so
 * work a server does after its streams (a budgets-on server writes held charges up to half its staleness later)
 * counts in the round it belongs to; an idle server adds nothing meanwhile.
 */

export interface CpuPlan {
  /** Streams on each server. */
  streams: number;
  rounds: number;
  rampMs: number;
  /** Longer than anything a server still does for a round once its streams have ended. */
  settleMs: number;
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
  /** Connections dropped machine-wide for a full accept queue during the rounds: none, or arrivals came too fast. */
  listenOverflows: number;
  /** p99 event-loop delay of the load generator during the rounds, ms: a busy client delays every server alike. */
  clientDelayP99Ms: number;
}

export async function measureCpuSideBySide<M extends string>(plan: CpuPlan, targets: Record<M, ServerUnderTest>): Promise<CpuFigures<M>> {
  const modes = Object.keys(targets) as M[];
  const expected = [0, 1].map((i) => expectedText(promptFor(i), plan.pacing.tokens));
  const agent = loadAgent();
  const load = (mode: M) =>
    closedLoop(plan.streams, 1, plan.rampMs, async (index) =>
      checkStream(await streamOnce(agent, targets[mode].url, promptFor(index), undefined, targets[mode].headers(index)), expected[index % 2]),
    );
  const perMode = <T>(value: (mode: M) => T) => Object.fromEntries(modes.map((mode) => [mode, value(mode)])) as Record<M, T>;
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
    listenOverflows: 0,
    clientDelayP99Ms: 0,
  };
  const cpuNow = () => perMode((mode) => cpuTimeMs(targets[mode].pid));
  const oneRound = async (r: number) => {
    const first = r % modes.length;
    const before = cpuNow();
    const checks = await Promise.all([...modes.slice(first), ...modes.slice(0, first)].map(async (mode) => ({ mode, checks: await load(mode) })));
    await sleep(plan.settleMs);
    const after = cpuNow();
    for (const { mode, checks: done } of checks) {
      const cpuMs = after[mode] - before[mode];
      const tokens = done.reduce((sum, check) => sum + check.deltas, 0);
      figures.cpuMs[mode] += cpuMs;
      figures.tokens[mode] += tokens;
      figures.roundsCpuPerTokenUs[mode].push(round((cpuMs * 1000) / Math.max(1, tokens), 2));
      figures.completedExact[mode] += done.filter((check) => check.exact).length;
      figures.problems.push(...done.flatMap((check) => (check.problem ? [`${mode}: ${check.problem}`] : [])));
    }
  };
  try {
    // Warm-up: JIT, connections, and the budgets-on servers' first reads.
    await Promise.all(modes.map(load));
    await sleep(plan.settleMs);
    const overflowsBefore = listenOverflows();
    const { clientDelayP99Ms } = await withClientDelay(async () => {
      for (let r = 0; r < plan.rounds; r += 1) await oneRound(r);
    });
    figures.listenOverflows = listenOverflows() - overflowsBefore;
    figures.clientDelayP99Ms = round(clientDelayP99Ms, 2);
  } finally {
    agent.destroy();
  }
  figures.problems = [...new Set(figures.problems)].slice(0, 5);
  for (const mode of modes) {
    figures.cpuPerTokenUs[mode] = round((figures.cpuMs[mode] * 1000) / Math.max(1, figures.tokens[mode]), 2);
  }
  return figures;
}
