import type { Message, ToolConfiguration } from "@aws-sdk/client-bedrock-runtime";
import type { ChatRequest } from "../../bedrock/chat-request";
import { ApiError } from "../../http/errors";
import { invalidRequest } from "../schema-errors";
import { toConverse } from "./messages";
import { type ChatCompletionBody, chatCompletionSchema, type ReasoningEffort } from "./schema";
import { withoutHonouredDefaults } from "./unsupported";

/** A parsed Chat Completions request: the internal request plus what only this format's writer needs. */
export interface OpenAiRequest {
  chat: ChatRequest;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  includeUsage: boolean;
}

/**
 * Extended-thinking budget (tokens) per `reasoning_effort`. Bedrock's minimum is 1,024; each level doubles or
 * quadruples the one before, and `high` leaves room under Haiku 4.5's 64,000 output tokens for the answer.
 */
export const THINKING_BUDGETS: Readonly<Record<Exclude<ReasoningEffort, "none">, number>> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
};
/** With thinking, Anthropic allows `top_p` only from here to 1 (and no temperature change). */
const THINKING_MIN_TOP_P = 0.95;

const badParam = (param: string, rule: string) =>
  new ApiError(400, "invalid_request", `${param}: ${rule}`, { param });

/** Validates a Chat Completions body into the internal request; every failure is a 400 naming the parameter. */
export function parseOpenAiRequest(body: unknown, defaultMaxTokens: number): OpenAiRequest {
  const parsed = chatCompletionSchema.safeParse(withoutHonouredDefaults(body));
  if (!parsed.success) throw invalidRequest(parsed.error);
  const data = parsed.data;
  const { system, messages } = toConverse(data.messages);
  const stopSequences = typeof data.stop === "string" ? [data.stop] : (data.stop ?? undefined);
  const requestedMaxTokens = maxTokensOf(data);
  // Checked either way, so a request is refused or accepted for what it says, not for where the conversation stands.
  const requestedThinking = thinkingOf(data);
  const thinking = continuesToolRound(messages) ? undefined : requestedThinking;
  // The answering model's limit caps the sum (chat-request.ts), keeping the budget below it.
  const maxTokens = thinking ? thinking.budget_tokens + (requestedMaxTokens ?? defaultMaxTokens) : requestedMaxTokens;
  return {
    chat: {
      model: data.model ?? undefined,
      messages,
      system,
      inferenceConfig: {
        maxTokens,
        temperature: data.temperature ?? undefined,
        topP: data.top_p ?? undefined,
        stopSequences,
      },
      toolConfig: toolConfigOf(data, messages.some((turn) => turn.content?.some((block) => block.toolUse))),
      additionalModelRequestFields: thinking ? { thinking } : undefined,
      stream: data.stream === true,
      userTag: data.user ?? data.safety_identifier ?? undefined,
    },
    includeUsage: data.stream_options?.include_usage === true,
  };
}

/**
 * Whether the request answers the model's tool calls (its last turns: assistant tool calls, then their results).
 * Claude then requires the round's signed thinking blocks back, which OpenAI's format cannot carry, so such a
 * request continues without extended thinking (docs/openai.md); the next user turn thinks again.
 */
function continuesToolRound(messages: readonly Message[]): boolean {
  const [assistant, results] = messages.slice(-2);
  return assistant?.role === "assistant" && assistant.content?.some((block) => block.toolUse) === true &&
    results?.role === "user" && results.content?.some((block) => block.toolResult) === true;
}

function maxTokensOf(data: ChatCompletionBody): number | undefined {
  const { max_tokens: legacy, max_completion_tokens: current } = data;
  if (legacy != null && current != null && legacy !== current) {
    throw badParam("max_tokens", "conflicts with max_completion_tokens (set one of them)");
  }
  return current ?? legacy ?? undefined;
}

/**
 * `reasoning_effort` -> Claude's extended thinking. Its incompatibilities (temperature or top_p changes, a forced
 * tool call) are refused here with the parameter named, rather than left to fail at Bedrock.
 */
function thinkingOf(data: ChatCompletionBody): { type: "enabled"; budget_tokens: number } | undefined {
  const effort = data.reasoning_effort;
  if (effort == null || effort === "none") return undefined;
  const rule = "cannot be combined with reasoning_effort (extended thinking)";
  if (data.temperature != null && data.temperature !== 1) throw badParam("temperature", `${rule} unless it is 1`);
  if (data.top_p != null && data.top_p < THINKING_MIN_TOP_P) {
    throw badParam("top_p", `${rule} unless it is at least ${THINKING_MIN_TOP_P}`);
  }
  if (data.tool_choice === "required" || (typeof data.tool_choice === "object" && data.tool_choice !== null)) {
    throw badParam("tool_choice", `${rule}: only "auto" or "none" are allowed with it`);
  }
  return { type: "enabled", budget_tokens: THINKING_BUDGETS[effort] };
}

/** `tools` + `tool_choice` -> Converse's tool configuration (undefined: no tools offered). */
function toolConfigOf(data: ChatCompletionBody, historyHasToolCalls: boolean): ToolConfiguration | undefined {
  const tools = data.tools ?? [];
  const choice = data.tool_choice ?? undefined;
  if (tools.length === 0) {
    if (choice === "required" || typeof choice === "object") throw badParam("tool_choice", "requires tools");
    if (historyHasToolCalls) throw badParam("tools", "are required when messages carry tool calls (Bedrock needs their definitions)");
    return undefined;
  }
  if (choice === "none") {
    // Converse has no "none": offering no tools is how to forbid calls, which Bedrock allows only without tool history.
    if (historyHasToolCalls) throw badParam("tool_choice", '"none" is not supported once messages carry tool calls');
    return undefined;
  }
  const names = new Set<string>();
  tools.forEach((tool, index) => {
    if (names.has(tool.function.name)) throw badParam(`tools[${index}].function.name`, "must be unique");
    names.add(tool.function.name);
  });
  if (typeof choice === "object" && !names.has(choice.function.name)) {
    throw badParam("tool_choice.function.name", "must name one of the tools");
  }
  return {
    tools: tools.map((tool) => ({
      toolSpec: {
        name: tool.function.name,
        description: tool.function.description,
        inputSchema: { json: (tool.function.parameters ?? { type: "object", properties: {} }) as Record<string, never> },
      },
    })),
    toolChoice:
      choice === "required" ? { any: {} } : typeof choice === "object" ? { tool: { name: choice.function.name } } : { auto: {} },
  };
}
