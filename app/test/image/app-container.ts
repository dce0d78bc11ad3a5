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
import { type FakeBedrock, type FakeBedrockOptions, startFakeBedrock } from "../../local/fake-bedrock";
import { TEST_ENV } from "../helpers/harness";
import { request } from "../helpers/http-client";
import { docker, dockerResult, inspect } from "./docker-cli";
import { recordFigure } from "./figures";
import { mappedPort, taskNetwork } from "./task-network";

/**
 * The app image's container, run the way the ECS task definition in infra/ runs it: the contract's user, a
 * read-only root filesystem, the contract's port, and the very environment the task definition gets (infra's own
 * `containerEnvironment` with every stack setting at its default). Only what ECS supplies from outside differs:
 * credentials (dummy keys instead of the task role) and the Bedrock endpoint (the local Bedrock-compatible server).
 *
 * Networking as `awsvpc` gives a task: a network namespace of its own (task-network.ts), with the app on the
 * contract's port inside it. The test reaches that port through a free host port Docker maps on 127.0.0.1, so a
 * process holding 8080 on the host (`npm run local`) changes nothing; the container reaches the local
 * Bedrock-compatible server on the host's side of the bridge ({@link startBedrockForTasks}).
 */

export const APP_IMAGE = process.env.APP_IMAGE ?? "bedrock-stream-api-app:image-test";

/** The local Bedrock-compatible server, listening where the test's containers can reach it. */
export async function startBedrockForTasks(options: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  return startFakeBedrock({ ...options, host: (await taskNetwork()).hostAddress });
}

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
  /** Where the test reaches the app: the host port mapped to the container's CONTAINER_PORT. */
  url: string;
  /** `docker exec` in the running container; resolves with its exit code and output. */
  exec(command: readonly string[]): ReturnType<typeof dockerResult>;
  /** SIGTERM, then SIGKILL after the task definition's stopTimeout, exactly as ECS stops a task. */
  stop(): Promise<StopResult>;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

let containersStarted = 0;

/** Docker's RFC 3339 timestamps carry nanoseconds; Date.parse wants at most milliseconds. */
const parseDockerTime = (value: string): number => Date.parse(value.replace(/(\.\d{3})\d*/, "$1"));

/** Polls GET /health until it answers 200; resolves with `Date.now()` at that answer. */
async function waitUntilHealthy(name: string, url: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const reply = await request(url, { path: HEALTH_PATH }).catch(() => undefined);
    if (reply?.status === 200) return Date.now();
    if (attempt % 25 === 24 && !(await inspect("container", name)).State.Running) {
      throw new Error(`container exited before it was healthy; its output:\n${await docker(["logs", name])}`);
    }
    await delay(10);
  }
  throw new Error(`container not healthy after ${timeoutMs} ms; its output:\n${await docker(["logs", name])}`);
}

export async function startAppContainer(env: Record<string, string>): Promise<AppContainer> {
  const name = `bedrock-stream-image-test-${process.pid}-${++containersStarted}`;
  // Its own namespace on the test's bridge; Docker picks a free host port (on loopback only) for the app's port.
  const network = (await taskNetwork()).name;
  const args = ["run", "--detach", "--name", name, "--network", network, "--publish", `127.0.0.1::${CONTAINER_PORT}`,
    "--user", CONTAINER_USER];
  if (READONLY_ROOT_FILESYSTEM) args.push("--read-only");
  for (const [key, value] of Object.entries(env)) args.push("--env", `${key}=${value}`);
  await docker([...args, APP_IMAGE]);
  const remove = async () => void (await dockerResult(["rm", "--force", "--volumes", name]));
  try {
    const url = `http://127.0.0.1:${await mappedPort(name, CONTAINER_PORT)}`;
    const healthyAt = await waitUntilHealthy(name, url, 30_000);
    const startedAt = parseDockerTime((await inspect("container", name)).State.StartedAt);
    // Docker's StartedAt is when the container's process started: from there to the first 200 is the app's own
    // start-up (module load, config, listen), which is what a task's time to healthy depends on.
    recordFigure("start-to-healthy", `${healthyAt - startedAt} ms`, `each container start: process start to first 200 from GET ${HEALTH_PATH}`);
    return {
      name,
      url,
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
