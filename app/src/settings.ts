import * as z from "zod";
import { catalogOverridesSchema, modelAliasesSchema } from "./models/catalog-schema";
import { modelPricesSchema } from "./usage/price-schema";
import { flag, json, list, matching, oneOf, type Rule, setting, type Setting, wholeNumber } from "./setting-rules";
import { deploymentGuardrailSchema } from "./resilience/guardrail-schema";
import { apiKeysSchema, DEFAULT_METRICS_NAMESPACE, FAILURE_POLICIES } from "./usage/key-schema";

export {
  flag, json, list, matching, oneOf, type Rule, type Setting, type StackSource, wholeNumber,
} from "./setting-rules";

/**
 * The settings registry: every environment variable the app reads, defined once. The app's schema and its
 * `AppConfig` (app/src/config.ts), the Pulumi program's check of the stack configuration (infra/config.ts) and the
 * task definition's environment (infra/container.ts) are all derived from SETTINGS, so a value the app would refuse
 * at start is refused at `pulumi preview`, naming the Pulumi key, instead of crash-looping every task.
 *
 * To add a setting, add one entry below and use it (`config.<name>` in the app):
 *   myThing: setting({ env: "MY_THING", rule: wholeNumber(1, 10), default: 3, stack: { key: "myThing" } }),
 * - `rule` parses the variable's trimmed, non-blank text; blank or unset means `default` (or undefined without
 *   one, or the `required` message). Build it from the helpers in setting-rules.ts: wholeNumber, matching, oneOf,
 *   flag, list(rule) (a JSON array or comma-separated text) or json(zodSchema) (JSON text); its messages complete
 *   "MY_THING ...".
 * - `stack` when a Pulumi key sets it: `key` (`"name"` in this project, or `"ns:name"`), `default` only if the stack's
 *   differs from the app's, `secret` to read it as a secret and keep it one in the task definition. Declare the key
 *   in Pulumi.yaml with the same default (infra/test/config.test.ts compares them); the value the stack passes is
 *   the key's text (a JSON array/object for `type: array`/structured keys), checked by the same `rule`.
 * - `pinned: true` when the infrastructure relies on the default (the task definition then always sets it).
 * This module imports nothing but zod (and its rules and schemas): infra/ and the app bundle both load it.
 */

/** Port the container listens on; the ALB target group and the task definition use the same. */
export const CONTAINER_PORT = 8080;
/** How long in-flight streams may finish after SIGTERM before they are ended with an error line. */
export const SHUTDOWN_GRACE_SECONDS = 30;
/** The model used when neither `pulumi config modelId` nor `MODEL_ID` says otherwise. */
export const DEFAULT_MODEL_ID = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
/** Default `maxTokens` when a request does not set one. */
export const DEFAULT_MAX_TOKENS = 1024;
/**
 * Upper bound for the deployment's default `maxTokens`. A request's own value is not bound by it: the model catalog
 * lowers every value to the answering model's limit (app/src/models).
 */
export const MAX_TOKENS_LIMIT = 64_000;
/**
 * Request body limit in bytes: 5 MiB, so one image at Bedrock's per-image maximum (3.75 MB, 5 MB as base64 in a
 * data: URL) fits with its prompt. API Gateway's own ceiling is 10 MB; bodies that large would cost a 512 MiB task
 * about four times their size while parsed and re-encoded for Bedrock, so raise it only with the task's memory.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 5 * 1024 * 1024;
/** API Gateway's payload limit (10 MB): no request body larger than this can come through the stage. */
export const MAX_GATEWAY_BODY_BYTES = 10 * 1024 * 1024;
/**
 * Longest silence tolerated from Bedrock, both before it accepts a request and between two stream events. A hung
 * upstream would otherwise hold the client (and a Bedrock call) open until the 5-minute API Gateway idle timeout.
 * One minute is far above any normal gap between deltas yet well below the idle timeouts in front of the app.
 */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 60_000;

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/**
 * Bedrock model IDs (`anthropic.claude-...-v1:0`) and system inference profile IDs (`global.anthropic...`). ARNs are
 * refused: the task role's IAM policy is derived from the ID (infra/iam.ts).
 */
