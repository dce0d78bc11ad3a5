import type { ModelEffort, ModelFacts, Prices, Rates } from "./catalog-schema";

/**
 * The built-in catalog entries: foundation-model ID patterns and what each model is. Sources, checked 2026-12-06:
 * Bedrock user guide (model cards, "Adaptive thinking", "Extended thinking", "Prompt caching"), Anthropic's models
 * overview and pricing pages, AWS Bedrock pricing. Entries marked "uncertain" could not be checked against a primary
 * source; a deployment that finds one wrong overrides it with the `modelCatalog` setting (docs/configuration.md).
 * Prices: US dollars per million tokens, Bedrock on-demand; Claude's Bedrock prices equal Anthropic's list prices.
 */

export interface BuiltInEntry {
  readonly ids: readonly string[];
  readonly facts: ModelFacts;
}

const rates = (input: number, output: number, cacheWrite?: number, cacheRead?: number): Rates =>
  ({ input, output, ...(cacheWrite !== undefined ? { cacheWrite } : {}), ...(cacheRead !== undefined ? { cacheRead } : {}) });

/**
 * From Claude Sonnet 4.5 and Haiku 4.5 on, geographic and in-Region endpoints cost 10% more than global ones
 * (Anthropic pricing page, "regional endpoints").
 */
function regionalPremium(base: Rates): NonNullable<Prices["byRoute"]> {
  const up = (value: number | undefined) => (value === undefined ? undefined : Math.round(value * 1.1 * 10_000) / 10_000);
  const premium = rates(up(base.input)!, up(base.output)!, up(base.cacheWrite), up(base.cacheRead));
  return { geographic: premium, inRegion: premium };
}

const ALL_PROFILES = ["global", "us", "eu", "jp", "apac", "au"];
const US_ONLY = ["us"];

type Claude = Partial<ModelFacts> & Pick<ModelFacts, "generation" | "maxOutputTokens" | "thinking"> & {
  base: Rates;
  longContext?: Prices["longContext"];
  /** Priced 10% higher off the global profile. */
  regional?: boolean;
};

function claude(family: "opus" | "sonnet" | "haiku", spec: Claude): ModelFacts {
  const { base, longContext, regional, ...facts } = spec;
  return {
    family: `claude-${family}`, kind: "chat", contextWindow: 200_000, efforts: [], samplingExclusive: false,
    samplingFixed: false, vision: true, tools: true, promptCaching: true, profiles: US_ONLY,
    ...facts,
    prices: { base, ...(longContext ? { longContext } : {}), ...(regional ? { byRoute: regionalPremium(base) } : {}) },
  };
}

const CONTEXT_1M = { tokens: 1_000_000, beta: "context-1m-2025-08-07" };
/** Sonnet 4 / 4.5 (and 4.6, uncertain): requests above 200K input tokens cost double input, 1.5x output. */
const SONNET_LONG = { aboveInputTokens: 200_000, rates: rates(6, 22.5, 7.5, 0.6) };
const EFFORTS_4_6: ModelEffort[] = ["low", "medium", "high", "max"];
const EFFORTS_4_7: ModelEffort[] = ["low", "medium", "high", "xhigh", "max"];

