import * as z from "zod";

/**
 * The shape of a model's facts, as a zod schema: the catalog's entries are typed by it, and the `modelCatalog`
 * setting (settings.ts) is parsed by it, so an override says exactly what a built-in entry says. Zod only: the
 * settings registry (loaded by infra/ too) imports it.
 */

/**
 * How a model takes extended thinking. `budget`: only `enabled` with `budget_tokens` (Claude 4.5 and older);
 * `adaptive`: `adaptive` (with effort) and the deprecated `enabled`; `adaptive-only`: `adaptive`, nothing else
 * (`enabled` and `disabled` are refused); `none`: no thinking the gateway can ask for.
 */
export const THINKING_FORMS = ["none", "budget", "adaptive", "adaptive-only"] as const;
export type ThinkingForm = (typeof THINKING_FORMS)[number];

/** Effort levels a model may accept (`output_config.effort`); callers' levels are mapped onto these. */
export const MODEL_EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;
export type ModelEffort = (typeof MODEL_EFFORTS)[number];

const price = z.number().min(0).max(10_000);
/** US dollars per million tokens. Cache prices are absent where the model has no prompt caching. */
export const ratesSchema = z.strictObject({
  input: price,
  output: price,
  cacheWrite: price.optional(),
  cacheRead: price.optional(),
});
export type Rates = z.output<typeof ratesSchema>;

/**
 * A model's price list. `base` is the global cross-Region profile's (or the only) price; `longContext` replaces it
 * for a request whose input exceeds `aboveInputTokens`; `byRoute` replaces it for geographic profiles (`us.`, `eu.`
 * ...) or in-Region calls (a foundation-model ID) where those cost more. A route missing there costs `base`.
 */
export const pricesSchema = z.strictObject({
  base: ratesSchema,
  longContext: z.strictObject({ aboveInputTokens: z.number().int().min(1), rates: ratesSchema }).optional(),
  byRoute: z.strictObject({ geographic: ratesSchema.optional(), inRegion: ratesSchema.optional() }).optional(),
});
export type Prices = z.output<typeof pricesSchema>;

const tokens = z.number().int().min(1).max(100_000_000);

export const modelFactsSchema = z.strictObject({
  /** `claude-opus`, `claude-sonnet`, `nova`, `llama`...: what a public name like `opus` resolves by. */
  family: z.string().min(1).max(64),
  /** The family's generation, `4.8`, `3.5`...; `""` when it has none. */
  generation: z.string().max(16),
  kind: z.enum(["chat", "embedding"]),
  maxOutputTokens: tokens,
  contextWindow: tokens,
  /** A larger window the model offers on request (the `anthropic-beta` that asks for it, when one does). */
  extendedContext: z.strictObject({ tokens, beta: z.string().min(1).optional() }).optional(),
  thinking: z.enum(THINKING_FORMS),
  /** The effort levels the model accepts; empty when it takes no effort. */
  efforts: z.array(z.enum(MODEL_EFFORTS)),
  /** Refuses `temperature` together with `top_p` (one of them only). */
  samplingExclusive: z.boolean(),
  /** Refuses any sampling change (`temperature`, `top_p`, `top_k`). */
  samplingFixed: z.boolean(),
  vision: z.boolean(),
  tools: z.boolean(),
  promptCaching: z.boolean(),
  /** Bedrock profile prefixes the model is offered under (`global`, `us`, `eu`...); informational. */
  profiles: z.array(z.string()),
  prices: pricesSchema.optional(),
});
export type ModelFacts = z.output<typeof modelFactsSchema>;

/**
 * The `modelCatalog` setting: foundation-model ID patterns (`*` matches anything) -> facts. A pattern that a
 * built-in entry also matches overrides just the fields it names; any other adds a model (unnamed fields take the
 * conservative defaults of an unknown model).
 */
export const catalogOverridesSchema = z.record(z.string().min(1).max(256), modelFactsSchema.partial());
export type CatalogOverrides = z.output<typeof catalogOverridesSchema>;

/** The `modelAliases` setting: name patterns (`claude-opus-*`, `*` matches anything) -> a served model ID. */
export const modelAliasesSchema = z.record(z.string().min(1).max(256), z.string().min(1).max(2048));
