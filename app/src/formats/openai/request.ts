import type { Message } from "@aws-sdk/client-bedrock-runtime";
import type { ChatRequest } from "../../bedrock/chat-request";
import { ApiError } from "../../http/errors";
import { modelInfo, reasoningFields } from "../../models";
import { invalidRequest } from "../schema-errors";
import { withoutUnmappedFields } from "./field-policy";
import { toConverse } from "./messages";
import { structuredOutput } from "./response-format";
import { type ChatCompletionBody, chatCompletionSchema } from "./schema";
import { toolsOf } from "./tools";

/** A parsed Chat Completions request: the internal request plus what only this format's writer needs. */
export interface OpenAiRequest {
  chat: ChatRequest;
  /** `stream_options.include_usage`: end the stream with a usage chunk. */
  includeUsage: boolean;
}

/** With thinking, Anthropic allows `top_p` only from here to 1 (and no temperature change). */
const THINKING_MIN_TOP_P = 0.95;

const badParam = (param: string, rule: string) =>
  new ApiError(400, "invalid_request", `${param}: ${rule}`, { param });

/**
 * Validates a Chat Completions body into the internal request; every failure is a 400 naming the parameter.
 * `defaultModel` stands for the model when the body names none (what is sent depends on the model).
 */
export function parseOpenAiRequest(body: unknown, defaultMaxTokens: number, defaultModel: string): OpenAiRequest {
  const parsed = chatCompletionSchema.safeParse(withoutUnmappedFields(body));
  if (!parsed.success) throw invalidRequest(parsed.error);
  const data = parsed.data;
  const model = data.model || defaultModel;
  const conversation = toConverse(data.messages);
  const { messages } = conversation;
  const stopSequences = typeof data.stop === "string" ? [data.stop] : (data.stop ?? undefined);
  const requestedMaxTokens = maxTokensOf(data);
  // Checked either way, so a request is refused or accepted for what it says, not for where the conversation stands.
  checkThinkingCompatible(data);
  const effort = continuesToolRound(messages) ? undefined : (data.reasoning_effort ?? undefined);
  const reasoning = effort && reasoningFields(modelInfo(model), effort, requestedMaxTokens ?? defaultMaxTokens);
  const tools = toolsOf(data, model, messages.some((turn) => turn.content?.some((block) => block.toolUse)));
  const output = structuredOutput(data.response_format);
  const system = [...(conversation.system ?? []), ...(output.system ?? [])];
  const modelFields = { ...reasoning?.additionalModelRequestFields, ...tools.modelFields };
  return {
    chat: {
      model: data.model ?? undefined,
      messages,
      system: system.length > 0 ? system : undefined,
      inferenceConfig: {
        maxTokens: reasoning?.maxTokens ?? requestedMaxTokens,
        temperature: data.temperature ?? undefined,
        topP: data.top_p ?? undefined,
        stopSequences,
      },
      toolConfig: tools.toolConfig,
      additionalModelRequestFields: Object.keys(modelFields).length > 0 ? (modelFields as ChatRequest["additionalModelRequestFields"]) : undefined,
      outputConfig: reasoning?.outputConfig || output.outputConfig ? { ...reasoning?.outputConfig, ...output.outputConfig } : undefined,
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
 * Extended thinking's incompatibilities (temperature or top_p changes, a forced tool call) are refused here with the
 * parameter named, rather than left to fail at Bedrock.
 */
function checkThinkingCompatible(data: ChatCompletionBody): void {
  if (data.reasoning_effort == null || data.reasoning_effort === "none") return;
  const rule = "cannot be combined with reasoning_effort (extended thinking)";
  if (data.temperature != null && data.temperature !== 1) throw badParam("temperature", `${rule} unless it is 1`);
  if (data.top_p != null && data.top_p < THINKING_MIN_TOP_P) {
    throw badParam("top_p", `${rule} unless it is at least ${THINKING_MIN_TOP_P}`);
  }
  if (data.tool_choice === "required" || (typeof data.tool_choice === "object" && data.tool_choice !== null)) {
    throw badParam("tool_choice", `${rule}: only "auto" or "none" are allowed with it`);
  }
}