const ANTHROPIC: BuiltInEntry[] = [
  { ids: ["anthropic.claude-3-haiku-*"], facts: claude("haiku", { generation: "3", maxOutputTokens: 4096, thinking: "none", promptCaching: false, base: rates(0.25, 1.25) }) },
  { ids: ["anthropic.claude-3-sonnet-*"], facts: claude("sonnet", { generation: "3", maxOutputTokens: 4096, thinking: "none", promptCaching: false, base: rates(3, 15) }) },
  { ids: ["anthropic.claude-3-opus-*"], facts: claude("opus", { generation: "3", maxOutputTokens: 4096, thinking: "none", promptCaching: false, base: rates(15, 75) }) },
  // Claude 3.5 Haiku on Bedrock takes text only.
  { ids: ["anthropic.claude-3-5-haiku-*"], facts: claude("haiku", { generation: "3.5", maxOutputTokens: 8192, thinking: "none", vision: false, base: rates(0.8, 4, 1, 0.08) }) },
  { ids: ["anthropic.claude-3-5-sonnet-*"], facts: claude("sonnet", { generation: "3.5", maxOutputTokens: 8192, thinking: "none", promptCaching: false, base: rates(3, 15) }) },
  // 64K output (128K with the output-128k beta).
  { ids: ["anthropic.claude-3-7-sonnet-*"], facts: claude("sonnet", { generation: "3.7", maxOutputTokens: 64_000, thinking: "budget", base: rates(3, 15, 3.75, 0.3) }) },
  { ids: ["anthropic.claude-opus-4-2025*"], facts: claude("opus", { generation: "4", maxOutputTokens: 32_000, thinking: "budget", base: rates(15, 75, 18.75, 1.5) }) },
  { ids: ["anthropic.claude-sonnet-4-2025*"], facts: claude("sonnet", { generation: "4", maxOutputTokens: 64_000, thinking: "budget", extendedContext: CONTEXT_1M, profiles: ALL_PROFILES, base: rates(3, 15, 3.75, 0.3), longContext: SONNET_LONG }) },
  // From Opus 4.1 on, Claude refuses temperature together with top_p.
  { ids: ["anthropic.claude-opus-4-1-*"], facts: claude("opus", { generation: "4.1", maxOutputTokens: 32_000, thinking: "budget", samplingExclusive: true, base: rates(15, 75, 18.75, 1.5) }) },
  { ids: ["anthropic.claude-sonnet-4-5-*"], facts: claude("sonnet", {
    generation: "4.5", maxOutputTokens: 64_000, thinking: "budget", samplingExclusive: true, extendedContext: CONTEXT_1M, profiles: ALL_PROFILES,
    base: rates(3, 15, 3.75, 0.3), longContext: SONNET_LONG, regional: true,
  }) },
  { ids: ["anthropic.claude-haiku-4-5-*"], facts: claude("haiku", {
    generation: "4.5", maxOutputTokens: 64_000, thinking: "budget", samplingExclusive: true, profiles: ALL_PROFILES,
    base: rates(1, 5, 1.25, 0.1), regional: true,
  }) },
  // Opus 4.5 takes effort (low/medium/high) but thinks only with a budget.
  { ids: ["anthropic.claude-opus-4-5-*"], facts: claude("opus", {
    generation: "4.5", maxOutputTokens: 64_000, thinking: "budget", efforts: ["low", "medium", "high"], samplingExclusive: true, profiles: ALL_PROFILES,
    base: rates(5, 25, 6.25, 0.5), regional: true,
  }) },
  // Adaptive thinking (enabled+budget deprecated but accepted): Bedrock "Adaptive thinking". The 1M window's long-
  // context prices for 4.6 are uncertain (Anthropic's launch notes: $10/$37.50 for Opus above 200K input).
  { ids: ["anthropic.claude-opus-4-6*"], facts: claude("opus", {
    generation: "4.6", maxOutputTokens: 128_000, thinking: "adaptive", efforts: EFFORTS_4_6, samplingExclusive: true, extendedContext: CONTEXT_1M, profiles: ALL_PROFILES,
    base: rates(5, 25, 6.25, 0.5), longContext: { aboveInputTokens: 200_000, rates: rates(10, 37.5, 12.5, 1) }, regional: true,
  }) },
  { ids: ["anthropic.claude-sonnet-4-6*"], facts: claude("sonnet", {
    generation: "4.6", maxOutputTokens: 64_000, thinking: "adaptive", efforts: EFFORTS_4_6, samplingExclusive: true, extendedContext: CONTEXT_1M, profiles: ALL_PROFILES,
    base: rates(3, 15, 3.75, 0.3), longContext: SONNET_LONG, regional: true,
  }) },
  // Adaptive only ("enabled" and "disabled" are a 400), 1M context at the standard price, and no sampling changes
  // ("temperature is deprecated for this model"): Bedrock "Adaptive thinking"; Anthropic's Opus 4.7 migration notes.
  { ids: ["anthropic.claude-opus-4-7*"], facts: claude("opus", {
    generation: "4.7", maxOutputTokens: 128_000, contextWindow: 1_000_000, thinking: "adaptive-only", efforts: EFFORTS_4_7, samplingFixed: true, profiles: ALL_PROFILES,
    base: rates(5, 25, 6.25, 0.5), regional: true,
  }) },
  // Anthropic's Opus 4.8 overview: 1M context, 128K output, $5/$25. Adaptive-only and fixed sampling like 4.7:
  // uncertain (not in the Bedrock adaptive-thinking page we read; the temperature refusal is reported by users).
  { ids: ["anthropic.claude-opus-4-8*"], facts: claude("opus", {
    generation: "4.8", maxOutputTokens: 128_000, contextWindow: 1_000_000, thinking: "adaptive-only", efforts: EFFORTS_4_7, samplingFixed: true, profiles: ALL_PROFILES,
    base: rates(5, 25, 6.25, 0.5), regional: true,
  }) },
];

