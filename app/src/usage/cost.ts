import type { TokenUsage } from "../bedrock/chat-events";
import { modelInfo, type Prices, type Rates, ratesFor } from "../models";
import { patternRegExp } from "../models/catalog";
import type { ModelPrices } from "./price-schema";

export { type ModelPrices, modelPricesSchema } from "./price-schema";
export { formatUsd } from "./usd";

/**
 * What a request cost, in integer micro-dollars (US$ 0.000001), from the price list of the model that answered:
 * the `modelPrices` setting when one of its patterns matches the model, else the model catalog's list prices. Integer
 * micro-dollars add up exactly in the usage table (DynamoDB `ADD`), however many requests are summed; each request's
 * own figure is rounded once, to the nearest micro-dollar. Figures are list-price estimates, not the bill.
 */

/** A price per million tokens is a price in micro-dollars per token; scaled by a million it is an integer. */
const PICO_PER_MICRO = 1_000_000;
const pico = (usdPerMillion: number) => Math.round(usdPerMillion * PICO_PER_MICRO);

/** The price list that applies to a model: the most specific `modelPrices` pattern matching it, else the catalog's. */
export function pricesOf(modelId: string, overrides: ModelPrices): Prices | undefined {
  const info = modelInfo(modelId);
  const override = Object.entries(overrides)
    .filter(([pattern]) => patternRegExp(pattern).test(modelId) || patternRegExp(pattern).test(info.foundationModelId))
    .sort(([a], [b]) => b.replace(/\*/g, "").length - a.replace(/\*/g, "").length)[0];
  return override ? override[1] : info.prices;
}

/**
 * The rates of one call: its route (the ID's profile prefix) and its size. The long-context tier is chosen by every
 * input token the call took, cached ones included (that is how Anthropic counts the 200K threshold).
 */
export function callRates(modelId: string, usage: TokenUsage, overrides: ModelPrices): Rates | undefined {
  const prices = pricesOf(modelId, overrides);
  if (!prices) return undefined;
  const input = usage.inputTokens + (usage.cacheReadInputTokens ?? 0) + (usage.cacheWriteInputTokens ?? 0);
  return ratesFor({ ...modelInfo(modelId), prices }, input);
}

/** One call's cost in micro-dollars; 0 for a model without prices (unknown models are not guessed at). */
export function costMicroUsd(modelId: string, usage: TokenUsage, overrides: ModelPrices = {}): number {
  const rates = callRates(modelId, usage, overrides);
  if (!rates) return 0;
  // A cache price the list lacks is billed as input (models without caching report no cache tokens anyway).
  const picoUsd =
    usage.inputTokens * pico(rates.input) +
    usage.outputTokens * pico(rates.output) +
    (usage.cacheReadInputTokens ?? 0) * pico(rates.cacheRead ?? rates.input) +
    (usage.cacheWriteInputTokens ?? 0) * pico(rates.cacheWrite ?? rates.input);
  return Math.round(picoUsd / PICO_PER_MICRO);
}

/** A reply's cost as shown to its caller: undefined for a model without prices (no figure rather than $0). */
export function shownCostMicroUsd(modelId: string, usage: TokenUsage, overrides: ModelPrices = {}): number | undefined {
  return callRates(modelId, usage, overrides) ? costMicroUsd(modelId, usage, overrides) : undefined;
}
