import { randomBytes } from "node:crypto";
import type { ContentStep, Renderer, ReplyUsage } from "./render";

/**
 * Anthropic's own stream events, as InvokeModelWithResponseStream carries them for Claude (each one the JSON of a
 * `chunk`'s bytes): message_start, content_block_start/delta/stop, message_delta, then message_stop with
 * `amazon-bedrock-invocationMetrics`. Every block is announced with `content_block_start`; redacted reasoning is a
 * block of its own whose data arrives whole in the start event.
 */
export type AnthropicEvent = { type: string } & Record<string, unknown>;

/** The request header that names a guardrail on InvokeModel(WithResponseStream) (the SDK's `guardrailIdentifier`). */
export const GUARDRAIL_HEADER = "x-amzn-bedrock-guardrailidentifier";
/** Bedrock's body field that says whether the guardrail stepped in (InvokeModel API reference, "Use a guardrail"). */
export const GUARDRAIL_ACTION = "amazon-bedrock-guardrailAction";
/** The scenario's (Converse's) stop reason for an intervention. */
const INTERVENED = "guardrail_intervened";

/** Bedrock answers with Anthropic's model name, e.g. `claude-haiku-4-5-20251001` for `global.anthropic.claude-haiku-4-5-20251001-v1:0`. */
export function anthropicModelName(modelId: string): string {
  const name = modelId.split("/").at(-1)!.replace(/^(?:[a-z]+\.)?anthropic\./, "");
  return name.replace(/-v\d+(?::\d+)?$/, "");
}

function messageId(): string {
  return `msg_bdrk_${randomBytes(18).toString("base64url").slice(0, 24)}`;
}

type Kind = "text" | "thinking" | "tool_use" | "redacted_thinking";

/**
 * Under a guardrail (`guarded`: the call named one) the last event, `message_stop`, carries Bedrock's
 * `amazon-bedrock-guardrailAction`: `INTERVENED` when the scenario stops with `guardrail_intervened`, else `NONE`.
 * The stop reason then stays `end_turn`, as Bedrock reports it; InvokeModel's message carries the field at its top.
 */
export class AnthropicRenderer implements Renderer<AnthropicEvent> {
  private index = -1;
  private kind: Kind | undefined;
  private intervened = false;

  constructor(
    private readonly model: string,
    private readonly guarded = false,
  ) {}

  start(usage: Pick<ReplyUsage, "inputTokens" | "cacheReadInputTokens" | "cacheWriteInputTokens">): AnthropicEvent[] {
    const message = {
      id: messageId(),
      type: "message",
      role: "assistant",
      model: this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: usage.inputTokens,
        cache_creation_input_tokens: usage.cacheWriteInputTokens ?? 0,
        cache_read_input_tokens: usage.cacheReadInputTokens ?? 0,
        output_tokens: 1,
      },
    };
    return [{ type: "message_start", message }];
  }

  content(step: ContentStep): AnthropicEvent[] {
    if ("toolUse" in step) return this.open("tool_use", { id: step.toolUse.id, name: step.toolUse.name, input: {} });
    if ("redacted" in step) return this.open("redacted_thinking", { data: step.redacted });
    if ("toolInput" in step) return [this.delta({ type: "input_json_delta", partial_json: step.toolInput })];
    if ("text" in step) return [...this.enter("text", { text: "" }), this.delta({ type: "text_delta", text: step.text })];
    const delta = "reasoning" in step ? { type: "thinking_delta", thinking: step.reasoning } : { type: "signature_delta", signature: step.signature };
    return [...this.enter("thinking", { thinking: "", signature: "" }), this.delta(delta)];
  }

  stop(stopReason: string, outputTokens: number): AnthropicEvent[] {
    this.intervened = stopReason === INTERVENED;
    const reason = this.intervened ? "end_turn" : stopReason;
    return [
      ...this.close(),
      { type: "message_delta", delta: { stop_reason: reason, stop_sequence: null }, usage: { output_tokens: outputTokens } },
    ];
  }

  end(usage: ReplyUsage, latency: { totalMs: number; firstByteMs: number }): AnthropicEvent[] {
    const metrics = {
      inputTokenCount: usage.inputTokens,
      outputTokenCount: usage.outputTokens,
      invocationLatency: latency.totalMs,
      firstByteLatency: latency.firstByteMs,
      ...(usage.cacheReadInputTokens !== undefined && { cacheReadInputTokenCount: usage.cacheReadInputTokens }),
      ...(usage.cacheWriteInputTokens !== undefined && { cacheWriteInputTokenCount: usage.cacheWriteInputTokens }),
    };
    const action = this.guarded || this.intervened ? { [GUARDRAIL_ACTION]: this.intervened ? "INTERVENED" : "NONE" } : {};
    return [{ type: "message_stop", ...action, "amazon-bedrock-invocationMetrics": metrics }];
  }

  private close(): AnthropicEvent[] {
    if (this.kind === undefined) return [];
    this.kind = undefined;
    return [{ type: "content_block_stop", index: this.index }];
  }

  private open(kind: Kind, block: Record<string, unknown>): AnthropicEvent[] {
    const events = this.close();
    this.index += 1;
    this.kind = kind;
    return [...events, { type: "content_block_start", index: this.index, content_block: { type: kind, ...block } }];
  }

  private enter(kind: Kind, block: Record<string, unknown>): AnthropicEvent[] {
    return this.kind === kind ? [] : this.open(kind, block);
  }

  private delta(delta: Record<string, unknown>): AnthropicEvent {
    return { type: "content_block_delta", index: Math.max(this.index, 0), delta };
  }
}

/** Folds the events into the Messages response InvokeModel returns (what the SDK's own accumulators build). */
export function assembleMessage(events: AnthropicEvent[]): Record<string, any> {
  let message: Record<string, any> = { type: "message", role: "assistant", content: [] };
  const json: string[] = [];
  for (const event of events as any[]) {
    if (event.type === "message_start") message = { ...event.message, content: [] };
    else if (event.type === "content_block_start") {
      message.content[event.index] = { ...event.content_block };
      json[event.index] = "";
    } else if (event.type === "content_block_delta") {
      const block = message.content[event.index];
      const { delta } = event;
      if (delta.type === "text_delta") block.text += delta.text;
      else if (delta.type === "thinking_delta") block.thinking += delta.thinking;
      else if (delta.type === "signature_delta") block.signature += delta.signature;
      else if (delta.type === "input_json_delta") json[event.index] += delta.partial_json;
    } else if (event.type === "content_block_stop" && message.content[event.index]?.type === "tool_use") {
      message.content[event.index].input = json[event.index] ? JSON.parse(json[event.index]) : {};
    } else if (event.type === "message_delta") {
      Object.assign(message, event.delta);
      message.usage = { ...message.usage, ...event.usage };
    } else if (event.type === "message_stop" && event[GUARDRAIL_ACTION]) {
      message[GUARDRAIL_ACTION] = event[GUARDRAIL_ACTION];
    }
  }
  return message;
}
