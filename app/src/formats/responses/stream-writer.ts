import type { BlockKind, ChatEvent, StreamSummary } from "../../bedrock/chat-events";
import type { ApiError } from "../../http/errors";
import type { ReplyInfo, StreamWriter } from "../wire-format";
import {
  customInput, ending, type Item, ITEM_PREFIX, itemId, messageItem, outputText, reasoningItem, responseJson, summaryText, targetOf, toolCallItem, usageOf,
} from "./reply";
import type { ResponsesContext } from "./request";
import type { ToolTarget } from "./tools";

/** One server-sent event: OpenAI names each event and repeats the name as `type`, then the sequence number. */
const head = (type: string) => `event: ${type}\ndata: {"type":"${type}","sequence_number":`;

/** One output item while it streams (a Bedrock content block). */
interface OpenItem {
  kind: BlockKind["type"];
  id: string;
  /** The `item_id` and `output_index` fields every event of the item repeats. */
  where: string;
  /** Text, reasoning text or tool input JSON so far. */
  text: string;
  signature?: string;
  data?: Uint8Array;
  target?: ToolTarget;
  callId?: string;
  /** The event that carries this item's deltas, up to its sequence number ("" when they are not streamed). */
  deltaHead: string;
  /** What follows the sequence number in each delta event, up to the delta's text. */
  deltaFields: string;
}

/**
 * The Responses stream of one reply: `response.created`, `response.in_progress`; per content block an output item
 * (added, its part or summary part, deltas, done events, `output_item.done`); then `response.completed` (or
 * `response.incomplete`), or `response.failed` when the reply fails after the stream began. Every event carries
 * its `sequence_number`. Per token, only the delta's text is stringified: each item's fixed fields are built once.
 */
export class ResponsesStreamWriter implements StreamWriter {
  private sequence = 0;
  private readonly items = new Map<number, OpenItem>();
  /** Finished items, serialised, for the final `response` object. */
  private readonly done: string[] = [];
  private reasoningCharacters = 0;
  private toolCalls = 0;
  /** Bedrock blocks left out (a second tool call under `parallel_tool_calls: false`). */
  private readonly skipped = new Set<number>();

  constructor(
    private readonly reply: ReplyInfo,
    private readonly context: ResponsesContext,
  ) {}

  private frame(type: string, fields: string): string {
    return `${head(type)}${this.sequence++},${fields}}\n\n`;
  }

  private response(type: string, state: Parameters<typeof responseJson>[2]): string {
    return this.frame(type, `"response":${responseJson(this.reply, this.context, state, this.done.join(","))}`);
  }

  open(): string {
    return this.response("response.created", { status: "in_progress" }) + this.response("response.in_progress", { status: "in_progress" });
  }

  event(event: ChatEvent): string {
    if (event.type === "blockStart") return this.start(event.index, event.block);
    if (this.skipped.has(event.index)) return "";
    const item = this.items.get(event.index);
    if (!item) return "";
    if (event.type === "blockStop") return this.finish(event.index, item);
    const delta = event.delta;
    if (delta.type === "signature") item.signature = (item.signature ?? "") + delta.signature;
    else if (delta.type === "redacted") item.data = delta.data;
    else {
      const text = delta.type === "tool_input" ? delta.json : delta.text;
      if (delta.type === "reasoning") this.reasoningCharacters += text.length;
      item.text += text;
      if (item.deltaHead && text !== "") return `${item.deltaHead}${this.sequence++},${item.deltaFields}${JSON.stringify(text)}}\n\n`;
    }
    return "";
  }

