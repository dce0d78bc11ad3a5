import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DEFAULT_MODEL_ID, ENV, HEALTH_PATH } from "../src/runtime-contract";
import { SETTINGS } from "../src/settings";

/** Repository root: children run from here so `--import tsx` resolves from the root's node_modules. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const SERVER_ENTRY = path.join(REPO_ROOT, "app", "src", "server.ts");

/**
 * The app's environment for local mode: the caller's environment, pointed at the local Bedrock stand-in.
 *
 * Dummy credentials are forced (and a session token or profile dropped) so the SDK's credential chain can never
 * pick up a developer's real AWS identity: local mode must work, and cost nothing, without an AWS account.
 */
export function localAppEnv(base: NodeJS.ProcessEnv, bedrockUrl: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...base,
    [ENV.port]: String(port),
    [ENV.host]: base[ENV.host] || "127.0.0.1",
    [ENV.modelId]: base[ENV.modelId] || DEFAULT_MODEL_ID,
    // The deployed stage prefix too, so an SDK's base URL is http://localhost:8080/v1 here as it is <stage URL> there.
    [ENV.stagePrefix]: base[ENV.stagePrefix] || SETTINGS.stagePrefix.stack.default,
    [ENV.region]: "us-east-1",
    [ENV.bedrockEndpoint]: bedrockUrl,
    AWS_ACCESS_KEY_ID: "local-mode-dummy-key-id",
    AWS_SECRET_ACCESS_KEY: "local-mode-dummy-secret",
  };
  for (const name of ["AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_BEARER_TOKEN_BEDROCK", "AWS_DEFAULT_REGION"]) {
    delete env[name];
  }
  return env;
}

/**
 * Runs a TypeScript entry point with the current `node` and tsx's loader: one process (no npx/tsx wrapper in
 * between), so a signal sent to the child reaches the program itself.
 */
export function spawnTypeScript(entry: string, args: string[], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", entry, ...args], { cwd: REPO_ROOT, ...options });
}

/**
 * Starts `app/src/server.ts` in its own process group, so a terminal's Ctrl-C reaches it once, through us, rather
 * than twice (once from the terminal, once forwarded).
 */
export function spawnApp(env: NodeJS.ProcessEnv): ChildProcess {
  return spawnTypeScript(SERVER_ENTRY, [], { env, stdio: ["ignore", "inherit", "inherit"], detached: true });
}

/** Resolves once `GET /health` answers 200; rejects if the child exits first or `timeoutMs` passes. */
export async function waitForHealth(baseUrl: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  let exited: string | undefined;
  child.once("exit", (code, signal) => (exited = `the app exited (${signal ?? `code ${code}`}) before it was healthy`));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(exited);
    const healthy = await fetch(`${baseUrl}${HEALTH_PATH}`, { signal: AbortSignal.timeout(1000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await sleep(100);
  }
  throw new Error(exited ?? `the app did not answer ${HEALTH_PATH} within ${timeoutMs} ms`);
}

/** Sends `signal` to the child and waits for it to exit (it has its own grace period for in-flight streams). */
export async function stopApp(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exit = once(child, "exit");
  child.kill(signal);
  const [code] = (await exit) as [number | null];
  return code;
}
