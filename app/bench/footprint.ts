import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { type BenchContext, SERVER_KINDS, type ServerKind } from "./context";
import { startServer } from "./processes";
import { median, round } from "./stats";

/**
 * What a deployment pays before the first request: the size of the production bundle and the time from process
 * spawn to the first 200 on /health. The baseline is bundled the same way (esbuild, minified, one CommonJS file),
 * so both figures compare like with like.
 */

const BUILD_SCRIPT = path.join(__dirname, "..", "build.mjs");
const execFileAsync = promisify(execFile);

const BASELINE_SOURCE = path.join(__dirname, "baseline-server.ts");

/** Bundles the baseline server into `outdir` with the service's own build script (app/build.mjs); returns its path. */
export async function buildBaseline(outdir: string): Promise<string> {
  await execFileAsync(process.execPath, [BUILD_SCRIPT, "--entry", BASELINE_SOURCE, "--outdir", outdir]);
  return path.join(outdir, "baseline-server.js");
}

/**
 * Bundles the service with the SDK's default Bedrock client in place of its own (`sdk-default-client.ts` replaces
 * `src/bedrock/client.ts`), into `outdir`; returns its path.
 */
export async function buildSdkDefaultVariant(outdir: string): Promise<string> {
  const replace = `${path.join(__dirname, "..", "src", "bedrock", "client.ts")}=${path.join(__dirname, "sdk-default-client.ts")}`;
  await execFileAsync(process.execPath, [BUILD_SCRIPT, "--replace", replace, "--outdir", outdir]);
  return path.join(outdir, "server.js");
}

export interface BundleSize {
  /** The bundle itself, bytes. */
  bundleBytes: number;
  /** Everything beside it in its folder (source map, licences), bytes. */
  folderBytes: number;
}

export function bundleSize(entry: string): BundleSize {
  const dir = path.dirname(entry);
  const folderBytes = readdirSync(dir).reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
  return { bundleBytes: statSync(entry).size, folderBytes };
}

export interface ColdStart {
  runs: number[];
  medianMs: number;
}

/** One spawn of `kind`'s bundle, timed to its first 200 on /health, then stopped. */
async function timeOneStart(ctx: BenchContext, kind: ServerKind): Promise<number> {
  const server = await startServer({
    entry: ctx.entries[kind],
    // Neither server calls Bedrock before a request: the endpoint is a closed local port.
    upstreamUrl: "http://127.0.0.1:9",
    logFile: path.join(ctx.logsDir, `cold-start-${kind}.log`),
    nodeArgs: ctx.nodeArgs,
  });
  await server.stop();
  return round(server.readyMs, 1);
}

/**
 * Spawns each bundle `runs` times, timing spawn to the first 200 on /health (polled every millisecond). The two
 * servers take turns, after one unrecorded start each (file cache, an idle CPU waking up), so a change in the
 * machine's load weighs on both alike.
 */
export async function coldStart(ctx: BenchContext, runs: number): Promise<Record<ServerKind, ColdStart>> {
  const times: Record<ServerKind, number[]> = { ours: [], baseline: [] };
  for (const kind of SERVER_KINDS) await timeOneStart(ctx, kind);
  for (let i = 0; i < runs; i += 1) {
    for (const kind of SERVER_KINDS) times[kind].push(await timeOneStart(ctx, kind));
  }
  return {
    ours: { runs: times.ours, medianMs: median(times.ours) },
    baseline: { runs: times.baseline, medianMs: median(times.baseline) },
  };
}
