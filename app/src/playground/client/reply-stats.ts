import { formatUsd } from "../../usage/usd";

/**
 * The figures shown after each reply. Time to first token is what a user waits before anything moves; tokens per
 * second is the reading pace after that, so it is measured from the first token to the last frame, not from the
 * request (which would mix the two).
 */

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cachedTokens?: number;
  /** The reply's estimated cost at list prices (the gateway's figure; absent for a model it has no prices for). */
  costMicroUsd?: number;
}

/** `performance.now()` marks of one reply. */
export interface ReplyTimes {
  startedAt: number;
  firstTokenAt?: number;
  endedAt?: number;
}

export interface ReplyStats {
  ttftMs?: number;
  /** Output tokens per second after the first token (from usage; from the number of deltas when usage is missing). */
  tokensPerSecond?: number;
  /** True when tokens per second was counted from deltas (a stopped reply gets no usage). */
  estimated: boolean;
  durationMs: number;
  usage?: Usage;
  /** The model's `finish_reason` (`stop`, `length`, ...), or `stopped` when the user stopped it. */
  stopReason?: string;
}

export function replyStats(times: ReplyTimes, deltas: number, usage: Usage | undefined, stopReason: string | undefined): ReplyStats {
  const endedAt = times.endedAt ?? times.startedAt;
  const tokens = usage?.completionTokens ?? deltas;
  const generatingMs = times.firstTokenAt === undefined ? 0 : endedAt - times.firstTokenAt;
  return {
    ttftMs: times.firstTokenAt === undefined ? undefined : times.firstTokenAt - times.startedAt,
    tokensPerSecond: generatingMs > 0 && tokens > 0 ? tokens / (generatingMs / 1000) : undefined,
    estimated: usage === undefined,
    durationMs: endedAt - times.startedAt,
    usage,
    stopReason,
  };
}

/** One line: `TTFT 312 ms · 41.2 tok/s · est. $0.000492 · 12 in + 96 out = 108 tokens (cached 0) · stop`. */
export function formatStats(stats: ReplyStats): string {
  const parts = [
    stats.ttftMs === undefined ? "no tokens" : `TTFT ${Math.round(stats.ttftMs)} ms`,
    stats.tokensPerSecond === undefined ? undefined : `${stats.estimated ? "≈" : ""}${stats.tokensPerSecond.toFixed(1)} tok/s`,
    stats.usage?.costMicroUsd === undefined ? undefined : `est. ${formatUsd(stats.usage.costMicroUsd)}`,
    stats.usage
      ? `${stats.usage.promptTokens} in + ${stats.usage.completionTokens} out = ${stats.usage.totalTokens} tokens` +
        (stats.usage.cachedTokens ? ` (${stats.usage.cachedTokens} cached)` : "")
      : undefined,
    `${(stats.durationMs / 1000).toFixed(2)} s`,
    stats.stopReason,
  ];
  return parts.filter((part) => part !== undefined).join(" · ");
}
