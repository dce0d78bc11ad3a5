import type { ChatEvent } from "./chat-events";

/** One finished content block of a reply, in the order the model wrote it. */
export type ResultBlock =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string; signature?: string }
  | { type: "redacted_reasoning"; data: Uint8Array }
  /** `inputJson` is the model's raw JSON text (formats decide how to present text that does not parse). */
  | { type: "tool_use"; id: string; name: string; inputJson: string };

/**
 * Accumulates normalised events into whole blocks, for the non-streaming form of a format: the same upstream call
 * and the same events as a stream, rendered once at the end.
 */
export class ReplyCollector {
  private readonly blocks = new Map<number, ResultBlock>();

  add(event: ChatEvent): void {
    if (event.type === "blockStart") {
      const block = event.block;
      this.blocks.set(
        event.index,
        block.type === "tool_use"
          ? { type: "tool_use", id: block.id, name: block.name, inputJson: "" }
          : block.type === "redacted_reasoning"
            ? { type: "redacted_reasoning", data: new Uint8Array() }
            : { type: block.type, text: "" },
      );
      return;
    }
    if (event.type !== "delta") return;
    const block = this.blocks.get(event.index);
    const delta = event.delta;
    if (!block) return;
    if (block.type === "tool_use" && delta.type === "tool_input") block.inputJson += delta.json;
    else if (block.type === "text" && delta.type === "text") block.text += delta.text;
    else if (block.type === "reasoning" && delta.type === "reasoning") block.text += delta.text;
    else if (block.type === "reasoning" && delta.type === "signature") block.signature = (block.signature ?? "") + delta.signature;
    else if (block.type === "redacted_reasoning" && delta.type === "redacted") block.data = concat(block.data, delta.data);
  }

  /** The blocks in index order. */
  result(): ResultBlock[] {
    return [...this.blocks.entries()].sort(([a], [b]) => a - b).map(([, block]) => block);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