type Other = Pick<ModelFacts, "family" | "generation" | "maxOutputTokens" | "contextWindow"> & Partial<ModelFacts> & { base: Rates };

function other(spec: Other): ModelFacts {
  const { base, ...facts } = spec;
  return {
    kind: "chat", thinking: "none", efforts: [], samplingExclusive: false, samplingFixed: false, vision: false,
    tools: true, promptCaching: false, profiles: US_ONLY, ...facts, prices: { base },
  };
}

const embedding = (family: string, generation: string, contextWindow: number, input: number): ModelFacts =>
  other({ family, generation, kind: "embedding", maxOutputTokens: 1, contextWindow, tools: false, profiles: [], base: rates(input, 0) });

const OTHERS: BuiltInEntry[] = [
  // Nova: 10K output (raised from 5K), cache reads at a quarter of input (Bedrock pricing).
  { ids: ["amazon.nova-micro-v1*"], facts: other({ family: "nova-micro", generation: "1", maxOutputTokens: 10_000, contextWindow: 128_000, promptCaching: true, profiles: ["us", "eu", "apac"], base: rates(0.035, 0.14, 0, 0.00875) }) },
  { ids: ["amazon.nova-lite-v1*"], facts: other({ family: "nova-lite", generation: "1", maxOutputTokens: 10_000, contextWindow: 300_000, vision: true, promptCaching: true, profiles: ["us", "eu", "apac"], base: rates(0.06, 0.24, 0, 0.015) }) },
  { ids: ["amazon.nova-pro-v1*"], facts: other({ family: "nova-pro", generation: "1", maxOutputTokens: 10_000, contextWindow: 300_000, vision: true, promptCaching: true, profiles: ["us", "eu", "apac"], base: rates(0.8, 3.2, 0, 0.2) }) },
  // uncertain: Nova Premier's output cap and prices.
  { ids: ["amazon.nova-premier-v1*"], facts: other({ family: "nova-premier", generation: "1", maxOutputTokens: 32_000, contextWindow: 1_000_000, vision: true, base: rates(2.5, 12.5) }) },
  // uncertain: Nova 2 Lite's limits and prices; its reasoning uses Nova's own fields, which the gateway does not set.
  { ids: ["amazon.nova-2-lite-v1*"], facts: other({ family: "nova-lite", generation: "2", maxOutputTokens: 65_536, contextWindow: 1_000_000, vision: true, profiles: ["global", "us"], base: rates(0.3, 2.5) }) },
  // Llama on Bedrock: 2,048 generated tokens for 3.x (max_gen_len), 8K for Llama 4 (uncertain).
  { ids: ["meta.llama3-1-8b-*", "meta.llama3-8b-*"], facts: other({ family: "llama", generation: "3.1-8b", maxOutputTokens: 2048, contextWindow: 128_000, base: rates(0.22, 0.22) }) },
  { ids: ["meta.llama3-1-70b-*", "meta.llama3-70b-*"], facts: other({ family: "llama", generation: "3.1-70b", maxOutputTokens: 2048, contextWindow: 128_000, base: rates(0.72, 0.72) }) },
  { ids: ["meta.llama3-1-405b-*"], facts: other({ family: "llama", generation: "3.1-405b", maxOutputTokens: 2048, contextWindow: 128_000, base: rates(2.4, 2.4) }) },
  { ids: ["meta.llama3-2-1b-*"], facts: other({ family: "llama", generation: "3.2-1b", maxOutputTokens: 2048, contextWindow: 128_000, tools: false, base: rates(0.1, 0.1) }) },
  { ids: ["meta.llama3-2-3b-*"], facts: other({ family: "llama", generation: "3.2-3b", maxOutputTokens: 2048, contextWindow: 128_000, tools: false, base: rates(0.15, 0.15) }) },
  { ids: ["meta.llama3-2-11b-*"], facts: other({ family: "llama", generation: "3.2-11b", maxOutputTokens: 2048, contextWindow: 128_000, vision: true, base: rates(0.16, 0.16) }) },
  { ids: ["meta.llama3-2-90b-*"], facts: other({ family: "llama", generation: "3.2-90b", maxOutputTokens: 2048, contextWindow: 128_000, vision: true, base: rates(0.72, 0.72) }) },
  { ids: ["meta.llama3-3-70b-*"], facts: other({ family: "llama", generation: "3.3-70b", maxOutputTokens: 2048, contextWindow: 128_000, base: rates(0.72, 0.72) }) },
  { ids: ["meta.llama4-scout-*"], facts: other({ family: "llama", generation: "4-scout", maxOutputTokens: 8192, contextWindow: 3_500_000, vision: true, base: rates(0.17, 0.66) }) },
  { ids: ["meta.llama4-maverick-*"], facts: other({ family: "llama", generation: "4-maverick", maxOutputTokens: 8192, contextWindow: 1_000_000, vision: true, base: rates(0.24, 0.97) }) },
  // Mistral: Converse offers tools for Large and Small only; 7B and Mixtral take none.
  { ids: ["mistral.mistral-7b-*"], facts: other({ family: "mistral", generation: "7b", maxOutputTokens: 8192, contextWindow: 32_000, tools: false, base: rates(0.15, 0.2) }) },
  { ids: ["mistral.mixtral-8x7b-*"], facts: other({ family: "mistral", generation: "8x7b", maxOutputTokens: 4096, contextWindow: 32_000, tools: false, base: rates(0.45, 0.7) }) },
  { ids: ["mistral.mistral-small-*"], facts: other({ family: "mistral-small", generation: "2402", maxOutputTokens: 8192, contextWindow: 32_000, base: rates(1, 3) }) },
  { ids: ["mistral.mistral-large-2402-*"], facts: other({ family: "mistral-large", generation: "2402", maxOutputTokens: 8192, contextWindow: 32_000, base: rates(4, 12) }) },
  // uncertain: Mistral Large 2 (2407) and Pixtral Large prices.
  { ids: ["mistral.mistral-large-2407-*"], facts: other({ family: "mistral-large", generation: "2407", maxOutputTokens: 8192, contextWindow: 128_000, base: rates(2, 6) }) },
  { ids: ["mistral.pixtral-large-*"], facts: other({ family: "pixtral-large", generation: "2502", maxOutputTokens: 8192, contextWindow: 128_000, vision: true, profiles: ["us", "eu"], base: rates(2, 6) }) },
  { ids: ["cohere.command-r-plus-*"], facts: other({ family: "command-r-plus", generation: "1", maxOutputTokens: 4096, contextWindow: 128_000, base: rates(3, 15) }) },
  { ids: ["cohere.command-r-v1*"], facts: other({ family: "command-r", generation: "1", maxOutputTokens: 4096, contextWindow: 128_000, base: rates(0.5, 1.5) }) },
  // Reasons on its own (its reasoning streams as reasoning content); the gateway sets nothing for it.
  { ids: ["deepseek.r1-*"], facts: other({ family: "deepseek-r1", generation: "1", maxOutputTokens: 32_768, contextWindow: 128_000, tools: false, base: rates(1.35, 5.4) }) },
  { ids: ["openai.gpt-oss-120b-*"], facts: other({ family: "gpt-oss", generation: "120b", maxOutputTokens: 32_768, contextWindow: 128_000, profiles: [], base: rates(0.15, 0.6) }) },
  { ids: ["openai.gpt-oss-20b-*"], facts: other({ family: "gpt-oss", generation: "20b", maxOutputTokens: 32_768, contextWindow: 128_000, profiles: [], base: rates(0.07, 0.3) }) },
  // Embeddings: input tokens only.
  { ids: ["amazon.titan-embed-text-v2*"], facts: embedding("titan-embed-text", "2", 8192, 0.02) },
  { ids: ["amazon.titan-embed-text-v1*"], facts: embedding("titan-embed-text", "1", 8192, 0.1) },
  { ids: ["cohere.embed-english-v3*", "cohere.embed-multilingual-v3*"], facts: embedding("cohere-embed", "3", 512, 0.1) },
  { ids: ["cohere.embed-v4*"], facts: embedding("cohere-embed", "4", 128_000, 0.12) },
];

export const BUILT_IN: readonly BuiltInEntry[] = [...ANTHROPIC, ...OTHERS];