const MODEL_ID = /^([a-z-]+\.)?[a-z0-9-]+\.[a-zA-Z0-9._-]+(:[a-z0-9]+)*$/;
/** API Gateway's rule for stage names; slashes around one are tolerated (it is also a path prefix). */
const stageName: Rule<string> = z.string()
  .transform((text) => text.replace(/^\/+|\/+$/g, ""))
  .pipe(z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be an API Gateway stage name (letters, digits, - and _)"));

export const SETTINGS = {
  // 0 asks the OS for a free port (tests); the "listening" log line reports the one chosen.
  port: setting({ env: "PORT", rule: wholeNumber(0, 65_535), default: CONTAINER_PORT, pinned: true }),
  host: setting({
    env: "HOST", rule: matching(/^[0-9A-Za-z.:-]+$/, "must be an IP address or host name"), default: "0.0.0.0",
  }),
  modelId: setting({
    env: "MODEL_ID",
    rule: matching(MODEL_ID,
      `must be a Bedrock model ID or inference profile ID (not an ARN), e.g. ${DEFAULT_MODEL_ID}`),
    default: DEFAULT_MODEL_ID,
    stack: { key: "modelId" },
  }),
  // Further models a request may name (OpenAI's `model`); `modelId` stays the default. The task role may invoke each.
  allowedModelIds: setting({
    env: "ALLOWED_MODEL_IDS",
    rule: list(matching(MODEL_ID, "must list Bedrock model IDs or inference profile IDs (not ARNs)")),
    default: [] as string[],
    stack: { key: "allowedModelIds" },
  }),
  // Embedding models `POST /embeddings` may name (Titan Text Embeddings V2, Cohere Embed); none: the route answers 404
  // for any model. The task role may invoke each (InvokeModel), and nothing else with them.
  embeddingModelIds: setting({
    env: "EMBEDDING_MODEL_IDS",
    rule: list(matching(MODEL_ID, "must list Bedrock model IDs or inference profile IDs (not ARNs)")),
    default: [] as string[],
    stack: { key: "embeddingModelIds" },
  }),
  // The model catalog (app/src/models, docs/configuration.md): entries that add or override models' facts, name patterns
  // that map to served models, and whether a name that maps to nothing is a 404 rather than the default model.
  modelCatalog: setting({
    env: "MODEL_CATALOG", rule: json(catalogOverridesSchema), default: {}, stack: { key: "modelCatalog" },
  }),
  // Price lists replacing the catalog's for cost figures and dollar budgets (usage/cost.ts): negotiated rates, new models.
  modelPrices: setting({
    env: "MODEL_PRICES", rule: json(modelPricesSchema), default: {}, stack: { key: "modelPrices" },
  }),
  modelAliases: setting({
    env: "MODEL_ALIASES", rule: json(modelAliasesSchema), default: {}, stack: { key: "modelAliases" },
  }),
  strictModels: setting({ env: "STRICT_MODELS", rule: flag, default: false, stack: { key: "strictModels" } }),
  region: setting({
    env: "AWS_REGION",
    rule: matching(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be an AWS Region such as us-east-1"),
    required: "is required (the AWS Region of Bedrock, e.g. us-east-1)",
    stack: { key: "aws:region" },
  }),
  defaultMaxTokens: setting({
    env: "DEFAULT_MAX_TOKENS", rule: wholeNumber(1, MAX_TOKENS_LIMIT), default: DEFAULT_MAX_TOKENS,
    stack: { key: "maxTokens" },
  }),
  bodyLimitBytes: setting({
    env: "BODY_LIMIT_BYTES", rule: wholeNumber(64, MAX_GATEWAY_BODY_BYTES), default: DEFAULT_BODY_LIMIT_BYTES,
  }),
  // Memory request bodies in flight may hold (app/src/http/body-memory.ts); unset: half the V8 heap limit.
  bodyMemoryBytes: setting({ env: "BODY_MEMORY_BYTES", rule: wholeNumber(1024, 64 * 1024 ** 3) }),
  // How long a request that does not fit the body memory waits for some to free before its 503 (body-memory.ts;
  // docs/performance.md "Large bodies" measured 0 against 5000).
  bodyMemoryWaitMs: setting({ env: "BODY_MEMORY_WAIT_MS", rule: wholeNumber(0, 60_000), default: 5000 }),
  // How long a request's body may take to arrive, from the request's arrival (app/src/http/body-arrival.ts).
  bodyReadTimeoutMs: setting({ env: "BODY_READ_TIMEOUT_MS", rule: wholeNumber(100, 300_000), default: 10_000 }),
  // The ALB's deregistration delay and ECS's stop timeout are derived from it (runtime-contract.ts).
  shutdownGraceMs: setting({
    env: "SHUTDOWN_GRACE_MS", rule: wholeNumber(0, 3_600_000), default: SHUTDOWN_GRACE_SECONDS * 1000, pinned: true,
  }),
  upstreamIdleTimeoutMs: setting({
    env: "UPSTREAM_IDLE_TIMEOUT_MS", rule: wholeNumber(1, 3_600_000), default: DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  }),
  // API Gateway puts the stage in front of private integrations' backend paths; the app serves routes under it too.
  stagePrefix: setting({ env: "STAGE_PREFIX", rule: stageName, stack: { key: "stageName", default: "v1" } }),
  logLevel: setting({ env: "LOG_LEVEL", rule: oneOf(LOG_LEVELS), default: "info" }),
  // Per-key token budgets (app/src/usage). The program sets the table's name and the keys (their API Gateway ids
  // are known only once the keys exist); unset, nothing is counted or enforced.
  usageTableName: setting({ env: "USAGE_TABLE_NAME", rule: matching(/^[A-Za-z0-9_.-]{3,255}$/, "must be a DynamoDB table name") }),
  apiKeys: setting({ env: "API_KEYS", rule: json(apiKeysSchema), default: {} }),
  usageStoreFailurePolicy: setting({
    env: "USAGE_STORE_FAILURE_POLICY", rule: oneOf(FAILURE_POLICIES), default: "serve",
    stack: { key: "usageStoreFailurePolicy" },
  }),
  // N: a budget check may use the key's counters seen less than N ms ago (by a read or by a charge's write) plus
  // this task's own charges since; 0 reads the table before every request (exact). docs/keys-and-budgets.md "Enforcement" gives both
  // bounds and why 500 is the default: exact checks cost ~1.1x CPU per token and a store round trip.
  budgetReadMaxAgeMs: setting({
    env: "BUDGET_READ_MAX_AGE_MS", rule: wholeNumber(0, 60_000), default: 500, stack: { key: "budgetReadMaxAgeMs" },
  }),
  metricsNamespace: setting({
    env: "METRICS_NAMESPACE", rule: matching(/^[A-Za-z0-9_./#:-]{1,255}$/, "must be a CloudWatch namespace"),
    // The stack's default is empty: infra/config.ts then gives each stack a namespace of its own.
    default: DEFAULT_METRICS_NAMESPACE, stack: { key: "metricsNamespace", default: "" },
  }),
  // Resilience (docs/resilience.md). Attempts per model before a stream starts (the SDK's own retries are off),
  // and the time all of a request's attempts and waits may take.
  upstreamMaxAttempts: setting({
    env: "UPSTREAM_MAX_ATTEMPTS", rule: wholeNumber(1, 10), default: 3, stack: { key: "upstreamMaxAttempts" },
  }),
  upstreamRetryBudgetMs: setting({
    env: "UPSTREAM_RETRY_BUDGET_MS", rule: wholeNumber(0, 600_000), default: 10_000, stack: { key: "upstreamRetryBudgetMs" },
  }),
  // Served model -> served models to try next once its attempts are spent (each must be served: config.ts).
  modelFallbacks: setting({
    env: "MODEL_FALLBACKS",
    rule: json(z.record(z.string().regex(MODEL_ID, "must be a model ID"),
      z.array(z.string().regex(MODEL_ID, "must list model IDs")).min(1))),
    default: {} as Record<string, string[]>,
    stack: { key: "fallbacks" },
  }),
  // A model's circuit opens after N throttles within the window (0: never) and stays open for the cool-off.
  circuitThrottles: setting({
    env: "CIRCUIT_THROTTLES", rule: wholeNumber(0, 10_000), default: 5, stack: { key: "circuitThrottles" },
  }),
  circuitWindowMs: setting({
    env: "CIRCUIT_WINDOW_MS", rule: wholeNumber(1, 3_600_000), default: 10_000, stack: { key: "circuitWindowMs" },
  }),
  circuitCoolOffMs: setting({
    env: "CIRCUIT_COOL_OFF_MS", rule: wholeNumber(1, 3_600_000), default: 30_000, stack: { key: "circuitCoolOffMs" },
  }),
  // The Bedrock guardrail every chat call applies (a key's own in `keys` replaces it); `{}`: none.
  guardrail: setting({
    env: "GUARDRAIL", rule: json(deploymentGuardrailSchema), default: {}, stack: { key: "guardrail" },
  }),
};

export type SettingName = keyof typeof SETTINGS;
/** Every setting's value, as the app sees it. */
export type Settings = { -readonly [K in SettingName]: z.output<(typeof SETTINGS)[K]["schema"]> };
/** The registry as a list of entries (for code that treats every setting alike). */
export const SETTING_LIST = Object.entries(SETTINGS) as Array<[SettingName, Setting<unknown, unknown>]>;

/** One problem with one setting, for the caller to name in its own terms (variable or Pulumi key). */
export interface SettingProblem {
  readonly name: SettingName;
  readonly message: string;
}

/**
 * Parses every setting from `read(name)` (the raw text, or undefined when unset) with its own schema. Returns the
 * values, or every problem at once.
 */
export function parseSettings(
  read: (name: SettingName, setting: Setting<unknown, unknown>) => unknown,
  names: readonly SettingName[] = SETTING_LIST.map(([name]) => name),
): { values: Partial<Settings>; problems: SettingProblem[] } {
  const values: Record<string, unknown> = {};
  const problems: SettingProblem[] = [];
  for (const name of names) {
    const setting: Setting<unknown, unknown> = SETTINGS[name];
    const parsed = setting.schema.safeParse(read(name, setting));
    if (parsed.success) values[name] = parsed.data;
    else for (const issue of parsed.error.issues) problems.push({ name, message: issue.message });
  }
  return { values: values as Partial<Settings>, problems };
}

/** Environment variable names: every setting's, plus the variables Node and the AWS SDK read themselves. */
export const ENV = {
  ...(Object.fromEntries(SETTING_LIST.map(([name, s]) => [name, s.env])) as
    { [K in SettingName]: (typeof SETTINGS)[K]["env"] }),
  nodeOptions: "NODE_OPTIONS",
  bedrockEndpoint: "AWS_ENDPOINT_URL_BEDROCK_RUNTIME",
  dynamodbEndpoint: "AWS_ENDPOINT_URL_DYNAMODB",
} as const;
