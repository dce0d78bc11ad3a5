import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { servedModels } from "../app/src/models";
import { fallbackProblems } from "../app/src/resilience/fallback-rules";
import { DEFAULT_METRICS_NAMESPACE } from "../app/src/usage/key-schema";
import { DISTINCT_KEY_NAMES, distinctKeyNames, keyLimitsSchema } from "../app/src/usage/key-schema";
import { type DeployedSettings, readDeployedSettings, STACK_DEFAULTS, STACK_KEYS } from "./deployed-settings";
import { keyLimitsAboveStage, keysMatchingNoModel, limitsWithoutKeys } from "./key-limits";
import { runawayFactorSchema } from "./runaway-spend";

/**
 * Stack configuration: every `pulumi config` key this program reads, parsed and validated in one place.
 *
 * Why validate here although Pulumi.yaml declares types: the CLI only checks the type (integer, boolean, ...),
 * not that 256 CPU units may run with 4096 MiB, that min <= desired <= max, or that 45 is not a retention period
 * CloudWatch accepts. Those mistakes would otherwise surface minutes into `pulumi up` as an AWS error about some
 * resource; here they stop the program before anything is created, with a message naming the key.
 *
 * Keys whose values reach the container (modelId, maxTokens, ...) are declared in the app's settings registry
 * (app/src/settings.ts) and checked by its rules (deployed-settings.ts); the keys below shape the infrastructure.
 *
 * The defaults mirror the `default:` entries of Pulumi.yaml (a test keeps the two identical), so the program
 * behaves the same whether the CLI or a test harness supplies the configuration.
 */

export const CPU_ARCHITECTURES = ["ARM64", "X86_64"] as const;
export type CpuArchitecture = (typeof CPU_ARCHITECTURES)[number];

/** Retention periods CloudWatch Logs accepts (PutRetentionPolicy); 0 ("never expire") is left out on purpose. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Fargate task sizes: CPU units -> the memory values (MiB) Fargate accepts with them (Linux tasks). */
export const FARGATE_MEMORY_BY_CPU: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

const AZ_NAME_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/;

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const oneOf = (allowed: readonly number[], unit = "") =>
  z.coerce.number().int().refine((value) => allowed.includes(value), `must be one of ${allowed.join(", ")}${unit}`);

/**
 * One API key of the `keys` list: its name (what logs, metrics and the usage table show) and optional limits. The
 * request limits go to the key's usage plan and default to the stack's throttle and quota keys; the token limits go
 * to the app (no limit when unset).
 */
export const apiKeyConfigSchema = keyLimitsSchema.extend({
  rateLimit: count(1, 10000).optional(),
  burstLimit: count(1, 5000).optional(),
  dailyQuota: count(1, 100_000_000).optional(),
}).strict();
export type ApiKeyConfig = z.output<typeof apiKeyConfigSchema>;

const stackConfigSchema = z
  .object({
    desiredCount: count(1, 100).default(2),
    minCapacity: count(1, 100).default(2),
    maxCapacity: count(1, 100).default(6),
    cpu: oneOf(Object.keys(FARGATE_MEMORY_BY_CPU).map(Number), " (Fargate CPU units)").default(256),
    memory: count(512, 122880).default(512),
    cpuArchitecture: z.enum(CPU_ARCHITECTURES).default("ARM64"),
    apiKeyRequired: z.stringbool().default(true),
    throttleRateLimit: count(1, 10000).default(10),
    throttleBurstLimit: count(1, 5000).default(20),
    dailyQuota: count(1, 100_000_000).default(1000),
    logRetentionDays: oneOf(LOG_RETENTION_DAYS).default(30),
    availabilityZones: z
      .array(z.string().regex(AZ_NAME_PATTERN, "must be an availability zone name such as us-east-1a"))
      .refine((zones) => zones.length === 0 || (zones.length >= 2 && new Set(zones).size === zones.length),
        "must be empty (zones are then chosen once, where VPC link v2 and the endpoints work) or list at least two " +
        "distinct zones")
      .default([]),
    allowAvailabilityZoneChange: z.stringbool().default(false),
    manageApiGatewayAccount: z.stringbool().default(true),
    playground: z.stringbool().default(false),
    keys: z.array(apiKeyConfigSchema)
      .min(1, "must name at least one key (set apiKeyRequired=false for an open API)")
      .refine((keys) => distinctKeyNames(keys.map((k) => k.name)), DISTINCT_KEY_NAMES)
      .default([{ name: "default" }]),
    alarmEmail: z.union([z.literal(""), z.email("must be an email address, or empty for none")]).default(""),
    alarmFiveXxRatePercent: count(1, 100).default(5),
    alarmTtftP90Ms: count(100, 900_000).default(5000),
    alarmRunawaySpendFactor: runawayFactorSchema.default(5),
    alarmRunawaySpendFloorUsd: count(0, 1_000_000).default(5),
  })
  .superRefine((c, ctx) => {
    const memories = FARGATE_MEMORY_BY_CPU[c.cpu];
    if (memories && !memories.includes(c.memory)) {
      const message = `Fargate does not run ${c.cpu} CPU units with ${c.memory} MiB; allowed: ${memories.join(", ")}`;
      ctx.addIssue({ code: "custom", path: ["memory"], message });
    }
    if (c.minCapacity > c.maxCapacity) {
      ctx.addIssue({
        code: "custom", path: ["minCapacity"],
        message: `must not exceed maxCapacity (${c.maxCapacity})`
      });
    }
    if (c.desiredCount < c.minCapacity || c.desiredCount > c.maxCapacity) {
      const message = `must lie between minCapacity (${c.minCapacity}) and maxCapacity (${c.maxCapacity})`;
      ctx.addIssue({ code: "custom", path: ["desiredCount"], message });
    }
    c.keys.forEach((key, i) => {
      const rate = key.rateLimit ?? c.throttleRateLimit;
      if ((key.burstLimit ?? c.throttleBurstLimit) < rate) {
        ctx.addIssue({ code: "custom", path: ["keys", i, "burstLimit"], message: `must be at least the key's rate (${rate})` });
      }
    });
    for (const issue of [...keyLimitsAboveStage(c), ...limitsWithoutKeys(c)]) ctx.addIssue({ code: "custom", ...issue });
    if (c.throttleBurstLimit < c.throttleRateLimit) {
      const message = `must be at least throttleRateLimit (${c.throttleRateLimit}), or steady traffic is throttled`;
      ctx.addIssue({ code: "custom", path: ["throttleBurstLimit"], message });
    }
  });

