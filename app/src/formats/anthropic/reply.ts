import type { StreamSummary } from "../../bedrock/chat-events";
import type { ChatRequest } from "../../bedrock/chat-request";
import type { ReplyInfo } from "../wire-format";

/** What the streamed and the whole reply share: ids, stop reasons and usage in Anthropic's words. */

export const messageId = (reply: ReplyInfo) => `msg_${reply.id}`;

/**
 * Converse stop reasons -> Anthropic's. Refusals by a guardrail or content filter are Anthropic's `refusal`;
 * malformed output has no Anthropic counterpart and ends the turn.
 */
const STOP_REASONS: Readonly<Record<string, string>> = {
  end_turn: "end_turn",
  tool_use: "tool_use",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  guardrail_intervened: "refusal",
  content_filtered: "refusal",
  model_context_window_exceeded: "model_context_window_exceeded",
};

export function stopReason(summary: StreamSummary): string | null {
  if (summary.stopReason === undefined) return null;
  return STOP_REASONS[summary.stopReason] ?? "end_turn";
}

/**
 * Converse does not say which stop sequence matched; when the request gave exactly one, it is that one. Otherwise
 * null, as the API allows.
 */
export function stopSequence(summary: StreamSummary, request: ChatRequest): string | null {
  const sequences = request.inferenceConfig?.stopSequences ?? [];
  return summary.stopReason === "stop_sequence" && sequences.length === 1 ? sequences[0] : null;
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** Bedrock's final counts (0 where it reported none, as the API does when nothing was cached). */
export function usageOf(summary: StreamSummary): AnthropicUsage {
  const usage = summary.usage;
  return {
    input_tokens: usage?.inputTokens ?? 0,
    output_tokens: usage?.outputTokens ?? 0,
    cache_creation_input_tokens: usage?.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: usage?.cacheReadInputTokens ?? 0,
  };
}

/** The message's fields apart from content, stop and usage, in the API's order. */
export function messageHead(reply: ReplyInfo) {
  return { id: messageId(reply), type: "message", role: "assistant", model: reply.model } as const;
}
