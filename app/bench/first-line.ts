import type http from "node:http";
import { BareConsumer } from "./bare-consumer";
import { type BenchContext, SERVER_KINDS, type ServerKind, withServer, withUpstream } from "./context";
import { closedLoop } from "./load";
import type { UpstreamPacing } from "./processes";
import { distribution, type Distribution, round } from "./stats";
import { checkStream, expectedText, loadAgent, promptFor, streamOnce } from "./stream-client";

/**
 * Added time to first line: the client-observed time from sending `POST /stream` to the first `{"data":...}` line,
 * minus the time a bare SDK consumer in this process waits for the first delta from the same upstream under the
 * same concurrency. p50 minus p50, p99 minus p99: the two are separate runs, so only distributions compare.
 */

export interface FirstLinePlan {
  label: string;
  /** Concurrent virtual clients, each sending `requestsPerClient` requests back to back. */
  concurrency: number;
  requestsPerClient: number;
  /** Requests (at the same concurrency) before measuring: JIT, connections and the SDK's HTTP/2 session warm up. */
  warmupPerClient: number;
  rampMs: number;
  pacing: UpstreamPacing;
}

export interface FirstLineFigures {
  concurrency: number;
  samples: number;
  /** Bare SDK consumer's time to first delta. */
  bare: Distribution;
  /** Client-observed time to first line through each server. */
  observed: Record<ServerKind, Distribution>;
  /** observed − bare, per percentile. */
  added: Record<ServerKind, { p50: number; p99: number }>;
  /** Streams that failed or were not byte-exact (they give no sample). */
  failed: Record<ServerKind, number>;
}

async function throughServer(plan: FirstLinePlan, agent: http.Agent, url: string) {
  const expected = [0, 1].map((i) => expectedText(promptFor(i), plan.pacing.tokens));
  const one = async (index: number) => checkStream(await streamOnce(agent, url, promptFor(index)), expected[index % 2]);
  await closedLoop(plan.concurrency, plan.warmupPerClient, plan.rampMs, one);
  const checks = await closedLoop(plan.concurrency, plan.requestsPerClient, plan.rampMs, one);
  const good = checks.filter((check) => check.exact && check.firstLineMs !== undefined);
  return { samples: good.map((check) => check.firstLineMs!), failed: checks.length - good.length };
}

async function throughBareSdk(plan: FirstLinePlan, upstreamUrl: string): Promise<number[]> {
  const bare = new BareConsumer(upstreamUrl);
  try {
    const one = (index: number) => bare.timeToFirstDelta(promptFor(index));
    await closedLoop(plan.concurrency, plan.warmupPerClient, plan.rampMs, one);
    return await closedLoop(plan.concurrency, plan.requestsPerClient, plan.rampMs, one);
  } finally {
    bare.close();
  }
}

export async function measureFirstLine(ctx: BenchContext, plan: FirstLinePlan): Promise<FirstLineFigures> {
  return withUpstream(ctx, plan.label, plan.pacing, async (upstream) => {
    const bare = distribution(await throughBareSdk(plan, upstream.url));
    const observed = {} as FirstLineFigures["observed"];
    const added = {} as FirstLineFigures["added"];
    const failed = {} as FirstLineFigures["failed"];
    for (const kind of SERVER_KINDS) {
      const agent = loadAgent();
      const run = await withServer(ctx, kind, plan.label, upstream.url, (server) => throughServer(plan, agent, server.url));
      agent.destroy();
      observed[kind] = distribution(run.samples);
      failed[kind] = run.failed;
      added[kind] = { p50: round(observed[kind].p50 - bare.p50, 3), p99: round(observed[kind].p99 - bare.p99, 3) };
    }
    return { concurrency: plan.concurrency, samples: plan.concurrency * plan.requestsPerClient, bare, observed, added, failed };
  });
}
