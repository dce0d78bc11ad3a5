import type { StreamSummary, TokenUsage } from "../../bedrock/chat-events";
import type { ResultBlock } from "../../bedrock/collect";
import type { ReplyInfo } from "../wire-format";

/** What Chat Completions says about a reply besides its content: ids, finish reason, usage. Shared by both forms. */

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

const FINISH_REASONS: Readonly<Record<string, FinishReason>> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
};

/** Bedrock's stop reason -> OpenAI's `finish_reason` (anything else, e.g. malformed output, ends as "stop"). */
export function finishReason(stopReason: string | undefined): FinishReason {
  return (stopReason && FINISH_REASONS[stopReason]) || "stop";
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

/**
 * Bedrock's usage in OpenAI's terms. OpenAI's `prompt_tokens` counts every input token, cached or not, while
 * Bedrock's `inputTokens` leaves out the tokens read from or written to the prompt cache: they are added back.
 */
export function openAiUsage(usage: TokenUsage): OpenAiUsage {
  const cached = usage.cacheReadInputTokens ?? 0;
  const prompt = usage.inputTokens + cached + (usage.cacheWriteInputTokens ?? 0);
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

export const completionId = (reply: ReplyInfo) => `chatcmpl-${reply.id}`;

/** The non-streamed answer: one `chat.completion` with the same content, tool calls, finish reason and usage. */
export function completionBody(reply: ReplyInfo, blocks: ResultBlock[], summary: StreamSummary): unknown {
  let text = "";
  let reasoning = "";
  const toolCalls: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }> = [];
  for (const block of blocks) {
    if (block.type === "text") text += block.text;
    else if (block.type === "reasoning") reasoning += block.text;
    else if (block.type === "tool_use") {
      toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: block.inputJson || "{}" } });
    }
  }
  return {
    id: completionId(reply),
    object: "chat.completion",
    created: reply.created,
    model: reply.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: text === "" && toolCalls.length > 0 ? null : text,
          refusal: null,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(summary.stopReason),
      },
    ],
    ...(summary.usage ? { usage: openAiUsage(summary.usage) } : {}),
  };
}
