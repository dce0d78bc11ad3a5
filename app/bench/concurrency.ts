import { type BenchContext, SERVER_KINDS, type ServerKind, withServer, withUpstream } from "./context";
import { closedLoop, withClientDelay } from "./load";
import { cpuTimeMs, listenOverflows, memory, sampleMainThreadBusy, sampleRss, syscalls } from "./proc-stats";
import type { UpstreamPacing } from "./processes";
import { distribution, type Distribution, round } from "./stats";
import { checkStream, expectedText, loadAgent, promptFor, streamOnce } from "./stream-client";
import { type BenchFormat, NDJSON } from "./wire-formats";

/**
 * Many long streams at once, each paced by the upstream (e.g. 20 tokens/s for 10 s): does every one arrive byte
 * for byte, how late do lines get compared with the upstream's pacing, and what does the server spend in CPU and
 * memory for it. Each server gets a fresh upstream and a fresh process, so peak RSS (VmHWM) belongs to this load.
 */

/** Node heap flags a run's servers get, and the name the report gives them. */
export interface HeapSettings {
  name: string;
  nodeArgs: string[];
}

export interface ConcurrencyPlan {
  streams: number;
  rampMs: number;
  pacing: UpstreamPacing;
  /** Default: V8's own sizing for this host. */
  heap?: HeapSettings;
  /** Default NDJSON (`/stream`), the one format the baseline speaks. */
  format?: BenchFormat;
  /** Added to the run's log and profile names, so repeated runs of one plan keep their files apart. */
  label?: string;
}

export interface ConcurrencyRun {
  streams: number;
  format: BenchFormat["name"];
  /** Heap settings of the servers: "host defaults" or a {@link HeapSettings} name. */
  heap: string;
  rampMs: number;
  completedExact: number;
  /** The first few failures, for diagnosis. */
  problems: string[];
  /** Gaps between consecutive data lines, all streams pooled, ms. */
  gaps: Distribution;
  /** gaps.p99 minus the upstream's intended gap. */
  addedGapP99Ms: number;
  /**
   * The same, counting only gaps that ended once every stream had its first line: streaming alone, without the
   * storm of new connections (client, server and a new upstream connection per stream) of the ramp.
   */
  steadyAddedGapP99Ms: number;
  firstLine: Distribution;
  /**
   * How much longer than intended each stream took from its first to its last line, p99, ms. Gaps only show
   * jitter: a server that keeps up with nothing delays every line alike, the upstream's paced writes back up behind
   * it, and the whole stream stretches. This shows that.
   */
  stretchP99Ms: number;
  tokens: number;
  cpuMs: number;
  cpuPerTokenUs: number;
  /** The server's write system calls per streamed token (all sockets and its log file; see `syscalls`). */
  writeSyscallsPerToken: number;
  /** The server's read system calls per streamed token. */
  readSyscallsPerToken: number;
  /** The busiest second of the server's main thread, fraction of a core (see `sampleMainThreadBusy`). */
  mainThreadPeakBusy: number;
  /** CPU the upstream stand-in used meanwhile: near 1,000 ms per second, it, not the server, sets the pace. */
  upstreamCpuMs: number;
  peakRssBytes: number;
  rssSamplesBytes: number[];
  /** Connections dropped machine-wide for a full accept queue during the run (see `listenOverflows`). */
  listenOverflows: number;
  /** CPU the load generator (this process) used meanwhile, ms: with the upstream's, the testbed's share of the 2 cores. */
  clientCpuMs: number;
  /** p99 event-loop delay of the load generator during the run, ms. */
  clientDelayP99Ms: number;
  wallMs: number;
}

