import { existsSync, readFileSync } from "node:fs";
import { SourceMap, type SourceMapping } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./stats";

/**
 * Reads a V8 `.cpuprofile` (from `node --cpu-prof`, as `npm run bench -- --profile` runs the servers) and says where
 * the self time went: by function and by package. Positions in a minified bundle are mapped back through its
 * `.map` file (Node's own SourceMap), so the names are the sources' names. Usable on its own:
 *
 *   npx tsx app/bench/profile-summary.ts bench-results/profiles/concurrency-1000-ours.cpuprofile [top]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotSpot {
  name: string;
  /** Samples × the sampling interval: CPU time spent in it, not wall time. */
  selfMs: number;
  /** Share of all sampled time, %, idle included. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: HotSpot[];
  packages: HotSpot[];
}

/** Source maps of the bundles seen in a profile, loaded once each. */
function sourceMapLoader(): (url: string) => SourceMap | undefined {
  const cache = new Map<string, SourceMap | undefined>();
  return (url) => {
    if (!cache.has(url)) {
      const file = url.startsWith("file:") ? fileURLToPath(url) : url;
      const mapFile = `${file}.map`;
      cache.set(url, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, "utf8"))) : undefined);
    }
    return cache.get(url);
  };
}

/** "koa", "@smithy/core", "app/src", "node:internal", "(idle)": who owns the code a frame ran. */
function packageOf(source: string, functionName: string): string {
  if (!source) return functionName.startsWith("(") ? functionName : "(native)";
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (inModules) return inModules[1];
  if (source.startsWith("node:")) return "node:internal";
  // The service's own sources appear relative to its bundle (../src/...).
  const app = /(?:^|\/)(src|bench|local)\/[^/]+\.ts$/.exec(source);
  return app ? `app/${app[1]}` : path.basename(source);
}

function rank(totals: Map<string, number>, totalUs: number, top: number): HotSpot[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), share: Math.round((us * 1000) / totalUs) / 10 }));
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  // Samples are counted, not weighted by their time deltas: when the machine is busy, a process that waited for a
  // core shows one sample with a huge delta, which would charge the wait to whatever function happened to be on top.
  const intervalUs = median(profile.timeDeltas);
  const selfUs = new Map<number, number>();
  for (const id of profile.samples) selfUs.set(id, (selfUs.get(id) ?? 0) + intervalUs);
  const mapFor = sourceMapLoader();
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    totalUs += us;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const entry = url ? mapFor(url)?.findEntry(lineNumber, columnNumber) : undefined;
    const original = entry && "originalSource" in entry ? (entry as SourceMapping) : undefined;
    const source = original?.originalSource ?? url;
    const line = original ? original.originalLine + 1 : lineNumber + 1;
    const name = `${functionName || "(anonymous)"} ${source ? `${source.replace(/^.*node_modules\//, "")}:${line}` : ""}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const owner = packageOf(source, functionName);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + us);
  }
  return {
    totalMs: Math.round(totalUs / 1000),
    functions: rank(byFunction, totalUs, top),
    packages: rank(byPackage, totalUs, top),
  };
}

export function formatProfile(summary: ProfileSummary): string {
  const rows = (spots: HotSpot[]) =>
    spots.map((spot) => `  ${String(spot.selfMs).padStart(7)} ms ${spot.share.toFixed(1).padStart(5)}%  ${spot.name}`);
  return [
    `sampled ${summary.totalMs} ms; self time by package:`,
    ...rows(summary.packages),
    "self time by function:",
    ...rows(summary.functions),
  ].join("\n");
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error("usage: profile-summary.ts <file.cpuprofile> [top]");
    process.exit(2);
  }
  console.log(formatProfile(summarizeProfile(file, Number(top ?? 15))));
}