  private start(index: number, block: BlockKind): string {
    if (block.type === "tool_use" && this.context.singleToolCall && this.toolCalls++ > 0) {
      this.skipped.add(index);
      return "";
    }
    // Bedrock streams one block at a time, so the items before this one are all done.
    const outputIndex = this.done.length;
    const target = block.type === "tool_use" ? targetOf(this.context, block.name) : undefined;
    const id = itemId(target ? ITEM_PREFIX[target.kind] : ITEM_PREFIX[block.type === "text" ? "text" : "reasoning"], this.reply, outputIndex);
    const where = `"item_id":${JSON.stringify(id)},"output_index":${outputIndex}`;
    const item: OpenItem = { kind: block.type, id, where, text: "", target, deltaHead: "", deltaFields: "" };
    this.items.set(index, item);
    let added: unknown;
    let part: [string, string] | undefined;
    if (block.type === "text") {
      added = messageItem(id, "", "in_progress");
      part = ["response.content_part.added", `${where},"content_index":0,"part":${JSON.stringify(outputText(""))}`];
      this.streamDeltas(item, "response.output_text.delta", `${where},"content_index":0,"logprobs":[],"delta":`);
    } else if (target) {
      item.callId = (block as { id: string }).id;
      added = toolCallItem(id, item.callId, target, "", "in_progress");
      if (target.kind === "function") this.streamDeltas(item, "response.function_call_arguments.delta", `${where},"delta":`);
    } else {
      added = reasoningItem(id, undefined, this.context);
      if (this.context.summary && block.type === "reasoning") {
        part = ["response.reasoning_summary_part.added", `${where},"summary_index":0,"part":${JSON.stringify(summaryText(""))}`];
        this.streamDeltas(item, "response.reasoning_summary_text.delta", `${where},"summary_index":0,"delta":`);
      }
    }
    const frames = this.frame("response.output_item.added", `"output_index":${outputIndex},"item":${JSON.stringify(added)}`);
    return part ? frames + this.frame(...part) : frames;
  }

  /** The item as it stands: `completed` when its block ended, `incomplete` when the reply failed during it. */
  private itemOf(item: OpenItem, status: "completed" | "incomplete"): Item {
    if (item.kind === "text") return messageItem(item.id, item.text, status);
    if (item.target) return toolCallItem(item.id, item.callId!, item.target, item.text || "{}", status);
    const block = item.kind === "redacted_reasoning" ? (item.data ? { data: item.data } : undefined) : { text: item.text, signature: item.signature };
    return reasoningItem(item.id, block, this.context);
  }

  private streamDeltas(item: OpenItem, type: string, fields: string): void {
    item.deltaHead = head(type);
    item.deltaFields = fields;
  }

  private finish(index: number, item: OpenItem): string {
    this.items.delete(index);
    const { where, text } = item;
    let frames = "";
    if (item.kind === "text") {
      frames += this.frame("response.output_text.done", `${where},"content_index":0,"logprobs":[],"text":${JSON.stringify(text)}`);
      frames += this.frame("response.content_part.done", `${where},"content_index":0,"part":${JSON.stringify(outputText(text))}`);
    } else if (item.target?.kind === "function") {
      // A call without parameters streams no input: say "{}" so clients parse its arguments as an empty object.
      if (text === "") frames += this.frame("response.function_call_arguments.delta", `${where},"delta":"{}"`);
      frames += this.frame("response.function_call_arguments.done", `${where},"name":${JSON.stringify(item.target.name)},"arguments":${JSON.stringify(text || "{}")}`);
    } else if (item.target?.kind === "custom") {
      // The free-form text is only known once the JSON around it is complete: one delta with all of it.
      const input = JSON.stringify(customInput(text));
      frames += this.frame("response.custom_tool_call_input.delta", `${where},"delta":${input}`);
      frames += this.frame("response.custom_tool_call_input.done", `${where},"input":${input}`);
    } else if (item.deltaHead) {
      frames += this.frame("response.reasoning_summary_text.done", `${where},"summary_index":0,"text":${JSON.stringify(text)}`);
      frames += this.frame("response.reasoning_summary_part.done", `${where},"summary_index":0,"part":${JSON.stringify(summaryText(text))}`);
    }
    const doneItem = this.itemOf(item, "completed");
    const json = JSON.stringify(doneItem);
    this.done.push(json);
    return frames + this.frame("response.output_item.done", `"output_index":${this.done.length - 1},"item":${json}`);
  }

  end(summary: StreamSummary): string {
    const end = ending(summary);
    const usage = usageOf(summary, this.reasoningCharacters);
    return this.response(end.status === "completed" ? "response.completed" : "response.incomplete", { ...end, usage });
  }

  /** After the stream began, a failure is the `response.failed` event, numbered in this stream's sequence. */
  errorFrame(error: ApiError): string {
    for (const item of this.items.values()) this.done.push(JSON.stringify(this.itemOf(item, "incomplete")));
    return this.response("response.failed", { status: "failed", error });
  }

  /** An SSE comment: every SSE parser skips it, idle proxies see bytes. */
  ping(): string {
    return ": ping\n\n";
  }
}
