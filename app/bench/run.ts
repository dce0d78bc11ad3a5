import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { measureAgents } from "./agents";
import { measureBudgets } from "./budgets";
import { measureConcurrency, measureFormatConcurrency } from "./concurrency";
import { type BenchContext, withServer, withUpstream } from "./context";
import { measureFirstLine, servedFormats } from "./first-line";
import { buildBaseline, buildSdkDefaultVariant, bundleSize, coldStart } from "./footprint";
import { killAllChildren, REPO_ROOT, runBench } from "./processes";
import { formatProfile, summarizeProfile } from "./profile-summary";
import { formatTable, type Measurements, tableRows } from "./report";
import { planFor } from "./plan";
import { loadAgent } from "./stream-client";
import { makeCertificate } from "./tls";
import { type BenchFormat, NDJSON } from "./wire-formats";

/**
 * `npm run bench [-- --quick] [--profile] [--out DIR] [--node-args "FLAGS"] [--ours BUNDLE]`: builds the service's bundle (the npm script does),
 * bundles the baseline and the service with the SDK's default Bedrock handler, then measures, in order: bundle
 * size, cold start, added time to first line (1 and 200 concurrent streams; at 1 stream also every other wire
 * format the build serves), 100/500/1,000 concurrent paced streams (completion, line gaps, CPU per token, peak RSS),
 * the other wire formats at 500 streams (between NDJSON runs at 500 made right before and after them), the agent
 * scenario over TLS (CPU per short request), and token budgets on (by default, and exact: `BUDGET_READ_MAX_AGE_MS=0`) against
 * off, with a second budgets-off server as the control (added time to first line at 1 and 200 streams, CPU per
 * token at 200 streams on each server, all loaded at once). Prints a Markdown
 * table and writes everything to DIR/latest.json (default bench-results/, gitignored).
 * The whole run is bounded: a watchdog abandons it, killing every child, past RUN_LIMIT_MS.
 */

const RUN_LIMIT_MS = 15 * 60_000;
/** Above this 1-minute load average other work competes for the 2 cores, and the run says so. */
const BUSY_LOAD_AVERAGE = 1;

