import type { Message, OutputConfig } from "@aws-sdk/client-bedrock-runtime";
import type { ChatRequest } from "../../bedrock/chat-request";
import { ApiError } from "../../http/errors";
import { type EffortLevel, type ModelInfo, modelInfo, type ReasoningFields, reasoningFields } from "../../models";
import { MIN_THINKING_BUDGET } from "../../models/limits";
import { invalidRequest } from "../schema-errors";
import { toConversation } from "./input";
import { refuseUnhonoured } from "./refused";
import { type ResponsesBody, responsesSchema, type TextFormat } from "./schema";
import { offeredTools, type ToolTarget } from "./tools";

/** What the Responses writer needs beyond the internal request: how to present the reply, and what to echo. */
export interface ResponsesContext {
  /** Bedrock tool name -> the tool as the client named it. */
  tools: Map<string, ToolTarget>;
  /** `include: ["reasoning.encrypted_content"]`: reasoning items carry Bedrock's reasoning block. */
  encryptedReasoning: boolean;
  /** `reasoning.summary` asked for: the model's reasoning text is streamed as the reasoning item's summary. */
  summary: boolean;
  /** `parallel_tool_calls: false`: at most one tool call is given back. */
  singleToolCall: boolean;
  /** The request's own settings, echoed in every `response` object as OpenAI does. */
  echo: Record<string, unknown>;
}

export interface ResponsesRequest {
  chat: ChatRequest;
  context: ResponsesContext;
}

const badParam = (param: string, rule: string) => new ApiError(400, "invalid_request", `${param}: ${rule}`, { param });
const SAMPLING_RULE = "cannot be combined with reasoning.effort (extended thinking)";
/** With thinking, Anthropic allows `top_p` only from here to 1 (and no temperature change). */
const THINKING_MIN_TOP_P = 0.95;

/** Extended thinking's incompatibilities are refused naming the parameter, rather than left to fail at Bedrock. */
function checkThinkingCompatible(data: ResponsesBody): void {
  if (data.temperature != null && data.temperature !== 1) throw badParam("temperature", `${SAMPLING_RULE} unless it is 1`);
  if (data.top_p != null && data.top_p < THINKING_MIN_TOP_P) throw badParam("top_p", `${SAMPLING_RULE} unless it is at least ${THINKING_MIN_TOP_P}`);
  const choice = data.tool_choice;
  if (choice === "required" || (typeof choice === "object" && choice !== null && (choice.type !== "allowed_tools" || choice.mode === "required"))) {
    throw badParam("tool_choice", `${SAMPLING_RULE}: only "auto" or "none" are allowed with it`);
  }
}

/**
 * `reasoning.effort` -> the model's thinking form, through the model catalog. OpenAI's `max_output_tokens` counts
 * the reasoning too, so when it is set the whole reply stays within it (a budget that no longer fits leaves thinking
 * off); without it the budget comes on top of the deployment's default, as on the other routes.
 */
function reasoningOf(info: ModelInfo, effort: EffortLevel, maxOutputTokens: number | undefined, defaultMaxTokens: number): ReasoningFields {
  const fields = reasoningFields(info, effort, maxOutputTokens ?? defaultMaxTokens);
  const thinking = fields.additionalModelRequestFields?.thinking;
  if (maxOutputTokens === undefined) return fields;
  if (thinking?.type !== "enabled") return { ...fields, maxTokens: Math.min(fields.maxTokens, maxOutputTokens) };
  const budget = Math.min(thinking.budget_tokens, maxOutputTokens - 1);
  if (budget < MIN_THINKING_BUDGET) return { maxTokens: maxOutputTokens };
  return { additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: budget } }, maxTokens: maxOutputTokens };
}

/** Whether the input answers tool calls whose assistant turn holds no reasoning block (Claude needs it back to think on). */
function continuesWithoutReasoning(messages: readonly Message[]): boolean {
  const [assistant, results] = messages.slice(-2);
  return assistant?.role === "assistant" && assistant.content?.some((block) => block.toolUse) === true &&
    !assistant.content.some((block) => block.reasoningContent) && results?.content?.some((block) => block.toolResult) === true;
}

