import { clampMaxTokens, MIN_THINKING_BUDGET, modelEffort, type ModelInfo, THINKING_BUDGETS } from "../../models";
import { withoutBetaFields } from "./beta-fields";
import { splitBetas } from "./betas";
import { foldSystemTurns, type Turn } from "./system-turns";

/**
 * The Messages body as Claude takes it on Bedrock (InvokeModel, CountTokens' `invokeModel`): the client's own body,
 * validated, with the model and `stream` moved out (the model is in the URL), `anthropic_version`, the betas Bedrock
 * accepts for the model as `anthropic_beta`, and what the model would refuse adapted through the catalog: the
 * thinking form, effort, `max_tokens`, sampling, and system-role messages.
 */

/** What the Anthropic format hands the native upstream: the validated body as sent, and the requested betas. */
export interface NativeMessages {
  readonly body: Readonly<Record<string, unknown>>;
  readonly betas: readonly string[];
}

export const BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31";

type Body = Record<string, any>;

/** The body for `info`'s model, and the requested betas it leaves out. */
export function nativeBody(native: NativeMessages, info: ModelInfo, defaultMaxTokens: number): { body: Body; dropped: string[] } {
  // Not Bedrock's: the model is in the URL, streaming is the operation, and metadata and service tiers are the API's.
  const { model: _model, stream: _stream, metadata: _metadata, service_tier: _tier, ...rest } = native.body;
  const { forwarded, dropped } = splitBetas(native.betas, info);
  const accepted = withoutBetaFields(rest, forwarded);
  const body: Body = {
    anthropic_version: BEDROCK_ANTHROPIC_VERSION,
    ...accepted,
    messages: foldSystemTurns(accepted.messages as Turn[]),
    max_tokens: clampMaxTokens(info, rest.max_tokens as number | undefined, defaultMaxTokens),
  };
  adaptThinking(body, info);
  adaptEffort(body, info, forwarded);
  adaptSampling(body, info);
  if (!forwarded.includes("context-management-2025-06-27")) delete body.context_management;
  if (forwarded.length > 0) body.anthropic_beta = forwarded;
  return { body, dropped };
}

/**
 * The thinking form the model takes: `adaptive` becomes a budget (from the effort) on budget-only models,
 * `enabled` becomes `adaptive` on adaptive-only ones, whose "no thinking" is leaving the field out; models without
 * thinking get none. A budget stays below `max_tokens`, as Claude requires.
 */
function adaptThinking(body: Body, info: ModelInfo): void {
  const thinking = body.thinking as { type: string; budget_tokens?: number } | undefined;
  if (!thinking) return;
  if (info.thinking === "none") {
    delete body.thinking;
  } else if (info.thinking === "budget" && thinking.type === "adaptive") {
    const effort = body.output_config?.effort ?? "high";
    const budget = Math.min(THINKING_BUDGETS[effort as keyof typeof THINKING_BUDGETS] ?? THINKING_BUDGETS.high, body.max_tokens - 1);
    if (budget < MIN_THINKING_BUDGET) delete body.thinking;
    else body.thinking = { type: "enabled", budget_tokens: budget };
  } else if (info.thinking === "adaptive-only" && thinking.type !== "adaptive") {
    if (thinking.type === "enabled") body.thinking = { type: "adaptive" };
    else delete body.thinking;
  } else if (thinking.type === "enabled" && thinking.budget_tokens! >= body.max_tokens) {
    if (body.max_tokens - 1 < MIN_THINKING_BUDGET) delete body.thinking;
    else body.thinking = { ...thinking, budget_tokens: body.max_tokens - 1 };
  }
}

/** `output_config.effort` as the nearest level the model has; left out where it takes none. */
function adaptEffort(body: Body, info: ModelInfo, forwarded: string[]): void {
  const config = body.output_config as { effort?: string } | undefined;
  if (config?.effort === undefined) return;
  const level = info.efforts.length > 0 ? modelEffort(info, config.effort as never) : undefined;
  const { effort: _effort, ...others } = config;
  body.output_config = level ? { ...others, effort: level } : others;
  if (Object.keys(body.output_config).length === 0) delete body.output_config;
  // Opus 4.5 takes effort only under its beta.
  if (level && info.generation === "4.5" && !forwarded.includes("effort-2025-11-24")) forwarded.push("effort-2025-11-24");
}

/** Models that set their own sampling refuse any change; others may refuse temperature with top_p (top_p gives way). */
function adaptSampling(body: Body, info: ModelInfo): void {
  if (info.samplingFixed) {
    delete body.temperature;
    delete body.top_p;
    delete body.top_k;
  } else if (info.samplingExclusive && body.temperature !== undefined && body.top_p !== undefined) {
    delete body.top_p;
  }
}