const progress = (message: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

const loadAverage = () => os.loadavg().map((value) => Math.round(value * 100) / 100);

/** Which of our other wire formats the bundle under test serves. */
function detectFormats(ctx: BenchContext): Promise<BenchFormat[]> {
  const pacing = { firstTokenMs: 0, tokensPerSecond: 1000, tokens: 3 };
  return withUpstream(ctx, "formats", pacing, (upstream) =>
    withServer(ctx, "ours", "formats", upstream.url, async (server) => {
      const agent = loadAgent();
      try {
        return await servedFormats(agent, server.url);
      } finally {
        agent.destroy();
      }
    }),
  );
}

async function measure(ctx: BenchContext, outDir: string): Promise<Measurements> {
  const plan = planFor(ctx.quick);
  progress("bundle sizes and cold start");
  const bundle = { ours: bundleSize(ctx.entries.ours), baseline: bundleSize(ctx.entries.baseline) };
  const cold = await coldStart(ctx, plan.coldStartRuns);
  const formats = await detectFormats(ctx);
  progress(`wire formats besides NDJSON: ${formats.map((format) => format.name).join(", ") || "none served by this build"}`);
  const firstLine = [];
  for (const firstLinePlan of plan.firstLine) {
    progress(`added time to first line at ${firstLinePlan.concurrency} concurrent stream(s)`);
    firstLine.push(await measureFirstLine(ctx, firstLinePlan, firstLinePlan.concurrency === 1 ? formats : []));
  }
  const concurrency = [];
  const { tokens, tokensPerSecond } = plan.concurrencyPacing;
  for (const { streams, heap } of plan.concurrencyLevels) {
    progress(`${streams} concurrent streams, ${tokensPerSecond} tokens/s for ${tokens / tokensPerSecond} s${heap ? `, ${heap.name}` : ""}`);
    const rampMs = (streams / plan.arrivalsPerSecond) * 1000;
    concurrency.push(await measureConcurrency(ctx, { streams, rampMs, heap, pacing: plan.concurrencyPacing }));
  }
  const formatRuns = [];
  const formatReference = [];
  if (formats.length > 0) {
    // NDJSON runs right before and after the other formats: the machine's speed drifts between phases (the stand-in,
    // doing the same work, has used a fifth more CPU in one phase than in another), so each format is compared
    // with NDJSON measured beside it, not with the concurrency phase's run minutes earlier.
    const rampMs = (plan.formatStreams / plan.arrivalsPerSecond) * 1000;
    const run = (format: BenchFormat) => {
      progress(`${format.name}: ${plan.formatStreams} concurrent streams`);
      return measureFormatConcurrency(ctx, { streams: plan.formatStreams, rampMs, pacing: plan.concurrencyPacing, format });
    };
    formatReference.push(await run(NDJSON));
    for (const format of formats) formatRuns.push(await run(format));
    formatReference.push(await run(NDJSON));
  }
  const { clients, promptChars, pacing } = plan.agents;
  progress(`agent calls over TLS: ${clients} clients, ${promptChars}-character prompts, ${pacing.tokens} tokens each`);
  const agents = await measureAgents(ctx, plan.agents, makeCertificate(path.join(outDir, "tls")));
  progress(`token budgets on (default and exact checks) vs off and a control: first line at ${plan.budgets.firstLine.map((p) => p.concurrency).join(" and ")} stream(s), CPU per token at ${plan.budgets.cpu.streams} streams`);
  const budgets = await measureBudgets(ctx, plan.budgets);
  return { firstLine, concurrency, formats: formatRuns, formatReference, agents, budgets, coldStart: cold, bundle };
}

async function main(): Promise<void> {
  // The bare consumer's SDK would print a Node-version notice in the middle of the progress lines.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      out: { type: "string" },
      "node-args": { type: "string", default: "" },
      ours: { type: "string" },
    },
  });
  const outDir = path.resolve(REPO_ROOT, values.out ?? "bench-results");
  // `--ours FILE` measures another build of the service (e.g. an older commit's bundle) as "ours".
  const entry = values.ours ? path.resolve(values.ours) : path.join(REPO_ROOT, "app", "dist", "server.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run bench\` (it builds first)`);
  const logsDir = path.join(outDir, "logs");
  mkdirSync(logsDir, { recursive: true });
  const profileDir = values.profile ? path.join(outDir, "profiles") : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });

  const startedAt = Date.now();
  const loadAverageAtStart = loadAverage();
  progress(`load average ${loadAverageAtStart.join(" ")} on ${os.cpus().length} cores; bundling the baseline and the SDK-default variant`);
  if (loadAverageAtStart[0] > BUSY_LOAD_AVERAGE) {
    progress(`warning: the machine is busy (1-minute load average ${loadAverageAtStart[0]}): figures will be skewed`);
  }
  const ctx: BenchContext = {
    quick: values.quick,
    entries: {
      ours: entry,
      baseline: await buildBaseline(path.join(outDir, "baseline")),
      oursSdkDefault: await buildSdkDefaultVariant(path.join(outDir, "sdk-default")),
    },
    logsDir,
    profileDir,
    nodeArgs: values["node-args"].split(" ").filter(Boolean),
  };
  const measurements = await measure(ctx, outDir);
  const rows = tableRows(measurements);
  const report = {
    meta: {
      date: new Date(startedAt).toISOString(),
      commit: gitCommit(),
      command: [
        "npm run bench --",
        values.quick ? "--quick" : "",
        values.profile ? "--profile" : "",
        ctx.nodeArgs.length ? `--node-args="${ctx.nodeArgs.join(" ")}"` : "",
        values.ours ? `--ours ${values.ours}` : "",
      ].filter(Boolean).join(" "),
      ours: path.relative(REPO_ROOT, entry),
      quick: values.quick,
      profiled: values.profile,
      serverNodeArgs: ctx.nodeArgs,
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      loadAverage: { atStart: loadAverageAtStart, atEnd: loadAverage() },
      durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    },
    table: rows,
    ...measurements,
  };
  const latest = path.join(outDir, "latest.json");
  writeFileSync(latest, `${JSON.stringify(report, null, 2)}\n`);
  copyFileSync(latest, path.join(outDir, `bench-${report.meta.date.replace(/[:.]/g, "-")}.json`));

  console.log(formatTable(rows));
  console.log(
    `\nload average ${report.meta.loadAverage.atStart.join(" ")} -> ${report.meta.loadAverage.atEnd.join(" ")}; ` +
      `${report.meta.cpus} cores; node ${report.meta.node}; ${report.meta.durationSeconds} s; written to ${path.relative(REPO_ROOT, latest)}`,
  );
  if (profileDir) {
    for (const file of readdirSync(profileDir).filter((name) => name.startsWith("concurrency-")).sort()) {
      console.log(`\n${file}\n${formatProfile(summarizeProfile(path.join(profileDir, file)))}`);
    }
  }
}

const watchdog = setTimeout(() => {
  progress(`the run exceeded ${RUN_LIMIT_MS / 60_000} minutes: abandoning it`);
  killAllChildren();
  process.exit(1);
}, RUN_LIMIT_MS);
watchdog.unref();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

runBench(main);
