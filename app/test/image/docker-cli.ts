import { execFile } from "node:child_process";

/**
 * The Docker CLI, as the image test's TypeScript checks use it.
 *
 * Why the CLI and not the Engine API: run.sh has already chosen a CLI that works with the engine it started (or
 * found), and `DOCKER`/`DOCKER_HOST` carry that choice here; the checks then do exactly what a person would type.
 */

const DOCKER = process.env.DOCKER ?? "docker";

export interface DockerResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `docker ARGS...` and resolves with its exit code and output, whatever the exit code. */
export function dockerResult(args: readonly string[], timeoutMs = 60_000): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    execFile(DOCKER, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== "number") return reject(error); // not started, or killed by the timeout
      resolve({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Runs `docker ARGS...`, resolves with its trimmed stdout, rejects (with stderr) on a non-zero exit. */
export async function docker(args: readonly string[], timeoutMs?: number): Promise<string> {
  const result = await dockerResult(args, timeoutMs);
  if (result.exitCode !== 0) {
    throw new Error(`docker ${args.join(" ")} exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result.stdout.trim();
}

/** `docker inspect` of one object, parsed. */
export async function inspect<T = any>(kind: "image" | "container", name: string): Promise<T> {
  const [first] = JSON.parse(await docker([kind, "inspect", name])) as T[];
  return first;
}
