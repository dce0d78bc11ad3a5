import * as z from "zod";
import { guardrailSchema } from "../resilience/guardrail-schema";

/**
 * The usage settings' value shapes (the `API_KEYS` document, the store failure policy). Zod only, like the settings
 * registry that uses them (app/src/settings.ts): infra/ and the app bundle both load it.
 */

/** Key names: what logs, metrics dimensions and table items carry. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** The name requests are metered under when no API key was involved (the API open with `apiKeyRequired=false`). */
export const ANONYMOUS = "anonymous";

/** A model ID pattern of a key's `models`: an ID's characters, `*` matching anything. */
const MODEL_PATTERN = /^[A-Za-z0-9.:_*-]{1,256}$/;
const tokenLimit = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
/** US dollars; compared in micro-dollars, so a cent's fraction below a micro-dollar means nothing. */
const usdLimit = z.number().positive().max(1_000_000_000);

export const keyLimitsSchema = z
  .object({
    name: z.string().regex(KEY_NAME, "must be 1-64 letters, digits, '.', '_' or '-'"),
    tokensPerDay: tokenLimit.optional(),
    tokensPerMonth: tokenLimit.optional(),
    /** Dollar budgets: the key's estimated spend (usage/cost.ts) per UTC day and month, checked as token budgets are. */
    usdPerDay: usdLimit.optional(),
    usdPerMonth: usdLimit.optional(),
    /** Tokens per UTC minute, checked as the day's and month's are (usage/minute-budget.ts). */
    tokensPerMinute: tokenLimit.optional(),
    /**
     * Chat streams the key may have in flight at once across every task (usage/stream-leases.ts). At most 10,000:
     * the leases share one table item, of at most 400 KB.
     */
    maxConcurrentStreams: z.number().int().min(1).max(10_000).optional(),
    /** The key's own Bedrock guardrail, instead of the deployment's `guardrail`. */
    guardrail: guardrailSchema.optional(),
    /** Model ID patterns the key may call (usage/model-access.ts); unset: every served model. */
    models: z.array(z.string().regex(MODEL_PATTERN, "must be a model ID pattern (letters, digits, . : _ - and *)")).min(1).max(100).optional(),
  })
  .strict();

/**
 * The rule for a set of key names, shared with the stack's `keys` check (infra/config.ts) so a name the tasks would
 * refuse at start is refused at preview: unique, and not the name keyless requests are metered under.
 */
export const distinctKeyNames = (names: readonly string[]) =>
  new Set(names).size === names.length && !names.includes(ANONYMOUS);
export const DISTINCT_KEY_NAMES = `key names must be unique and not "${ANONYMOUS}"`;

/** `API_KEYS`: API Gateway key id -> the key's name and token limits. */
export const apiKeysSchema = z
  .record(z.string().regex(/^[\w-]{1,128}$/, "must be an API Gateway key id"), keyLimitsSchema)
  .refine((keys) => distinctKeyNames(Object.values(keys).map((key) => key.name)), DISTINCT_KEY_NAMES);

export type KeyLimits = z.output<typeof keyLimitsSchema>;
export type ApiKeys = z.output<typeof apiKeysSchema>;

/** What happens to a request when the usage store cannot be reached: served unchecked, or refused with a 503. */
export const FAILURE_POLICIES = ["serve", "refuse"] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/** CloudWatch namespace of the service's embedded metrics when none is configured. */
export const DEFAULT_METRICS_NAMESPACE = "BedrockStreamApi";
