import net from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import { configDefaults, partitionOf } from "../../../infra/config";
import { containerEnvironment } from "../../../infra/container";
import {
  CONTAINER_PORT,
  CONTAINER_USER,
  ENV,
  HEALTH_PATH,
  READONLY_ROOT_FILESYSTEM,
  STOP_TIMEOUT_SECONDS,
} from "../../src/runtime-contract";
import { TEST_ENV } from "../helpers/harness";
import { request } from "../helpers/http-client";
import { docker, dockerResult, inspect } from "./docker-cli";
import { recordFigure } from "./figures";

/**
 * The app image's container, run the way the ECS task definition in infra/ runs it: the contract's user, a
 * read-only root filesystem, the contract's port, and the very environment the task definition gets (infra's own
 * `containerEnvironment` with every stack setting at its default). Only what ECS supplies from outside differs:
 * credentials (dummy keys instead of the task role) and the Bedrock endpoint (the local Bedrock-compatible server).
 *
 * `--network host`: the container shares the host's loopback, so it reaches the local server at 127.0.0.1 and the
 * test reaches it at 127.0.0.1:CONTAINER_PORT, as the ALB reaches the task's port (awsvpc mode also gives the task
 * its own network stack with the port on it, with no port mapping in between).
 */

export const APP_IMAGE = process.env.APP_IMAGE ?? "bedrock-stream-api-app:image-test";
export const APP_URL = `http://127.0.0.1:${CONTAINER_PORT}`;

/** What a default `pulumi up` configures, in the region the test pretends to be in. */
export const DEFAULT_STACK_SETTINGS = {
  ...configDefaults(),
  region: TEST_ENV.AWS_REGION,
  partition: partitionOf(TEST_ENV.AWS_REGION),
};

/** The task definition's environment, plus what ECS would provide from outside the task definition. */
export function taskEnvironment(bedrockUrl: string, overrides: Record<string, string> = {}): Record<string, string> {
  const fromTaskDefinition = containerEnvironment(DEFAULT_STACK_SETTINGS).map(({ name, value }) => [name, value]);
  return {
    ...Object.fromEntries(fromTaskDefinition),
    AWS_ACCESS_KEY_ID: TEST_ENV.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: TEST_ENV.AWS_SECRET_ACCESS_KEY,
    [ENV.bedrockEndpoint]: bedrockUrl,
    ...overrides,
  };
}

export interface StopResult {
  exitCode: number;
  /** From sending SIGTERM (`docker stop`) to the container having exited. */
  elapsedMs: number;
}

export interface AppContainer {
  name: string;
  /** `docker exec` in the running container; resolves with its exit code and output. */
  exec(command: readonly string[]): ReturnType<typeof dockerResult>;
  /** SIGTERM, then SIGKILL after the task definition's stopTimeout, exactly as ECS stops a task. */
  stop(): Promise<StopResult>;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

let containersStarted = 0;

/** Fails fast (and clearly) when something else holds the port the container must listen on. */
async function assertPortFree(port: number): Promise<void> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once("error", (err) => reject(new Error(`port ${port} is in use on this machine; the container needs it (${err.message})`)));
    probe.listen(port, "0.0.0.0", () => probe.close(() => resolve()));
  });
}

/** Docker's RFC 3339 timestamps carry nanoseconds; Date.parse wants at most milliseconds. */
const parseDockerTime = (value: string): number => Date.parse(value.replace(/(\.\d{3})\d*/, "$1"));

/** Polls GET /health until it answers 200; resolves with `Date.now()` at that answer. */
async function waitUntilHealthy(name: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const reply = await request(APP_URL, { path: HEALTH_PATH }).catch(() => undefined);
    if (reply?.status === 200) return Date.now();
    if (attempt % 25 === 24 && !(await inspect("container", name)).State.Running) {
      throw new Error(`container exited before it was healthy; its output:\n${await docker(["logs", name])}`);
    }
    await delay(10);
  }
  throw new Error(`container not healthy after ${timeoutMs} ms; its output:\n${await docker(["logs", name])}`);
}

export async function startAppContainer(env: Record<string, string>): Promise<AppContainer> {
  await assertPortFree(CONTAINER_PORT);
  const name = `bedrock-stream-image-test-${process.pid}-${++containersStarted}`;
  const args = ["run", "--detach", "--name", name, "--network", "host", "--user", CONTAINER_USER];
  if (READONLY_ROOT_FILESYSTEM) args.push("--read-only");
  for (const [key, value] of Object.entries(env)) args.push("--env", `${key}=${value}`);
  await docker([...args, APP_IMAGE]);
  const remove = async () => void (await dockerResult(["rm", "--force", "--volumes", name]));
  try {
    const healthyAt = await waitUntilHealthy(name, 30_000);
    const startedAt = parseDockerTime((await inspect("container", name)).State.StartedAt);
    // Docker's StartedAt is when the container's process started: from there to the first 200 is the app's own
    // start-up (module load, config, listen), which is what a task's time to healthy depends on.
    recordFigure("start-to-healthy", `${healthyAt - startedAt} ms`, `each container start: process start to first 200 from GET ${HEALTH_PATH}`);
    return {
      name,
      exec: (command) => dockerResult(["exec", name, ...command]),
      async stop() {
        const sentAt = Date.now();
        await docker(["stop", "--time", String(STOP_TIMEOUT_SECONDS), name], (STOP_TIMEOUT_SECONDS + 30) * 1000);
        const elapsedMs = Date.now() - sentAt;
        return { exitCode: (await inspect("container", name)).State.ExitCode, elapsedMs };
      },
      logs: () => docker(["logs", name]),
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}
