import { parseModelId } from "../bedrock/model-ids";
import type { CatalogOverrides, ModelFacts, Prices, Rates } from "./catalog-schema";
import { BUILT_IN } from "./known-models";

export type { ModelFacts, Prices, Rates, ThinkingForm, ModelEffort } from "./catalog-schema";

/**
 * The model catalog: every fact the gateway knows about a Bedrock model (limits, thinking form, effort, sampling
 * rules, capabilities, prices), looked up by model or inference-profile ID. The built-in entries are in
 * known-models.ts; the `modelCatalog` setting adds or overrides entries, so a new Bedrock model needs no release.
 * Formats ask this module; none keeps model knowledge of its own.
 */

export interface ModelInfo extends ModelFacts {
  /** The ID asked about (a profile keeps its prefix). */
  readonly modelId: string;
  /** Without the profile prefix. */
  readonly foundationModelId: string;
  /** Whether a built-in entry or the setting describes the model; false: the defaults below. */
  readonly known: boolean;
}

/**
 * What an unknown model is taken to be: it still passes through, and the gateway adds nothing it might refuse (no
 * thinking, no effort); its output cap stays the gateway's former global limit, so nothing that worked before is
 * cut shorter.
 */
export const UNKNOWN_MODEL: ModelFacts = {
  family: "unknown", generation: "", kind: "chat", maxOutputTokens: 64_000, contextWindow: 128_000,
  thinking: "none", efforts: [], samplingExclusive: false, samplingFixed: false,
  vision: false, tools: true, promptCaching: false, profiles: [],
};

let overrides: CatalogOverrides = {};

/** Installs the `modelCatalog` setting (the app does at start; the last call wins for the process). */
export function useCatalogOverrides(entries: CatalogOverrides): void {
  overrides = entries;
}

/**
 * Compiled patterns, per pattern text. Patterns come only from the catalog and the deployment's settings (never from
 * a request), so the map stays small; model resolution, prices and key access test them on every request.
 */
const compiled = new Map<string, RegExp>();

/** `anthropic.claude-opus-4-*` -> a RegExp matching the whole ID; `*` is the only wildcard. */
export function patternRegExp(pattern: string): RegExp {
  let regExp = compiled.get(pattern);
  if (!regExp) {
    const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    // No `g` flag: `test` keeps no state, so one RegExp serves every caller.
    regExp = new RegExp(`^${escaped}$`, "i");
    compiled.set(pattern, regExp);
  }
  return regExp;
}

const matches = (pattern: string, id: string) => patternRegExp(pattern).test(id);

/** The catalog's facts for a model or inference profile (its prefix is stripped); unknown models get defaults. */
export function modelInfo(modelId: string): ModelInfo {
  const { foundationModelId } = parseModelId(modelId);
  const builtIn = BUILT_IN.find((entry) => entry.ids.some((pattern) => matches(pattern, foundationModelId)));
  // The most specific setting pattern wins over broader ones (`a.b-1` over `a.*`).
  const set = Object.entries(overrides)
    .filter(([pattern]) => matches(pattern, foundationModelId) || matches(pattern, modelId))
    .sort(([a], [b]) => a.replace(/\*/g, "").length - b.replace(/\*/g, "").length)
    .map(([, facts]) => facts);
  const facts: ModelFacts = Object.assign({}, UNKNOWN_MODEL, builtIn?.facts, ...set);
  return { ...facts, modelId, foundationModelId, known: builtIn !== undefined || set.length > 0 };
}

/** The rates that apply to one call of a model: its route (from the ID's prefix) and its input size. */
export function ratesFor(info: ModelInfo, inputTokens: number): Rates | undefined {
  const prices: Prices | undefined = info.prices;
  if (!prices) return undefined;
  if (prices.longContext && inputTokens > prices.longContext.aboveInputTokens) return prices.longContext.rates;
  const kind = parseModelId(info.modelId).kind;
  if (kind === "geographic-profile") return prices.byRoute?.geographic ?? prices.base;
  if (kind === "foundation-model") return prices.byRoute?.inRegion ?? prices.base;
  return prices.base;
}
