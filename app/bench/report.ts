import type { AgentFigures } from "./agents";
import { BUDGET_MODES, type BudgetsFigures } from "./budgets";
import type { ConcurrencyRun } from "./concurrency";
import type { ServerKind } from "./context";
import type { FirstLineFigures } from "./first-line";
import type { BundleSize, ColdStart } from "./footprint";
import { round } from "./stats";

/**
 * Turns the measurements into the report's rows, one figure each with ours, the baseline, their ratio and, where
 * the issue sets one, the target and whether it is met; and prints them as a Markdown table.
 */

/** The issues' targets on this 2-core machine. */
export const TARGETS = {
  addedFirstLineP99Ms: 5,
  /** CPU per token over the baseline's: where the event loop lags and deltas pile up (1,000 streams), and below. */
  cpuPerTokenRatioAtScale: 0.85,
  cpuPerTokenRatio: 1.05,
  /** Another wire format's CPU per token over NDJSON's. */
  formatCpuPerTokenRatio: 1.15,
  /** Agent calls over TLS: the service's CPU per request over the same service with the SDK's default handler. */
  agentCpuPerRequestRatio: 0.7,
  streamsAtScale: 1000,
  addedGapP99Ms: 20,
  peakRssMb: 300,
  coldStartMs: 200,
  bundleMb: 2,
  /** Token budgets on (issue 12): first line p99 over budgets off's, at 200 streams, and CPU per token over off's. */
  budgetsAddedFirstLineP99Ms: 5,
  budgetsFirstLineStreams: 200,
  budgetsCpuPerTokenRatio: 1.1,
} as const;

export interface Row {
  figure: string;
  unit: string;
  ours: number;
  baseline: number;
  /** ours / baseline; null where the baseline is zero or negative (a ratio would mean nothing). */
  ratio: number | null;
  target?: string;
  met?: boolean;
}

export interface Measurements {
  firstLine: FirstLineFigures[];
  concurrency: Record<ServerKind, ConcurrencyRun>[];
  /** Our other wire formats at the formats' level (none when the build serves only NDJSON). */
  formats: ConcurrencyRun[];
  /** NDJSON at the formats' level, run right before and right after them: what they are compared with. */
  formatReference: ConcurrencyRun[];
  agents: AgentFigures;
  budgets: BudgetsFigures;
  coldStart: Record<ServerKind, ColdStart>;
  bundle: Record<ServerKind, BundleSize>;
}

const MB = 1_000_000;

function row(figure: string, unit: string, ours: number, baseline: number, target?: { text: string; met: boolean }): Row {
  return {
    figure,
    unit,
    ours,
    baseline,
    ratio: baseline > 0 ? round(ours / baseline, 2) : null,
    ...(target ? { target: target.text, met: target.met } : {}),
  };
}

function firstLineRows(figures: FirstLineFigures): Row[] {
  const at = `${figures.concurrency} stream${figures.concurrency === 1 ? "" : "s"}`;
  const p99Target =
    figures.concurrency === 1
      ? { text: `<= ${TARGETS.addedFirstLineP99Ms} ms`, met: figures.added.ours.p99 <= TARGETS.addedFirstLineP99Ms }
      : undefined;
  return [
    row(`added time to first line p50, ${at}`, "ms", figures.added.ours.p50, figures.added.baseline.p50),
    row(`added time to first line p99, ${at}`, "ms", figures.added.ours.p99, figures.added.baseline.p99, p99Target),
  ];
}

function concurrencyRows(runs: Record<ServerKind, ConcurrencyRun>): Row[] {
  const { ours, baseline } = runs;
  const at = `${ours.streams} streams${ours.heap === "host defaults" ? "" : `, ${ours.heap}`}`;
  const atScale = ours.streams === TARGETS.streamsAtScale;
  const cpuRatio = ours.cpuPerTokenUs / baseline.cpuPerTokenUs;
  const cpuTarget = atScale ? TARGETS.cpuPerTokenRatioAtScale : TARGETS.cpuPerTokenRatio;
  const peakMb = (run: ConcurrencyRun) => round(run.peakRssBytes / MB, 1);
  return [
    row(`completed byte-exact, ${at}`, "streams", ours.completedExact, baseline.completedExact, atScale
      ? { text: `all ${ours.streams}`, met: ours.completedExact === ours.streams }
      : undefined),
    row(`added p99 gap between lines, ${at}`, "ms", ours.addedGapP99Ms, baseline.addedGapP99Ms, atScale
      ? { text: `<= ${TARGETS.addedGapP99Ms} ms`, met: ours.addedGapP99Ms <= TARGETS.addedGapP99Ms }
      : undefined),
    ...(atScale
      ? [
          row(`added p99 gap, all ${ours.streams} streaming (after the ramp)`, "ms", ours.steadyAddedGapP99Ms, baseline.steadyAddedGapP99Ms),
          row(`time to first line p99, ${at}`, "ms", round(ours.firstLine.p99, 0), round(baseline.firstLine.p99, 0)),
          row(`stream stretched beyond its paced length, p99, ${at}`, "ms", ours.stretchP99Ms, baseline.stretchP99Ms),
          row(`server main thread, busiest second, ${at}`, "% of a core", Math.round(ours.mainThreadPeakBusy * 100), Math.round(baseline.mainThreadPeakBusy * 100)),
        ]
      : []),
    row(`peak RSS, ${at}`, "MB", peakMb(ours), peakMb(baseline), atScale
      ? { text: `<= ${TARGETS.peakRssMb} MB`, met: peakMb(ours) <= TARGETS.peakRssMb }
      : undefined),
    row(`write syscalls per streamed token, ${at}`, "calls", ours.writeSyscallsPerToken, baseline.writeSyscallsPerToken),
    row(`read syscalls per streamed token, ${at}`, "calls", ours.readSyscallsPerToken, baseline.readSyscallsPerToken),
    row(`CPU per streamed token, ${at}`, "µs", ours.cpuPerTokenUs, baseline.cpuPerTokenUs, {
      text: `<= ${cpuTarget}x baseline`,
      met: cpuRatio <= cpuTarget,
    }),
  ];
}