/** The keys Pulumi.yaml declares (this project's namespace); tests compare this list with the file. */
export const CONFIG_KEYS: readonly string[] = [...Object.keys(stackConfigSchema.shape), ...STACK_KEYS];
type InfraKey = keyof z.input<typeof stackConfigSchema>;

export type StackConfig = z.output<typeof stackConfigSchema> & DeployedSettings & {
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
};

/** The defaults applied when a key is unset (what Pulumi.yaml's `default:` entries must say). */
export function configDefaults(): z.output<typeof stackConfigSchema> & Omit<DeployedSettings, "region"> {
  return { ...stackConfigSchema.parse({}), ...STACK_DEFAULTS };
}

/**
 * Reads and validates the stack configuration. Throws a `pulumi.RunError` (reported without a stack trace) that
 * lists every invalid key with its fully-qualified name, e.g. `bedrock-stream-api:memory`.
 */
export function loadStackConfig(): StackConfig {
  const config = new pulumi.Config();
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(stackConfigSchema.shape) as InfraKey[]) {
    raw[key] = key === "availabilityZones" || key === "keys" ? config.getObject<unknown>(key) : config.get(key);
  }
  const parsed = stackConfigSchema.safeParse(raw);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => {
    const key = String(issue.path[0] ?? "config");
    // `keys[1].burstLimit`: the path `pulumi config set --path` takes.
    const at = issue.path.slice(1).map((part) => (typeof part === "number" ? `[${part}]` : `.${String(part)}`)).join("");
    const value = raw[key] === undefined || at ? "" : ` = ${JSON.stringify(raw[key])}`;
    return `  ${config.name}:${key}${at}${value}: ${issue.message}`;
  });
  const deployed = readDeployedSettings(config.name);
  problems.push(...deployed.problems);
  const { modelId, allowedModelIds, fallbacks } = deployed.values;
  if (deployed.problems.length === 0) {
    const served = servedModels(modelId, allowedModelIds);
    problems.push(...fallbackProblems(served, fallbacks).map((problem) => `  ${config.name}:fallbacks ${problem}`));
    if (parsed.success) {
      const models = [...served, ...deployed.values.embeddingModelIds];
      problems.push(...keysMatchingNoModel(parsed.data.keys, models).map((issue) => `  ${config.name}:keys[${issue.path[1]}].models: ${issue.message}`));
    }
  }
  if (!parsed.success || problems.length > 0) {
    throw new pulumi.RunError(`Invalid stack configuration:\n${problems.join("\n")}`);
  }
  const metricsNamespace = config.get("metricsNamespace")?.trim() || stackMetricsNamespace(config.name, pulumi.getStack());
  return { ...parsed.data, ...deployed.values, metricsNamespace, partition: partitionOf(deployed.values.region) };
}

/**
 * The metrics namespace of a stack that sets none: one per project and stack. Several alarms read the service's
 * metrics without dimensions (all tasks, all keys), so two stacks sharing a namespace in one account and region would
 * alarm on each other's traffic; separate namespaces keep each stack's alarms and dashboard on its own tasks.
 */
export function stackMetricsNamespace(project: string, stack: string): string {
  return `${DEFAULT_METRICS_NAMESPACE}/${`${project}-${stack}`.replace(/[^A-Za-z0-9_.-]/g, "-")}`.slice(0, 255);
}

/** The ARN partition a region belongs to; derived locally so ARNs are known at preview time. */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}
