import type { ChatEvent, StreamSummary } from "../../bedrock/chat-events";
import type { ReplyInfo, StreamWriter } from "../wire-format";
import { completionId, finishReason, openAiUsage } from "./reply";

/** One server-sent event carrying `json` (already serialised). */
export const sseEvent = (json: string) => `data: ${json}\n\n`;
export const DONE_EVENT = "data: [DONE]\n\n";

/** What a stream ends with besides `[DONE]`: the usage chunk (`include_usage`), with the estimated cost when asked. */
export interface ChunkExtras {
  usage: boolean;
  /** The playground's and terminal client's header (route-paths.ts ESTIMATED_COST_HEADER). */
  cost: boolean;
}

/**
 * The `chat.completion.chunk` events of one streamed reply: a first chunk with `delta.role`, one chunk per Bedrock
 * delta (`content`, `reasoning_content`, or a `tool_calls` fragment: id and name when the call starts, argument
 * pieces as they arrive), a chunk with `finish_reason`, the usage chunk when asked for, then `[DONE]`.
 *
 * Why the string templates: every token costs one chunk, so the chunk's fixed part (id, created, model) is
 * serialised once per reply and each delta only stringifies its own text.
 */
export class ChunkWriter implements StreamWriter {
  /** The chunk's fixed fields, an unclosed JSON object. */
  private readonly fixed: string;
  private readonly head: string;
  /** Bedrock block index -> OpenAI tool call index (calls are numbered 0, 1, ... in the order they start). */
  private readonly toolIndex = new Map<number, number>();
  /** Tool calls that have not sent any argument text yet (they get "{}" when they end). */
  private readonly withoutArguments = new Set<number>();

  constructor(
    private readonly reply: ReplyInfo,
    private readonly extras: ChunkExtras,
  ) {
    const id = JSON.stringify(completionId(reply));
    this.fixed = `{"id":${id},"object":"chat.completion.chunk","created":${reply.created},"model":${JSON.stringify(reply.model)}`;
    this.head = `data: ${this.fixed},"choices":[{"index":0,"delta":`;
  }

  private chunk(deltaJson: string, finish = "null"): string {
    return `${this.head}${deltaJson},"finish_reason":${finish}}]}\n\n`;
  }

  private toolCall(index: number, fields: string): string {
    return this.chunk(`{"tool_calls":[{"index":${index},${fields}}]}`);
  }

  open(): string {
    return this.chunk('{"role":"assistant","content":""}');
  }

  event(event: ChatEvent): string {
    if (event.type === "delta") {
      const delta = event.delta;
      if (delta.type === "text") return this.chunk(`{"content":${JSON.stringify(delta.text)}}`);
      if (delta.type === "reasoning") return this.chunk(`{"reasoning_content":${JSON.stringify(delta.text)}}`);
      const index = this.toolIndex.get(event.index);
      if (delta.type !== "tool_input" || index === undefined || delta.json === "") return "";
      this.withoutArguments.delete(index);
      return this.toolCall(index, `"function":{"arguments":${JSON.stringify(delta.json)}}`);
    }
    if (event.type === "blockStart" && event.block.type === "tool_use") {
      const index = this.toolIndex.size;
      this.toolIndex.set(event.index, index);
      this.withoutArguments.add(index);
      const { id, name } = event.block;
      return this.toolCall(index, `"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(name)},"arguments":""}`);
    }
    if (event.type === "blockStop") {
      const index = this.toolIndex.get(event.index);
      // A call without parameters streams no input: say "{}" so clients parse its arguments as an empty object.
      if (index !== undefined && this.withoutArguments.delete(index)) return this.toolCall(index, '"function":{"arguments":"{}"}');
    }
    return "";
  }

  end(summary: StreamSummary): string {
    let text = this.chunk("{}", JSON.stringify(finishReason(summary.stopReason)));
    if (this.extras.usage && summary.usage) {
      const cost = this.extras.cost ? this.reply.estimatedCost?.(summary.usage) : undefined;
      const usage = { ...openAiUsage(summary.usage), ...(cost === undefined ? {} : { estimated_cost_micro_usd: cost }) };
      text += sseEvent(`${this.fixed},"choices":[],"usage":${JSON.stringify(usage)}}`);
    }
    return text + DONE_EVENT;
  }

  /** An SSE comment: every SSE parser skips it, idle proxies see bytes. */
  ping(): string {
    return ": ping\n\n";
  }
}
