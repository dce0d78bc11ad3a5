import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { closeSync, existsSync, openSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { localAppEnv } from "../local/app-process";
import { ENV, HEALTH_PATH } from "../src/runtime-contract";
import type { BenchCertificate } from "./tls";

/**
 * The benchmark's separate processes: the local Bedrock stand-in, the usage table's DynamoDB-compatible server,
 * and the server under test (the service's bundle or the baseline's, with plain `node`), each on 127.0.0.1 and
 * always stopped, bounded in time.
 */

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
const FAKE_CLI = path.join(REPO_ROOT, "app", "local", "fake-bedrock-cli.ts");
const USAGE_TABLE_CLI = path.join(REPO_ROOT, "app", "bench", "usage-table-cli.ts");
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** How the stand-in answers every request: the default reply, `tokens` long, at an exact rate (no jitter). */
export interface UpstreamPacing {
  firstTokenMs: number;
  tokensPerSecond: number;
  tokens: number;
}

export interface Process {
  child: ChildProcess;
  pid: number;
  url: string;
  /** SIGTERM, then SIGKILL if the process is still there after a bound; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface ServerProcess extends Process {
  /** From spawn to the first 200 on /health (the cold start). */
  readyMs: number;
}

/** Every child still running, so an interrupted or timed-out run leaves no process behind. */
const liveChildren = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  liveChildren.add(child);
  child.once("exit", () => liveChildren.delete(child));
  return child;
}

/** Kills every child this module started and that is still running (SIGKILL: the run is being abandoned). */
export function killAllChildren(): void {
  for (const child of liveChildren) child.kill("SIGKILL");
}

/** The production bundle `npm run build` writes: what a bench phase measures unless it is told another build. */
export function builtServerEntry(): string {
  const entry = path.join(REPO_ROOT, "app", "dist", "server.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\``);
  return entry;
}

/**
 * A bench script's entry point: exits with what `main` returns (0 when nothing), and on a failure prints it, kills
 * every child still running and exits 1, so no stand-in or server outlives an interrupted run.
 */
export function runBench(main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      killAllChildren();
      process.exit(code ?? 0);
    },
    (err: unknown) => {
      console.error(err);
      killAllChildren();
      process.exit(1);
    },
  );
}

function logTo(file: string): number {
  return openSync(file, "a");
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts a TypeScript CLI under tsx and waits for the JSON line it prints once it is ready (its stdout's first
 * line); its stderr goes to `logFile`.
 */
async function startReporting<Ready extends { url: string }>(script: string, args: string[], logFile: string, what: string): Promise<Process & Ready> {
  const log = logTo(logFile);
  const child = track(
    spawn(process.execPath, ["--import", "tsx", script, ...args], { cwd: REPO_ROOT, stdio: ["ignore", "pipe", log] }),
  );
  closeSync(log);
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`the ${what} exited (code ${code}) before it was ready; see ${logFile}`);
  });
  const firstLine = once(createInterface({ input: child.stdout! }), "line").then(([line]) => JSON.parse(line));
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} start timed out`)), READY_TIMEOUT_MS).unref());
  const ready: Ready = await Promise.race([firstLine, exited, timeout]).catch(async (error: unknown) => {
    await stopChild(child);
    throw error;
  });
  exited.catch(() => undefined);
  child.stdout!.resume();
  return { ...ready, child, pid: child.pid!, stop: () => stopChild(child) };
}

/** Starts `app/local/fake-bedrock-cli.ts` (over HTTPS with `tls`). */
export function startUpstream(pacing: UpstreamPacing, logFile: string, tls?: BenchCertificate): Promise<Process> {
  const args = [
    ...(tls ? ["--tls-cert", tls.certFile, "--tls-key", tls.keyFile] : []),
    ...["--host", "127.0.0.1", "--port", "0", "--jitter-ms", "0"],
    ...["--first-token-ms", String(pacing.firstTokenMs), "--tokens-per-second", String(pacing.tokensPerSecond)],
    ...["--tokens", String(pacing.tokens)],
  ];
  return startReporting(FAKE_CLI, args, logFile, "Bedrock stand-in");
}

/** The usage table's server (`usage-table-cli.ts`): dynalite in its own process, the table created. */
export function startUsageTable(logFile: string): Promise<Process & { tableName: string }> {
  return startReporting<{ url: string; tableName: string }>(USAGE_TABLE_CLI, [], logFile, "usage table (dynalite)");
}

/** A port nobody listens on right now, so the server's URL is known before it starts (cold start needs it). */
export async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** One GET /health; resolves with whether it answered 200 (false on any connection error). */
function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}${HEALTH_PATH}`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false));
  });
}

/**
 * Spawns `node [nodeArgs] <entry>` (a bundle: no loader, no node_modules lookups at start) with the local-mode
 * environment pointed at `upstreamUrl`, and polls /health every millisecond until it answers 200.
 * The server's stdout and stderr (its JSON log lines) go to `logFile`, as they would to a log driver.
 */
export async function startServer(options: {
  entry: string;
  upstreamUrl: string;
  logFile: string;
  nodeArgs?: string[];
  /** Set on top of the local-mode environment. */
  env?: NodeJS.ProcessEnv;
}): Promise<ServerProcess> {
  const port = await freePort();
  const env = { ...localAppEnv(process.env, options.upstreamUrl, port), ...options.env };
  env[ENV.host] = "127.0.0.1";
  env[ENV.logLevel] = "info";
  delete env.NODE_OPTIONS;
  const log = logTo(options.logFile);
  const spawnedAt = performance.now();
  const child = track(
    spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry], { cwd: REPO_ROOT, env, stdio: ["ignore", log, log] }),
  );
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = spawnedAt + READY_TIMEOUT_MS;
  while (!(await healthy(url))) {
    if (child.exitCode !== null || performance.now() > deadline) {
      await stopChild(child);
      throw new Error(`${path.basename(options.entry)} did not become healthy; see ${options.logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const readyMs = performance.now() - spawnedAt;
  return { child, pid: child.pid!, url, readyMs, stop: () => stopChild(child) };
}
