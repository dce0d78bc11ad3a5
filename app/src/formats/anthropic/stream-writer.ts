import type { ChatEvent, StreamSummary } from "../../bedrock/chat-events";
import type { ReplyInfo, StreamWriter } from "../wire-format";
import { messageHead, stopReason, stopSequence, usageOf } from "./reply";
import { sseFrame } from "./sse";

const PING = sseFrame("ping", { type: "ping" });

/**
 * Anthropic's streamed event sequence: `message_start` (and a `ping`, as the API sends), then per content block
 * `content_block_start`, its deltas and `content_block_stop`, then `message_delta` (stop reason, final usage) and
 * `message_stop`. Each delta is one frame, written the moment Bedrock sends it.
 *
 * Block indices are the writer's own (0, 1, 2, ... in the order blocks are announced): the SDKs append each
 * announced block to `message.content` and address deltas by index, which must hold whatever Converse numbered.
 */
export class AnthropicStreamWriter implements StreamWriter {
  private readonly indices = new Map<number, number>();
  private started = 0;
  /** Redacted reasoning arrives as bytes in deltas but Anthropic sends it whole in its block start: gathered here. */
  private readonly redacted = new Map<number, Buffer[]>();

  constructor(private readonly reply: ReplyInfo) {}

  open(): string {
    const message = {
      ...messageHead(this.reply),
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Converse reports usage only at the end: until message_delta corrects it, input is the estimate.
      usage: { input_tokens: this.reply.estimatedInputTokens, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
    return sseFrame("message_start", { type: "message_start", message }) + PING;
  }

  event(event: ChatEvent): string {
    if (event.type === "blockStart") {
      const block = event.block;
      if (block.type === "redacted_reasoning") {
        this.redacted.set(event.index, []);
        return "";
      }
      const index = this.startBlock(event.index);
      const contentBlock =
        block.type === "text"
          ? { type: "text", text: "" }
          : block.type === "reasoning"
            ? { type: "thinking", thinking: "", signature: "" }
            : { type: "tool_use", id: block.id, name: block.name, input: {} };
      return sseFrame("content_block_start", { type: "content_block_start", index, content_block: contentBlock });
    }
    const gathered = this.redacted.get(event.index);
    if (event.type === "blockStop" && gathered) {
      this.redacted.delete(event.index);
      const index = this.startBlock(event.index);
      const contentBlock = { type: "redacted_thinking", data: Buffer.concat(gathered).toString("base64") };
      return sseFrame("content_block_start", { type: "content_block_start", index, content_block: contentBlock }) + this.stop(index);
    }
    const index = this.indices.get(event.index);
    if (index === undefined) {
      if (event.type === "delta" && event.delta.type === "redacted") gathered?.push(Buffer.from(event.delta.data));
      return "";
    }
    if (event.type === "blockStop") return this.stop(index);
    const delta = event.delta;
    switch (delta.type) {
      case "text":
        return deltaFrame(index, "text_delta", "text", delta.text);
      case "reasoning":
        return deltaFrame(index, "thinking_delta", "thinking", delta.text);
      case "signature":
        return deltaFrame(index, "signature_delta", "signature", delta.signature);
      case "tool_input":
        return deltaFrame(index, "input_json_delta", "partial_json", delta.json);
      case "redacted":
        return "";
    }
  }

  end(summary: StreamSummary): string {
    const delta = { stop_reason: stopReason(summary), stop_sequence: stopSequence(summary, this.reply.request) };
    return (
      sseFrame("message_delta", { type: "message_delta", delta, usage: usageOf(summary) }) +
      sseFrame("message_stop", { type: "message_stop" })
    );
  }

  ping(): string {
    return PING;
  }

  /** The client's index of a block: the order in which blocks are announced, whatever Converse numbered them. */
  private startBlock(converseIndex: number): number {
    const index = this.started++;
    this.indices.set(converseIndex, index);
    return index;
  }

  private stop(index: number): string {
    return sseFrame("content_block_stop", { type: "content_block_stop", index });
  }
}

/**
 * `content_block_delta` frames are the per-token cost of this format: only the delta's string is serialised, the
 * rest is a fixed prefix (byte for byte what `sseFrame` would write, which the golden test holds it to).
 */
function deltaFrame(index: number, type: string, field: string, value: string): string {
  return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"${type}","${field}":${JSON.stringify(value)}}}\n\n`;
}