/**
 * Another wire format against NDJSON on the same server: the "baseline" column holds our NDJSON figure (first line
 * at 1 stream; at the formats' level, the mean of the NDJSON runs made right before and after the formats).
 */
function formatRows(m: Measurements): Row[] {
  const single = m.firstLine.find((figures) => figures.concurrency === 1);
  const ndjson = meanRun(m.formatReference);
  return m.formats.flatMap((run) => {
    const first = single?.otherFormats.find((figures) => figures.format === run.format);
    const name = `${run.format} vs NDJSON`;
    return [
      ...(first && single
        ? [
            row(`${name}: added time to first chunk p50, 1 stream`, "ms", first.added.p50, single.added.ours.p50),
            row(`${name}: added time to first chunk p99, 1 stream`, "ms", first.added.p99, single.added.ours.p99),
          ]
        : []),
      row(`${name}: completed exact, ${run.streams} streams`, "streams", run.completedExact, ndjson?.completedExact ?? NaN),
      row(`${name}: added p99 gap, ${run.streams} streams`, "ms", run.addedGapP99Ms, ndjson?.addedGapP99Ms ?? NaN),
      row(`${name}: CPU per streamed token, ${run.streams} streams`, "µs", run.cpuPerTokenUs, ndjson?.cpuPerTokenUs ?? NaN, {
        text: `<= ${TARGETS.formatCpuPerTokenRatio}x NDJSON`,
        met: ndjson !== undefined && run.cpuPerTokenUs / ndjson.cpuPerTokenUs <= TARGETS.formatCpuPerTokenRatio,
      }),
    ];
  });
}

/** The figures the format rows compare with, averaged over the reference runs (undefined without any). */
function meanRun(runs: ConcurrencyRun[]): Pick<ConcurrencyRun, "completedExact" | "addedGapP99Ms" | "cpuPerTokenUs"> | undefined {
  if (runs.length === 0) return undefined;
  const mean = (pick: (run: ConcurrencyRun) => number) => round(runs.reduce((sum, run) => sum + pick(run), 0) / runs.length, 2);
  return {
    completedExact: Math.min(...runs.map((run) => run.completedExact)),
    addedGapP99Ms: mean((run) => run.addedGapP99Ms),
    cpuPerTokenUs: mean((run) => run.cpuPerTokenUs),
  };
}

/** Agent calls over TLS: the service against the baseline, then against itself with the SDK's default handler. */
function agentRows({ runs }: AgentFigures): Row[] {
  const { ours, oursSdkDefault: sdk, baseline } = runs;
  const vsSdk = "vs the SDK's default handler";
  const cpuRatio = ours.cpuPerRequestMs / sdk.cpuPerRequestMs;
  return [
    row("agent calls over TLS: completed exact", "requests", ours.completedExact, baseline.completedExact, {
      text: `all ${ours.requests}`,
      met: ours.completedExact === ours.requests,
    }),
    row("agent calls over TLS: CPU per request", "ms", ours.cpuPerRequestMs, baseline.cpuPerRequestMs),
    row("agent calls over TLS: requests per CPU-second", "requests", ours.requestsPerCpuSecond, baseline.requestsPerCpuSecond),
    row("agent calls over TLS: time to first line p99", "ms", round(ours.firstLine.p99, 2), round(baseline.firstLine.p99, 2)),
    row(`agent calls over TLS: CPU per request, ${vsSdk}`, "ms", ours.cpuPerRequestMs, sdk.cpuPerRequestMs, {
      text: `<= ${TARGETS.agentCpuPerRequestRatio}x SDK default`,
      met: cpuRatio <= TARGETS.agentCpuPerRequestRatio,
    }),
    row(`agent calls over TLS: requests per CPU-second, ${vsSdk}`, "requests", ours.requestsPerCpuSecond, sdk.requestsPerCpuSecond),
    row(`agent calls over TLS: time to first line p50, ${vsSdk}`, "ms", round(ours.firstLine.p50, 2), round(sdk.firstLine.p50, 2)),
    row(`agent calls over TLS: time to first line p99, ${vsSdk}`, "ms", round(ours.firstLine.p99, 2), round(sdk.firstLine.p99, 2), {
      text: "<= SDK default",
      met: ours.firstLine.p99 <= sdk.firstLine.p99,
    }),
  ];
}

