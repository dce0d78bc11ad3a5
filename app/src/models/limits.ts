import type { ModelInfo } from "./catalog";
import type { ModelEffort } from "./catalog-schema";

/**
 * What a request may ask of the model that answers it: the output cap, and how a caller's effort level becomes
 * the thinking (and effort) fields that model accepts. Every format's effort setting goes through here.
 */

/** The effort levels callers may name (OpenAI `reasoning_effort`, Responses `reasoning.effort`, Anthropic effort). */
export const EFFORT_LEVELS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;
export type EffortLevel = (typeof EFFORT_LEVELS)[number];

/** The requested `max_tokens` (or the deployment's default), never above what the model can write. */
export function clampMaxTokens(info: ModelInfo, requested: number | undefined, defaultMaxTokens: number): number {
  return Math.max(1, Math.min(requested ?? defaultMaxTokens, info.maxOutputTokens));
}

/** Claude's minimum thinking budget. */
export const MIN_THINKING_BUDGET = 1024;

/**
 * Thinking budget per level for budget-only models; each at least doubles the one before. The budget is added on
 * top of the answer's `max_tokens` (then capped at the model's limit), so asking to think never shortens the answer.
 */
export const THINKING_BUDGETS: Readonly<Record<Exclude<EffortLevel, "none">, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16_384,
  xhigh: 32_768,
  max: 63_999,
};

/** What to add to a Converse request for an effort level: the model fields, the output config, the new cap. */
export interface ReasoningFields {
  /** Converse `additionalModelRequestFields` to merge (`thinking`). */
  readonly additionalModelRequestFields?: { thinking: { type: "enabled"; budget_tokens: number } | { type: "adaptive" } };
  /** Converse `outputConfig` to merge (`effort`). */
  readonly outputConfig?: { effort: ModelEffort };
  /** The request's `maxTokens` to use (raised by the budget for budget models, within the model's limit). */
  readonly maxTokens: number;
}

/**
 * Maps an effort level onto what the model accepts: `enabled` + `budget_tokens` for budget-only models, `adaptive`
 * + `outputConfig.effort` for adaptive ones, nothing for `none` or a model without thinking.
 */
export function reasoningFields(info: ModelInfo, effort: EffortLevel, maxTokens: number): ReasoningFields {
  const cap = Math.min(maxTokens, info.maxOutputTokens);
  if (effort === "none" || info.thinking === "none") return { maxTokens: cap };
  if (info.thinking === "budget") {
    const total = Math.min(info.maxOutputTokens, cap + THINKING_BUDGETS[effort]);
    const budget = Math.min(THINKING_BUDGETS[effort], total - 1);
    if (budget < MIN_THINKING_BUDGET) return { maxTokens: cap };
    return { additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: budget } }, maxTokens: total };
  }
  const level = modelEffort(info, effort);
  return {
    additionalModelRequestFields: { thinking: { type: "adaptive" } },
    ...(level ? { outputConfig: { effort: level } } : {}),
    maxTokens: cap,
  };
}

const ORDER: readonly ModelEffort[] = ["low", "medium", "high", "xhigh", "max"];

/** The model's own level nearest below the caller's (`minimal` -> `low`; `xhigh` on a model without it -> `high`). */
export function modelEffort(info: ModelInfo, effort: Exclude<EffortLevel, "none">): ModelEffort | undefined {
  const wanted = effort === "minimal" ? "low" : effort;
  const accepted = ORDER.slice(0, ORDER.indexOf(wanted) + 1).filter((level) => info.efforts.includes(level));
  return accepted.at(-1) ?? info.efforts[0];
}

/**
 * A caller's own `thinking.budget_tokens` kept below the (clamped) `maxTokens`, as Claude requires; other fields
 * pass unchanged. A budget that would fall under the minimum is left for Bedrock to refuse with its own message.
 */
export function fitThinkingBudget<F>(fields: F, maxTokens: number): F {
  const thinking = (fields as { thinking?: { type?: string; budget_tokens?: number } } | undefined)?.thinking;
  if (thinking?.type !== "enabled" || thinking.budget_tokens === undefined || thinking.budget_tokens < maxTokens) return fields;
  if (maxTokens - 1 < MIN_THINKING_BUDGET) return fields;
  return { ...fields, thinking: { ...thinking, budget_tokens: maxTokens - 1 } } as F;
}
