import type { StreamSummary } from "../../bedrock/chat-events";
import type { ResultBlock } from "../../bedrock/collect";
import type { ApiError } from "../../http/errors";
import { openAiUsage } from "../openai/reply";
import type { ReplyInfo } from "../wire-format";
import { reasoningToken } from "./reasoning-token";
import type { ResponsesContext } from "./request";
import type { ToolTarget } from "./tools";

/**
 * The `response` object and its output items, shared by the streamed and the non-streamed form: the writer
 * serialises these same items when each one ends, the complete body all at once.
 */

export type Item = Record<string, unknown>;
type Status = "in_progress" | "completed" | "incomplete" | "failed";

export const responseId = (reply: ReplyInfo) => `resp_${reply.id}`;
export const itemId = (prefix: string, reply: ReplyInfo, outputIndex: number) => `${prefix}_${reply.id}_${outputIndex}`;

export function messageItem(id: string, text: string, status: Status): Item {
  const content = status === "in_progress" ? [] : [outputText(text)];
  return { type: "message", id, status, role: "assistant", content };
}

export const outputText = (text: string) => ({ type: "output_text", text, annotations: [], logprobs: [] });
export const summaryText = (text: string) => ({ type: "summary_text", text });

/** A reasoning item: its text as the summary when one was asked for; Bedrock's block as `encrypted_content` when included. */
export function reasoningItem(
  id: string,
  block: { text: string; signature?: string } | { data: Uint8Array } | undefined,
  context: ResponsesContext,
): Item {
  const text = block && "text" in block ? block.text : "";
  const item: Item = { type: "reasoning", id, summary: context.summary && text ? [summaryText(text)] : [] };
  if (block && context.encryptedReasoning) item.encrypted_content = reasoningToken(block) ?? null;
  return item;
}

/** `{"input": "..."}` -> the free-form text (the model's raw JSON text when it did not keep to that shape). */
export function customInput(json: string): string {
  try {
    const value = JSON.parse(json);
    if (typeof value?.input === "string") return value.input;
  } catch {
    // fall through: the client still sees what the model wrote
  }
  return json;
}

function shellAction(json: string): Item {
  let value: { command?: unknown; working_directory?: unknown; timeout_ms?: unknown } = {};
  try {
    value = JSON.parse(json) ?? {};
  } catch {
    // an unreadable command is given as an empty one, which the client reports back as a failure
  }
  const command = Array.isArray(value.command) ? value.command.map(String) : [];
  const action: Item = { type: "exec", command, env: {} };
  if (typeof value.working_directory === "string") action.working_directory = value.working_directory;
  if (typeof value.timeout_ms === "number") action.timeout_ms = value.timeout_ms;
  return action;
}

/** A tool call as the item the client's tool kind expects; `inputJson` is empty while the call is still arriving. */
export function toolCallItem(id: string, callId: string, target: ToolTarget, inputJson: string, status: Status): Item {
  const namespace = target.namespace === undefined ? {} : { namespace: target.namespace };
  switch (target.kind) {
    case "custom":
      return { type: "custom_tool_call", id, call_id: callId, name: target.name, ...namespace, input: inputJson && customInput(inputJson), status };
    case "local_shell":
      return { type: "local_shell_call", id, call_id: callId, status, action: shellAction(inputJson || "{}") };
    default:
      return { type: "function_call", id, call_id: callId, name: target.name, ...namespace, arguments: status === "in_progress" ? "" : inputJson || "{}", status };
  }
}

export const ITEM_PREFIX = { text: "msg", reasoning: "rs", function: "fc", custom: "ctc", local_shell: "lsh" } as const;

/** A Bedrock tool name the client never sent (the model made it up) is given back as a function of that name. */
export const targetOf = (context: ResponsesContext, name: string): ToolTarget => context.tools.get(name) ?? { kind: "function", name };

/**
 * Usage in OpenAI's terms (input counts cached tokens too). Bedrock reports no separate reasoning count, so
 * `reasoning_tokens` is estimated from the reasoning text (about four characters a token), within the output count.
 */
export function usageOf(summary: StreamSummary, reasoningCharacters: number) {
  if (!summary.usage) return null;
  const usage = openAiUsage(summary.usage);
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details.cached_tokens },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: Math.min(usage.completion_tokens, Math.ceil(reasoningCharacters / 4)) },
    total_tokens: usage.total_tokens,
  };
}

/** How the reply ended: `incomplete` when Bedrock stopped it at the token limit or a filter. */
export function ending(summary: StreamSummary): { status: Status; incomplete_details: { reason: string } | null } {
  const stop = summary.stopReason;
  if (stop === "max_tokens" || stop === "model_context_window_exceeded") return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } };
  if (stop === "guardrail_intervened" || stop === "content_filtered") return { status: "incomplete", incomplete_details: { reason: "content_filter" } };
  return { status: "completed", incomplete_details: null };
}

/** The `response` object; `outputJson` is the output items already serialised (the writer keeps them that way). */
export function responseJson(
  reply: ReplyInfo,
  context: ResponsesContext,
  state: { status: Status; incomplete_details?: unknown; error?: ApiError; usage?: unknown },
  outputJson = "",
): string {
  const error = state.error ? { code: state.error.code, message: state.error.message } : null;
  const head = JSON.stringify({
    id: responseId(reply),
    object: "response",
    created_at: reply.created,
    status: state.status,
    background: false,
    error,
    incomplete_details: state.incomplete_details ?? null,
    model: reply.model,
    previous_response_id: null,
    store: false,
    truncation: "disabled",
    ...context.echo,
    usage: state.usage ?? null,
    metadata: {},
  });
  return `${head.slice(0, -1)},"output":[${outputJson}]}`;
}

/** Which result blocks become items: with `parallel_tool_calls: false`, only the first tool call. */
export function presented(blocks: readonly ResultBlock[], context: ResponsesContext): ResultBlock[] {
  let calls = 0;
  return blocks.filter((block) => block.type !== "tool_use" || !context.singleToolCall || calls++ === 0);
}