async function runAgainst(ctx: BenchContext, kind: ServerKind, plan: ConcurrencyPlan): Promise<ConcurrencyRun> {
  const format = plan.format ?? NDJSON;
  const label = `concurrency-${plan.streams}${plan.heap ? "-heap" : ""}${format === NDJSON ? "" : `-${format.name}`}${plan.label ? `-${plan.label}` : ""}`;
  const intendedGapMs = 1000 / plan.pacing.tokensPerSecond;
  const expected = [0, 1].map((i) => expectedText(promptFor(i), plan.pacing.tokens));
  return withUpstream(ctx, `${label}-${kind}`, plan.pacing, (upstream) =>
    withServer(ctx, kind, label, upstream.url, async (server) => {
      const agent = loadAgent();
      const rss = sampleRss(server.pid);
      const mainThread = sampleMainThreadBusy(server.pid);
      const cpuBefore = cpuTimeMs(server.pid);
      const syscallsBefore = syscalls(server.pid);
      const upstreamCpuBefore = cpuTimeMs(upstream.pid);
      const overflowsBefore = listenOverflows();
      const clientCpuBefore = process.cpuUsage();
      const startedAt = performance.now();
      const { result: checks, clientDelayP99Ms } = await withClientDelay(() =>
        closedLoop(plan.streams, 1, plan.rampMs, async (index) =>
          checkStream(await streamOnce(agent, server.url, promptFor(index), format), expected[index % 2], format),
        ),
      );
      const wallMs = performance.now() - startedAt;
      const cpuMs = cpuTimeMs(server.pid) - cpuBefore;
      const syscallsAfter = syscalls(server.pid);
      const upstreamCpuMs = cpuTimeMs(upstream.pid) - upstreamCpuBefore;
      const clientCpu = process.cpuUsage(clientCpuBefore);
      const rssSamplesBytes = rss.stop();
      const mainThreadPeakBusy = mainThread.stop();
      const { peakRss } = memory(server.pid);
      agent.destroy();

      const gaps = distribution(checks.flatMap((check) => check.gapsMs));
      const allStreamingAt = Math.max(...checks.map((check) => check.firstLineAt ?? Infinity));
      const steadyGaps = distribution(
        checks.flatMap((check) => check.gapsMs.filter((_, i) => check.gapEndsAt[i] >= allStreamingAt)),
      );
      const tokens = checks.reduce((sum, check) => sum + check.deltas, 0);
      return {
        streams: plan.streams,
        format: format.name,
        heap: plan.heap?.name ?? "host defaults",
        rampMs: plan.rampMs,
        completedExact: checks.filter((check) => check.exact).length,
        problems: [...new Set(checks.flatMap((check) => (check.problem ? [check.problem] : [])))].slice(0, 5),
        gaps,
        addedGapP99Ms: round(gaps.p99 - intendedGapMs, 2),
        steadyAddedGapP99Ms: round(steadyGaps.p99 - intendedGapMs, 2),
        stretchP99Ms: round(
          distribution(checks.map((check) => check.gapsMs.reduce((sum, gap) => sum + gap - intendedGapMs, 0))).p99,
          0,
        ),
        firstLine: distribution(checks.flatMap((check) => (check.firstLineMs === undefined ? [] : [check.firstLineMs]))),
        tokens,
        cpuMs,
        cpuPerTokenUs: round((cpuMs * 1000) / Math.max(1, tokens), 2),
        writeSyscallsPerToken: round((syscallsAfter.writes - syscallsBefore.writes) / Math.max(1, tokens), 3),
        readSyscallsPerToken: round((syscallsAfter.reads - syscallsBefore.reads) / Math.max(1, tokens), 3),
        mainThreadPeakBusy,
        upstreamCpuMs,
        clientCpuMs: Math.round((clientCpu.user + clientCpu.system) / 1000),
        peakRssBytes: peakRss,
        listenOverflows: listenOverflows() - overflowsBefore,
        rssSamplesBytes,
        clientDelayP99Ms: round(clientDelayP99Ms, 2),
        wallMs: round(wallMs, 0),
      };
    }, { nodeArgs: plan.heap?.nodeArgs }),
  );
}

export async function measureConcurrency(ctx: BenchContext, plan: ConcurrencyPlan): Promise<Record<ServerKind, ConcurrencyRun>> {
  const runs = {} as Record<ServerKind, ConcurrencyRun>;
  for (const kind of SERVER_KINDS) runs[kind] = await runAgainst(ctx, kind, plan);
  return runs;
}

/** The same load through one of our other wire formats (the baseline speaks only NDJSON): our server only. */
export function measureFormatConcurrency(ctx: BenchContext, plan: ConcurrencyPlan): Promise<ConcurrencyRun> {
  return runAgainst(ctx, "ours", plan);
}