/**
 * `text.format` -> Converse structured output. `json_schema` is Bedrock's own; `json_object` has no schema to give,
 * so it becomes an instruction (a system block) to answer with one JSON object.
 */
function outputOf(format: TextFormat | null | undefined): { outputConfig?: OutputConfig; instruction?: string } {
  if (format?.type === "json_schema") {
    const { name, description, schema } = format;
    return { outputConfig: { textFormat: { type: "json_schema", structure: { jsonSchema: { name, description, schema: JSON.stringify(schema) } } } } };
  }
  if (format?.type === "json_object") return { instruction: "Answer with one valid JSON object and nothing else." };
  return {};
}

export interface ResponsesOptions {
  /** The deployment's default `maxTokens`. */
  defaultMaxTokens: number;
  /** The served model that answers a requested name (the catalog's resolution), for its thinking form. */
  modelOf(requested: string | undefined): string;
}

/** Validates a Responses body into the internal request; every failure is a 400 naming the field. */
export function parseResponsesRequest(body: unknown, options: ResponsesOptions): ResponsesRequest {
  refuseUnhonoured(body);
  const parsed = responsesSchema.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error);
  const data = parsed.data;
  const { system, messages } = toConversation(data.instructions ?? undefined, data.input);
  const historyHasToolCalls = messages.some((turn) => turn.content?.some((block) => block.toolUse));
  const { toolConfig, targets } = offeredTools(data.tools ?? [], data.tool_choice ?? undefined, historyHasToolCalls);
  const effort = data.reasoning?.effort ?? undefined;
  const requested = effort && reasoningOf(modelInfo(options.modelOf(data.model ?? undefined)), effort, data.max_output_tokens ?? undefined, options.defaultMaxTokens);
  // Checked either way, so a request is refused or accepted for what it says, not for where the conversation stands.
  if (requested?.additionalModelRequestFields) checkThinkingCompatible(data);
  const reasoning = continuesWithoutReasoning(messages) ? undefined : requested;
  const output = outputOf(data.text?.format);
  const outputConfig = reasoning?.outputConfig || output.outputConfig ? { ...output.outputConfig, ...reasoning?.outputConfig } : undefined;
  const instruction = output.instruction;
  const summary = data.reasoning?.summary;
  // Echoed as the client sent them (the schema strips what it does not map).
  const raw = body as { tools?: unknown; tool_choice?: unknown; text?: { format?: unknown } };
  return {
    chat: {
      model: data.model ?? undefined,
      messages,
      system: instruction ? [...(system ?? []), { text: instruction }] : system,
      inferenceConfig: {
        maxTokens: reasoning?.maxTokens ?? data.max_output_tokens ?? undefined,
        temperature: data.temperature ?? undefined,
        topP: data.top_p ?? undefined,
      },
      toolConfig,
      additionalModelRequestFields: reasoning?.additionalModelRequestFields,
      outputConfig,
      stream: data.stream === true,
      userTag: data.user ?? data.safety_identifier ?? undefined,
    },
    context: {
      tools: targets,
      encryptedReasoning: data.include?.includes("reasoning.encrypted_content") === true,
      summary: summary != null && summary !== "none",
      singleToolCall: data.parallel_tool_calls === false,
      echo: {
        instructions: data.instructions ?? null,
        max_output_tokens: data.max_output_tokens ?? null,
        parallel_tool_calls: data.parallel_tool_calls ?? true,
        reasoning: { effort: effort ?? null, summary: summary ?? null },
        temperature: data.temperature ?? null,
        text: { format: raw.text?.format ?? { type: "text" }, verbosity: data.text?.verbosity ?? "medium" },
        tool_choice: raw.tool_choice ?? "auto",
        tools: raw.tools ?? [],
        top_p: data.top_p ?? null,
      },
    },
  };
}
