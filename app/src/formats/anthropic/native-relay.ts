import type { StreamSummary } from "../../bedrock/chat-events";
import { unreadableAnswer } from "../../bedrock/bedrock-errors";
import { type AppState, noteDelta } from "../../http/request-record";
import { GUARDRAIL_INTERVENED } from "../../resilience/setup";
import { BEDROCK_FIELD_MARK, REFUSAL, takeIntervention } from "./native-guardrail";
import { sseFrame } from "./sse";

/**
 * What Claude's native path reads on the way through Bedrock's answer (InvokeModel's message, or the stream's
 * chunks): usage and the stop reason for metering and the log, the model to name, and a guardrail's intervention.
 */

export const PING = sseFrame("ping", { type: "ping" });

export function parse(json: string): Record<string, any> {
  try {
    return JSON.parse(json);
  } catch {
    throw unreadableAnswer("a reply that is not JSON");
  }
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Anthropic's usage into the summary; later counts (message_delta) replace earlier ones (message_start). */
export function noteUsage(summary: StreamSummary, usage: AnthropicUsage | undefined): void {
  if (!usage) return;
  const now = summary.usage;
  const input = usage.input_tokens ?? now?.inputTokens ?? 0;
  const output = usage.output_tokens ?? now?.outputTokens ?? 0;
  summary.usage = {
    inputTokens: input,
    outputTokens: output,
    totalTokens: input + output,
    cacheReadInputTokens: usage.cache_read_input_tokens ?? now?.cacheReadInputTokens ?? 0,
    cacheWriteInputTokens: usage.cache_creation_input_tokens ?? now?.cacheWriteInputTokens ?? 0,
  };
}

/**
 * InvokeModel's whole message as the client gets it: the answering model named, and a guardrail's intervention
 * turned into `stop_reason: refusal` (the summary keeps Converse's `guardrail_intervened` for the metric and log).
 */
export function relayMessage(json: string, model: string, summary: StreamSummary): Record<string, any> {
  const message = parse(json);
  message.model = model;
  noteUsage(summary, message.usage);
  if (takeIntervention(message)) message.stop_reason = REFUSAL;
  summary.stopReason = message.stop_reason === REFUSAL ? GUARDRAIL_INTERVENED : message.stop_reason ?? undefined;
  return message;
}

/** Names the event of a chunk without parsing it: Anthropic's events begin with their `type`. */
const TYPE = /^\{\s*"type"\s*:\s*"([a-z_]+)"/;
/** Nearly every chunk is a delta, and Bedrock writes its type first, compact: one comparison names it. */
const DELTA_START = '{"type":"content_block_delta"';
const typeOf = (json: string) => (json.startsWith(DELTA_START) ? "content_block_delta" : TYPE.exec(json)?.[1]);

/**
 * Re-frames one stream's events; only the few that carry the model, usage or the stop are parsed. Under a guardrail,
 * a chunk with Bedrock's fields is parsed too (to read and drop them), and `message_delta` is held until
 * `message_stop`, which comes right after it: an intervention reported on the last chunk still changes the stop
 * reason the client reads.
 */
export class EventRelay {
  stopped = false;
  private intervened = false;
  private heldDelta: Record<string, any> | undefined;

  constructor(
    private readonly model: string,
    private readonly summary: StreamSummary,
    private readonly record: AppState["record"],
    private readonly guarded: boolean,
  ) {}

  frame(json: string): string {
    const type = this.guarded && json.includes(BEDROCK_FIELD_MARK) ? undefined : typeOf(json);
    if (type === "content_block_delta") {
      noteDelta(this.record);
      return `event: ${type}\ndata: ${json}\n\n`;
    }
    if (type === "content_block_start" || type === "content_block_stop") return `event: ${type}\ndata: ${json}\n\n`;
    const event = parse(json);
    if (takeIntervention(event)) this.intervened = true;
    switch (event.type) {
      case undefined:
        // A chunk that carried only Bedrock's fields.
        return "";
      case "content_block_delta":
        noteDelta(this.record);
        return sseFrame("content_block_delta", event);
      case "message_start":
        event.message.model = this.model;
        noteUsage(this.summary, event.message.usage);
        return sseFrame("message_start", event) + PING;
      case "message_delta":
        noteUsage(this.summary, event.usage);
        this.summary.stopReason = event.delta?.stop_reason ?? this.summary.stopReason;
        if (!this.guarded) return sseFrame("message_delta", event);
        this.heldDelta = event;
        return "";
      case "message_stop": {
        this.stopped = true;
        const { "amazon-bedrock-invocationMetrics": metrics, ...rest } = event;
        if (metrics) this.noteMetrics(metrics);
        return this.releaseDelta() + sseFrame("message_stop", rest);
      }
      default:
        return sseFrame(String(event.type), event);
    }
  }

  /** The held `message_delta`, with Anthropic's `refusal` when a guardrail stepped in. */
  private releaseDelta(): string {
    const delta = this.heldDelta;
    this.heldDelta = undefined;
    if (this.intervened) this.summary.stopReason = GUARDRAIL_INTERVENED;
    if (!delta) return "";
    if (this.intervened) delta.delta = { ...delta.delta, stop_reason: REFUSAL };
    return sseFrame("message_delta", delta);
  }

  /** Bedrock's own final counts, when it gives them, are what is charged. */
  private noteMetrics(metrics: Record<string, number | undefined>): void {
    noteUsage(this.summary, {
      input_tokens: metrics.inputTokenCount,
      output_tokens: metrics.outputTokenCount,
      cache_read_input_tokens: metrics.cacheReadInputTokenCount,
      cache_creation_input_tokens: metrics.cacheWriteInputTokenCount,
    });
  }
}
