import type http from "node:http";
import { BareConsumer } from "./bare-consumer";
import { type BenchContext, SERVER_KINDS, type ServerKind, withServer, withUpstream } from "./context";
import { closedLoop } from "./load";
import type { UpstreamPacing } from "./processes";
import { distribution, type Distribution, round } from "./stats";
import { checkStream, expectedText, loadAgent, promptFor, streamOnce } from "./stream-client";
import { type BenchFormat, NDJSON, OTHER_FORMATS } from "./wire-formats";

/**
 * Added time to first line: the client-observed time from sending `POST /stream` to the first `{"data":...}` line,
 * minus the time a bare SDK consumer in this process waits for the first delta from the same upstream under the
 * same concurrency. p50 minus p50, p99 minus p99: the two are separate requests, so only distributions compare.
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
  /** Our other wire formats the server serves (time to the first text delta's frame), in the same rounds. */
  otherFormats: OtherFormatFigures[];
}

export interface OtherFormatFigures {
  format: BenchFormat["name"];
  observed: Distribution;
  added: { p50: number; p99: number };
  failed: number;
}

type Target = ServerKind | "bare" | BenchFormat["name"];
/** One request through a target: its time to first line (or delta), or undefined when it failed. */
export type Probe = (index: number) => Promise<number | undefined>;

export function serverProbe(
  plan: FirstLinePlan,
  agent: http.Agent,
  url: string,
  format: BenchFormat = NDJSON,
  headersFor: (index: number) => http.OutgoingHttpHeaders = () => ({}),
): Probe {
  const expected = [0, 1].map((i) => expectedText(promptFor(i), plan.pacing.tokens));
  return async (index) => {
    const timing = await streamOnce(agent, url, promptFor(index), format, headersFor(index));
    const check = checkStream(timing, expected[index % 2], format);
    return check.exact ? check.firstLineMs : undefined;
  };
}

/** The formats the build under test serves: a route that answers 404 has not landed (yet). */
export async function servedFormats(agent: http.Agent, url: string): Promise<BenchFormat[]> {
  const served: BenchFormat[] = [];
  for (const format of OTHER_FORMATS) {
    if ((await streamOnce(agent, url, promptFor(0), format)).status !== 404) served.push(format);
  }
  return served;
}

/**
 * Warms every target up, then measures them in interleaved rounds, every target once per round: a change in the
 * machine's load during the phase then weighs on all alike instead of on whichever ran last. Each round takes the
 * targets in a new random order: a round starts right after another's and meets its leftovers (the stand-in's
 * garbage, a server's last writes), and with a fixed order every target would always meet the same neighbour's. So
 * it went for a budgets-off server that always ran right after the exact-checks one: 0.3 ms above its identical
 * control at p50 at 1 stream (docs/performance.md: "Token budgets on vs off").
 */
export async function interleaved<T extends string>(
  plan: FirstLinePlan,
  probes: Record<T, Probe>,
): Promise<Record<T, (number | undefined)[]>> {
  const targets = Object.keys(probes) as T[];
  const samples = Object.fromEntries(targets.map((target) => [target, [] as (number | undefined)[]])) as Record<
    T,
    (number | undefined)[]
  >;
  for (const target of targets) await closedLoop(plan.concurrency, plan.warmupPerClient, plan.rampMs, probes[target]);
  for (let round = 0; round < plan.requestsPerClient; round += 1) {
    for (const target of shuffled(targets)) {
      samples[target].push(...(await closedLoop(plan.concurrency, 1, plan.rampMs, probes[target])));
    }
  }
  return samples;
}

export async function measureFirstLine(
  ctx: BenchContext,
  plan: FirstLinePlan,
  formats: readonly BenchFormat[] = [],
): Promise<FirstLineFigures> {
  return withUpstream(ctx, plan.label, plan.pacing, (upstream) =>
    withServer(ctx, "ours", plan.label, upstream.url, (ours) =>
      withServer(ctx, "baseline", plan.label, upstream.url, async (baseline) => {
        const bare = new BareConsumer(upstream.url);
        const agent = loadAgent();
        try {
          const samples = await interleaved(plan, {
            bare: (index) => bare.timeToFirstDelta(promptFor(index)),
            ours: serverProbe(plan, agent, ours.url),
            baseline: serverProbe(plan, agent, baseline.url),
            ...Object.fromEntries(formats.map((format) => [format.name, serverProbe(plan, agent, ours.url, format)])),
          } as Record<Target, Probe>);
          return figures(plan, samples, formats);
        } finally {
          agent.destroy();
          bare.close();
        }
      }),
    ),
  );
}

/** Fisher-Yates. */
function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Samples that gave a figure (failed or inexact streams give none). */
const measuredOf = (values: (number | undefined)[]) => values.filter((value): value is number => value !== undefined);

/**
 * Each target's first-line distribution, what it adds to the bare SDK consumer's (p50 and p99, in ms) and how many
 * of its streams gave no sample: the one way every first-line phase reports against the bare consumer.
 */
export function overBare<K extends string>(samples: Record<K | "bare", (number | undefined)[]>, targets: readonly K[]) {
  const bare = distribution(measuredOf(samples.bare));
  const observed = {} as Record<K, Distribution>;
  const added = {} as Record<K, { p50: number; p99: number }>;
  const failed = {} as Record<K, number>;
  for (const target of targets) {
    observed[target] = distribution(measuredOf(samples[target]));
    failed[target] = samples[target].length - observed[target].n;
    added[target] = { p50: round(observed[target].p50 - bare.p50, 3), p99: round(observed[target].p99 - bare.p99, 3) };
  }
  return { bare, observed, added, failed };
}

function figures(plan: FirstLinePlan, samples: Record<Target, (number | undefined)[]>, formats: readonly BenchFormat[]): FirstLineFigures {
  const { bare, observed, added, failed } = overBare(samples, SERVER_KINDS);
  const names = formats.map(({ name }) => name);
  const others = overBare(samples, names);
  const otherFormats = names.map((name) => ({
    format: name,
    observed: others.observed[name],
    added: others.added[name],
    failed: others.failed[name],
  }));
  return { concurrency: plan.concurrency, samples: plan.concurrency * plan.requestsPerClient, bare, observed, added, failed, otherFormats };
}
