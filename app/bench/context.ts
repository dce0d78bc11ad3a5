import path from "node:path";
import { startServer, startUpstream, type Process, type ServerProcess, type UpstreamPacing } from "./processes";
import type { BenchCertificate } from "./tls";

/** The two servers under test: the service's production bundle, and the minimal baseline's bundle. */
export type ServerKind = "ours" | "baseline";
export const SERVER_KINDS: readonly ServerKind[] = ["ours", "baseline"];
/**
 * Every bundle the benchmark can run: the two above, and the service built with the SDK's default Bedrock request
 * handler (`sdk-default-client.ts`), the yardstick of the multiplexed client's figures.
 */
export type EntryKind = ServerKind | "oursSdkDefault";

/** Where things are and how the run was asked to go; every phase receives it. */
export interface BenchContext {
  quick: boolean;
  /** Bundle to run for each server. */
  entries: Record<EntryKind, string>;
  /** Every child process's output, one file per phase and process. */
  logsDir: string;
  /** When set, each server runs with `--cpu-prof` and writes its profile here. */
  profileDir?: string;
  /** Node flags for every server process (`--node-args`), e.g. heap settings to try. */
  nodeArgs: string[];
}

/** Runs `use` with a fresh stand-in at `pacing` (over HTTPS with `tls`), and always stops it. */
export async function withUpstream<T>(
  ctx: BenchContext,
  label: string,
  pacing: UpstreamPacing,
  use: (upstream: Process) => Promise<T>,
  tls?: BenchCertificate,
): Promise<T> {
  const upstream = await startUpstream(pacing, path.join(ctx.logsDir, `${label}-upstream.log`), tls);
  try {
    return await use(upstream);
  } finally {
    await upstream.stop();
  }
}

/** How one server of a phase differs from the rest: extra Node flags, a trusted certificate, extra environment. */
export interface ServerOptions {
  nodeArgs?: string[];
  /** The server trusts the stand-in's certificate (NODE_EXTRA_CA_CERTS). */
  tls?: BenchCertificate;
  /** Set on top of the local-mode environment (e.g. budgets on). */
  env?: NodeJS.ProcessEnv;
}

/** Runs `use` with a fresh `kind` server pointed at `upstreamUrl`, and always stops it (writing its profile). */
export async function withServer<T>(
  ctx: BenchContext,
  kind: EntryKind,
  label: string,
  upstreamUrl: string,
  use: (server: ServerProcess) => Promise<T>,
  options: ServerOptions = {},
): Promise<T> {
  const name = `${label}-${kind}`;
  const profiling = ctx.profileDir
    ? ["--cpu-prof", `--cpu-prof-dir=${ctx.profileDir}`, `--cpu-prof-name=${name}.cpuprofile`]
    : [];
  const nodeArgs = [...ctx.nodeArgs, ...(options.nodeArgs ?? []), ...profiling];
  const server = await startServer({
    entry: ctx.entries[kind],
    upstreamUrl,
    logFile: path.join(ctx.logsDir, `${name}.log`),
    nodeArgs,
    env: { ...options.env, ...(options.tls ? { NODE_EXTRA_CA_CERTS: options.tls.certFile } : {}) },
  });
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}
