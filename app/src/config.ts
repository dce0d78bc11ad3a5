import * as z from "zod";
import { FAILURE_POLICIES, type FailurePolicy } from "./usage/meter";
import { type ApiKeys, apiKeysSchema } from "./usage/keys";
import {
  CONTAINER_PORT,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MODEL_ID,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  ENV,
  SHUTDOWN_GRACE_SECONDS,
} from "./runtime-contract";

/**
 * The service's configuration, read once from the environment at start-up.
 *
 * Why validate up front: a typo in a task definition (`PORT=80a`, `DEFAULT_MAX_TOKENS=-1`) should stop the container
 * at boot with a message naming the variable, not surface later as a confusing 500 on the first request.
 */

/** Upper bound for any `maxTokens` (the request's or the default): Claude Haiku 4.5's maximum output. */
export const MAX_TOKENS_LIMIT = 64_000;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Unset and blank variables both mean "use the default", as a shell's `FOO=` usually intends. */
const blankAsUnset = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

function wholeNumber(min: number, max: number, fallback: number) {
  return z.preprocess(
    blankAsUnset,
    z
      .string()
      .trim()
      .regex(/^\d+$/, "must be a whole number")
      .transform(Number)
      .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`))
      .default(fallback),
  );
}

function text(fallback: string, pattern: RegExp, rule: string) {
  return z.preprocess(blankAsUnset, z.string().trim().regex(pattern, rule).default(fallback));
}

/** `API_KEYS`: JSON text of API Gateway key id -> `{name, tokensPerDay?, tokensPerMonth?}` (infra writes it). */
function parseApiKeys(text: string, ctx: z.RefinementCtx): ApiKeys {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: "custom", message: "must be JSON: an object of key id -> {name, tokensPerDay?, tokensPerMonth?}" });
    return z.NEVER;
  }
  const parsed = apiKeysSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const at = issue.path.length > 0 ? `[${issue.path.map((p) => JSON.stringify(p)).join("][")}] ` : "";
    ctx.addIssue({ code: "custom", message: `${at}${issue.message}`.trim() });
  }
  return z.NEVER;
}

const envSchema = z.object({
  // 0 asks the OS for a free port (tests); the "listening" log line reports the one chosen.
  [ENV.port]: wholeNumber(0, 65_535, CONTAINER_PORT),
  [ENV.host]: text("0.0.0.0", /^[0-9A-Za-z.:-]+$/, "must be an IP address or host name"),
  [ENV.modelId]: text(DEFAULT_MODEL_ID, /^[\w.:/-]{1,2048}$/, "must be a Bedrock model or inference profile id"),
  [ENV.region]: z.preprocess(
    blankAsUnset,
    z
      .string({ error: "is required (the AWS Region of Bedrock, e.g. us-east-1)" })
      .trim()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS Region such as us-east-1"),
  ),
  [ENV.maxTokens]: wholeNumber(1, MAX_TOKENS_LIMIT, DEFAULT_MAX_TOKENS),
  [ENV.bodyLimitBytes]: wholeNumber(64, 10 * 1024 * 1024, DEFAULT_BODY_LIMIT_BYTES),
  [ENV.shutdownGraceMs]: wholeNumber(0, 3_600_000, SHUTDOWN_GRACE_SECONDS * 1000),
  [ENV.upstreamIdleTimeoutMs]: wholeNumber(1, 3_600_000, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS),
  [ENV.stagePrefix]: z.preprocess(
    blankAsUnset,
    z
      .string()
      .trim()
      .transform((value) => value.replace(/^\/+|\/+$/g, ""))
      .pipe(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be an API Gateway stage name (letters, digits, - and _)"))
      .optional(),
  ),
  [ENV.usageTableName]: z.preprocess(
    blankAsUnset,
    z.string().trim().regex(/^[A-Za-z0-9_.-]{3,255}$/, "must be a DynamoDB table name").optional(),
  ),
  [ENV.apiKeys]: z.preprocess(blankAsUnset, z.string().default("{}").transform(parseApiKeys)),
  [ENV.usageStoreFailurePolicy]: z.preprocess(
    (value) => (typeof blankAsUnset(value) === "string" ? String(value).trim().toLowerCase() : undefined),
    z.enum(FAILURE_POLICIES, { error: `must be one of ${FAILURE_POLICIES.join(", ")}` }).default("serve"),
  ),
  [ENV.metricsNamespace]: text(DEFAULT_METRICS_NAMESPACE, /^[A-Za-z0-9_./#:-]{1,255}$/, "must be a CloudWatch namespace"),
  [ENV.logLevel]: z.preprocess(
    (value) => (typeof blankAsUnset(value) === "string" ? String(value).trim().toLowerCase() : undefined),
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  ),
});

export interface AppConfig {
  port: number;
  host: string;
  modelId: string;
  region: string;
  defaultMaxTokens: number;
  bodyLimitBytes: number;
  shutdownGraceMs: number;
  upstreamIdleTimeoutMs: number;
  /** Stage name API Gateway may put in front of backend paths; routes are also served under `/<stagePrefix>`. */
  stagePrefix?: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** Per-key token budgets and metering (app/src/usage). */
  usage: {
    /** The DynamoDB usage table; unset: nothing is counted or enforced. */
    tableName?: string;
    apiKeys: ApiKeys;
    failurePolicy: FailurePolicy;
  };
  /** CloudWatch namespace of the embedded metrics. */
  metricsNamespace: string;
}

/** Thrown when the environment is invalid; `message` lists every bad variable, one per line. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates the configuration; throws {@link ConfigError} naming every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const raw = env[name];
      return `  - ${name} ${issue.message}${raw === undefined ? "" : ` (got ${JSON.stringify(raw)})`}`;
    });
    throw new ConfigError(`Invalid configuration:\n${problems.join("\n")}`);
  }
  const values = parsed.data;
  return {
    port: values[ENV.port],
    host: values[ENV.host],
    modelId: values[ENV.modelId],
    region: values[ENV.region],
    defaultMaxTokens: values[ENV.maxTokens],
    bodyLimitBytes: values[ENV.bodyLimitBytes],
    shutdownGraceMs: values[ENV.shutdownGraceMs],
    upstreamIdleTimeoutMs: values[ENV.upstreamIdleTimeoutMs],
    stagePrefix: values[ENV.stagePrefix],
    logLevel: values[ENV.logLevel],
    usage: {
      tableName: values[ENV.usageTableName],
      apiKeys: values[ENV.apiKeys],
      failurePolicy: values[ENV.usageStoreFailurePolicy],
    },
    metricsNamespace: values[ENV.metricsNamespace],
  };
}
