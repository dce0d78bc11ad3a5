import { MAX_TOKENS_LIMIT } from "../settings";

/**
 * A caller's reasoning effort -> the Bedrock fields that ask the model for it. One place for the mapping, so the
 * model catalog (per-model thinking forms) can take it over without touching the formats that use it.
 *
 * Until then every model gets Claude's budgeted extended thinking, `thinking: {type: "enabled", budget_tokens}`:
 * Bedrock's minimum budget is 1,024 tokens, each level doubles or quadruples the one before, and `max` leaves room
 * under Haiku 4.5's 64,000 output tokens for the answer.
 */

/** Every level OpenAI defines, `none` (no thinking) to `max`. */
export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];

export const THINKING_BUDGETS: Readonly<Record<Exclude<ReasoningEffort, "none">, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 32768,
  max: 49152,
};

export interface ReasoningFields {
  /** Merged into Converse's `additionalModelRequestFields`. */
  additionalModelRequestFields: Record<string, unknown>;
  /** The call's `maxTokens`: the thinking budget comes on top of the answer's `maxTokens`. */
  maxTokens: number;
}

/**
 * The fields for `effort` on `modelId` (the model is unused until the catalog tells models apart), with `maxTokens`
 * the answer's own limit; undefined for `none`.
 */
export function reasoningFields(_modelId: string, effort: ReasoningEffort, maxTokens: number): ReasoningFields | undefined {
  if (effort === "none") return undefined;
  const budget = THINKING_BUDGETS[effort];
  return {
    additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: budget } },
    maxTokens: Math.min(MAX_TOKENS_LIMIT, budget + maxTokens),
  };
}