/**
 * Budgets on against off, the same bundle in the same rounds: the "ours" column holds budgets on (as deployed by
 * default, then with exact checks) or the control, the "baseline" column budgets off. What budgets add to the first
 * line is the difference of the two columns; both on modes answer to the same targets. The control rows (a second
 * budgets-off server against the first) show how far two identical servers differ in this run: no figure target
 * (only "every stream byte-exact"), the resolution of the rows above.
 */
function budgetRows({ defaultMaxAgeMs, firstLine, cpu, requests }: BudgetsFigures): Row[] {
  const modes = [
    { mode: "on", name: `budgets on (default: reads up to ${defaultMaxAgeMs} ms old) vs off`, targets: true },
    { mode: "exact", name: "budgets on, exact checks (BUDGET_READ_MAX_AGE_MS=0), vs off", targets: true },
    { mode: "control", name: "control: a second budgets-off server vs off", targets: false },
  ] as const;
  const at = `${cpu.streams} streams on each of ${BUDGET_MODES.length} servers at once`;
  const all = cpu.streams * cpu.rounds;
  return [
    ...modes.flatMap(({ mode, name, targets }) => [
      ...firstLine.flatMap(({ concurrency, added }) => {
        const streams = `${concurrency} stream${concurrency === 1 ? "" : "s"}`;
        const addedP99 = added[mode].p99 - added.off.p99;
        return [
          row(`${name}: added time to first line p50, ${streams}`, "ms", added[mode].p50, added.off.p50),
          row(`${name}: added time to first line p99, ${streams}`, "ms", added[mode].p99, added.off.p99,
            targets && concurrency === TARGETS.budgetsFirstLineStreams
              ? { text: `<= off + ${TARGETS.budgetsAddedFirstLineP99Ms} ms`, met: addedP99 <= TARGETS.budgetsAddedFirstLineP99Ms }
              : undefined),
        ];
      }),
      row(`${name}: completed byte-exact, ${at}, ${cpu.rounds} rounds`, "streams", cpu.completedExact[mode], cpu.completedExact.off, {
        text: `all ${all}`,
        met: cpu.completedExact[mode] === all && cpu.completedExact.off === all,
      }),
      row(`${name}: CPU per streamed token, ${at}`, "µs", cpu.cpuPerTokenUs[mode], cpu.cpuPerTokenUs.off,
        targets
          ? { text: `<= ${TARGETS.budgetsCpuPerTokenRatio}x off`, met: cpu.cpuPerTokenUs[mode] <= TARGETS.budgetsCpuPerTokenRatio * cpu.cpuPerTokenUs.off }
          : undefined),
    ]),
    row("budgets on, both modes: requests charged in the usage table, of those sent with a key", "requests", requests.charged, requests.sent, {
      text: "all, once",
      met: requests.charged === requests.sent,
    }),
  ];
}

export function tableRows(m: Measurements): Row[] {
  const coldOurs = m.coldStart.ours.medianMs;
  const bundleMb = (kind: ServerKind) => round(m.bundle[kind].bundleBytes / MB, 3);
  return [
    ...m.firstLine.flatMap(firstLineRows),
    ...m.concurrency.flatMap(concurrencyRows),
    ...formatRows(m),
    ...agentRows(m.agents),
    ...budgetRows(m.budgets),
    row("cold start to first 200 on /health, median", "ms", coldOurs, m.coldStart.baseline.medianMs, {
      text: `<= ${TARGETS.coldStartMs} ms`,
      met: coldOurs <= TARGETS.coldStartMs,
    }),
    row("bundle size (server.js)", "MB", bundleMb("ours"), bundleMb("baseline"), {
      text: `<= ${TARGETS.bundleMb} MB`,
      met: bundleMb("ours") <= TARGETS.bundleMb,
    }),
  ];
}

/** The rows as a Markdown table (what stdout and docs/performance.md show). */
export function formatTable(rows: Row[]): string {
  const cells = rows.map((r) => [
    `${r.figure} (${r.unit})`,
    String(r.ours),
    String(r.baseline),
    r.ratio === null ? "—" : `${r.ratio}x`,
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "met" : "MISSED",
  ]);
  const header = ["figure", "ours", "baseline", "ratio", "target", ""];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}
