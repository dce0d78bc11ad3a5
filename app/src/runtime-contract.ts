import { CONTAINER_PORT, SHUTDOWN_GRACE_SECONDS } from "./settings";

/**
 * The runtime contract between the container image, the ECS task definition (`infra/`) and the image test.
 *
 * Why one file: the task definition, the Dockerfile's user, the app's own timeouts and the image test must agree
 * on the port, the user, the health check and the environment names. Keeping them here (data only; the settings
 * registry is its one import) lets `infra/`, `app/` and the tests import the same values instead of repeating
 * literals that drift apart. The environment variables, their defaults and rules live in settings.ts.
 */
export {
  CONTAINER_PORT,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MODEL_ID,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  ENV,
  MAX_GATEWAY_BODY_BYTES,
  SHUTDOWN_GRACE_SECONDS,
} from "./settings";

/** Name of the app container in the ECS task definition. */
export const CONTAINER_NAME = "app";

/**
 * Numeric `uid:gid` the container runs as. 1000 is the `node` user of the official Node images; ECS and the image
 * test pass it explicitly so a base image without that user name still runs unprivileged.
 */
export const CONTAINER_USER = "1000:1000";

/** The app needs no writable root filesystem; ECS and the image test both enforce it. */
export const READONLY_ROOT_FILESYSTEM = true;

export const HEALTH_PATH = "/health";

/**
 * Header carrying API Gateway's request id to the app. API Gateway does not send its id to HTTP integrations on its
 * own, and a client's `x-amzn-requestid` passes an HTTP_PROXY integration untouched, so the integrations map
 * `$context.requestId` into this header (overwriting any value a client sent); the app logs it, which joins its log
 * lines with API Gateway's access logs.
 */
export const GATEWAY_REQUEST_ID_HEADER = "x-request-id";
export const STREAM_PATH = "/stream";
export {
  ANTHROPIC_MODEL_PATH, ANTHROPIC_MODELS_PATH, CHAT_COMPLETIONS_PATH, COUNT_TOKENS_PATH, EMBEDDINGS_PATH, MESSAGES_PATH, MODEL_PATH, MODELS_PATH, PLAYGROUND_PATH,
  RESPONSES_PATH, USAGE_PATH,
} from "./route-paths";

/**
 * Header carrying the id of the API key API Gateway validated (`$context.identity.apiKeyId`), mapped by every
 * integration and overwriting any value a client sent; the app maps the id to the key's name and token limits.
 */
export const GATEWAY_API_KEY_ID_HEADER = "x-api-key-id";

/**
 * Container health check. The runtime image has no curl, so Node's own fetch does the probe.
 * Exec form (no shell) so it also works on shell-less images.
 */
export const HEALTH_CHECK = {
  command: [
    "CMD",
    "node",
    "-e",
    `fetch("http://127.0.0.1:${CONTAINER_PORT}${HEALTH_PATH}").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
  ],
  intervalSeconds: 15,
  timeoutSeconds: 5,
  retries: 3,
  startPeriodSeconds: 10,
} as const;

/**
 * ALB idle timeout. API Gateway's idle timeout for streamed responses on Regional endpoints is 5 minutes, so the
 * ALB must allow at least as long between bytes or it, not API Gateway, would cut quiet streams.
 */
export const ALB_IDLE_TIMEOUT_SECONDS = 300;

/**
 * Node's keep-alive must outlive the ALB's idle timeout: otherwise Node closes an idle connection the ALB still
 * considers open, and the ALB answers the next request on it with a 502.
 */
export const KEEP_ALIVE_TIMEOUT_MS = (ALB_IDLE_TIMEOUT_SECONDS + 5) * 1000;
/** Must exceed keepAliveTimeout (Node's documented requirement) so a slow header never races the keep-alive. */
export const HEADERS_TIMEOUT_MS = KEEP_ALIVE_TIMEOUT_MS + 5000;
/**
 * Longest time to receive a whole request (headers and body), after which it is answered 408. Node measures it, like
 * headersTimeout, from the request's first byte, so it must not be shorter; it bounds a stalled body, never a long
 * response.
 */
export const REQUEST_TIMEOUT_MS = HEADERS_TIMEOUT_MS + 5000;

/** ECS waits this long after SIGTERM before SIGKILL: the grace plus time to flush logs and exit. */
export const STOP_TIMEOUT_SECONDS = SHUTDOWN_GRACE_SECONDS + 10;
/** ALB draining time: ECS drains the target this long before it sends SIGTERM. */
export const DEREGISTRATION_DELAY_SECONDS = SHUTDOWN_GRACE_SECONDS;

/** Where the production bundle lives inside the image, and the command that starts it. */
export const IMAGE_APP_DIR = "/app";
export const IMAGE_ENTRYPOINT = ["node", `${IMAGE_APP_DIR}/server.js`] as const;

/**
 * Young-generation semi-space size (MiB) for the task's V8 heap. Inside a 512 MiB task Node picks 1 MiB semi-spaces
 * on its own, so every streamed token's short-lived objects trigger frequent scavenges: `npm run bench` measured
 * ~91-108 µs of CPU per token with them and ~75 µs with 16 MiB, at a peak RSS of ~197 MB for 1,000 streams.
 */
export const V8_SEMI_SPACE_MIB = 16;

/**
 * `NODE_OPTIONS` for a task with `memoryMiB` of memory: the V8 heap sized explicitly from the task's memory (half of
 * it for the old generation, leaving room for the young generation, sockets' native buffers and the code) instead of
 * left to V8's heuristics, plus source-mapped stack traces (the bundle ships its map). ECS and the benchmark both
 * use this, so what is measured is what runs.
 */
export function taskNodeOptions(memoryMiB: number): string {
  const oldSpaceMiB = Math.floor(memoryMiB / 2);
  return `--enable-source-maps --max-old-space-size=${oldSpaceMiB} --max-semi-space-size=${V8_SEMI_SPACE_MIB}`;
}
