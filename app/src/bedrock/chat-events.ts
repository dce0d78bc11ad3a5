import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { UpstreamIncompleteError } from "../http/errors";

/**
 * Converse stream events, normalised once for every wire format.
 *
 * Why normalise: Converse announces only tool-use blocks with `contentBlockStart`; text and reasoning blocks begin
 * with their first delta. Formats that frame blocks (Anthropic) or number tool calls (OpenAI) would each have to
 * infer block starts; here every block gets exactly one `blockStart` before its first delta and one `blockStop`.
 */

/** Token counts as Bedrock reports them (`metadata.usage`); the cache counts only when prompt caching was used. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** What the stream's closing events said; filled in while the events are consumed. */
export interface StreamSummary {
  stopReason?: string;
  usage?: TokenUsage;
  /** Bedrock's own latency metric (`metadata.metrics.latencyMs`). */
  latencyMs?: number;
}

export type BlockKind =
  | { type: "text" }
  | { type: "reasoning" }
  /** Reasoning the provider encrypted; Converse streams it as `redactedContent` bytes. */
  | { type: "redacted_reasoning" }
  | { type: "tool_use"; id: string; name: string };

export type Delta =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "signature"; signature: string }
  | { type: "redacted"; data: Uint8Array }
  /** A piece of the tool call's input JSON text, as the model writes it. */
  | { type: "tool_input"; json: string };

export type ChatEvent =
  | { type: "blockStart"; index: number; block: BlockKind }
  | { type: "delta"; index: number; delta: Delta }
  | { type: "blockStop"; index: number };

/** After `messageStop`, how long to wait for `metadata` before finishing without usage. */
export const METADATA_GRACE_MS = 1000;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

function toDelta(delta: NonNullable<NonNullable<ConverseStreamOutput["contentBlockDelta"]>["delta"]>): Delta | undefined {
  if (delta.text !== undefined) return { type: "text", text: delta.text };
  if (delta.toolUse) return { type: "tool_input", json: delta.toolUse.input ?? "" };
  const reasoning = delta.reasoningContent;
  if (reasoning?.text !== undefined) return { type: "reasoning", text: reasoning.text };
  if (reasoning?.signature !== undefined) return { type: "signature", signature: reasoning.signature };
  if (reasoning?.redactedContent !== undefined) return { type: "redacted", data: reasoning.redactedContent };
  return undefined;
}

function kindOf(delta: Delta): BlockKind {
  if (delta.type === "text") return { type: "text" };
  if (delta.type === "redacted") return { type: "redacted_reasoning" };
  return { type: "reasoning" };
}

/** The string a delta carries, where a UTF-16 surrogate pair may be split across two deltas. */
function textOf(delta: Delta): string | undefined {
  if (delta.type === "text" || delta.type === "reasoning") return delta.text;
  if (delta.type === "tool_input") return delta.json;
  return undefined;
}

function withText(delta: Delta, text: string): Delta {
  if (delta.type === "tool_input") return { type: "tool_input", json: text };
  return { ...delta, text } as Delta;
}

/** Waits for `step` at most `ms`; undefined when the time ran out first. */
function within<T>(step: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  step.catch(() => undefined);
  return Promise.race([step, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The normalised events of a ConverseStream, one array per upstream batch (see `converseBatches`), with stop
 * reason, usage and latency recorded in `summary`. A batch is normalised synchronously, so a read that carried
 * several tokens costs one step here too: a plain iterator, not an async generator, for the same reason.
 *
 * - A string delta ending in the first half of a surrogate pair (an emoji cut between two deltas) keeps that half
 *   back for the block's next delta, so every frame a client receives is well-formed Unicode on its own.
 * - After `messageStop` the stream only owes `metadata`: if it does not come within {@link METADATA_GRACE_MS}, the
 *   reply is complete anyway and ends without usage rather than waiting out the idle timeout.
 * - Throws {@link UpstreamIncompleteError} when the stream ends without `messageStop`: the reply was cut short.
 */
export function chatEvents(batches: AsyncIterable<ConverseStreamOutput[]>, summary: StreamSummary): AsyncIterableIterator<ChatEvent[]> {
  const iterator = batches[Symbol.asyncIterator]();
  const normaliser = new Normaliser(summary);
  let over = false;
  const release = () => {
    over = true;
    // Not awaited: after an abort the upstream iterator may still be stuck on a read that the abort is tearing down.
    iterator.return?.().catch(() => undefined);
  };
  const events: AsyncIterableIterator<ChatEvent[]> = {
    [Symbol.asyncIterator]: () => events,
    async next() {
      try {
        while (!over) {
          const next = normaliser.stopped ? await within(iterator.next(), METADATA_GRACE_MS) : await iterator.next();
          if (next === undefined || next.done) break;
          const out = normaliser.add(next.value);
          if (normaliser.complete) release();
          if (out.length > 0) return { done: false, value: out };
        }
      } catch (err) {
        release();
        throw err;
      }
      if (!over) release();
      // The blocks still open are closed before an incomplete stream's error, as for any other ending.
      const last = normaliser.finish();
      if (last.length > 0) return { done: false, value: last };
      if (!normaliser.stopped) throw new UpstreamIncompleteError();
      return { done: true, value: undefined };
    },
    return: (value?: unknown) => {
      if (!over) release();
      return Promise.resolve({ done: true, value: value as ChatEvent[] });
    },
  };
  return events;
}

/** The rules above, applied to one batch at a time. */
class Normaliser {
  /** Open blocks: index -> the string delta whose trailing high surrogate is held back (if any). */
  private readonly open = new Map<number, Delta | undefined>();
  stopped = false;
  /** `metadata` arrived after `messageStop`: nothing more to read. */
  complete = false;

  constructor(private readonly summary: StreamSummary) {}

  add(batch: readonly ConverseStreamOutput[]): ChatEvent[] {
    const out: ChatEvent[] = [];
    for (const event of batch) {
      if (this.complete) break;
      if (event.contentBlockDelta) this.delta(event.contentBlockDelta, out);
      else if (event.contentBlockStart) {
        const index = event.contentBlockStart.contentBlockIndex ?? 0;
        const toolUse = event.contentBlockStart.start?.toolUse;
        if (!toolUse || this.open.has(index)) continue;
        this.open.set(index, undefined);
        out.push({ type: "blockStart", index, block: { type: "tool_use", id: toolUse.toolUseId ?? "", name: toolUse.name ?? "" } });
      } else if (event.contentBlockStop) this.closeBlock(event.contentBlockStop.contentBlockIndex ?? 0, out);
      else if (event.messageStop) {
        this.stopped = true;
        this.summary.stopReason = event.messageStop.stopReason;
      } else if (event.metadata) {
        recordMetadata(event.metadata, this.summary);
        if (this.stopped) this.complete = true;
      }
    }
    return out;
  }

  /** Closes the blocks still open. */
  finish(): ChatEvent[] {
    const out: ChatEvent[] = [];
    for (const index of [...this.open.keys()]) this.closeBlock(index, out);
    return out;
  }

  private delta(event: NonNullable<ConverseStreamOutput["contentBlockDelta"]>, out: ChatEvent[]): void {
    const index = event.contentBlockIndex ?? 0;
    const raw = event.delta && toDelta(event.delta);
    if (!raw) return;
    if (!this.open.has(index)) {
      this.open.set(index, undefined);
      out.push({ type: "blockStart", index, block: kindOf(raw) });
    }
    const text = textOf(raw);
    if (text === undefined) {
      out.push({ type: "delta", index, delta: raw });
      return;
    }
    const held = this.open.get(index);
    const joined = (held ? textOf(held) : "") + text;
    const cut = isHighSurrogate(joined.charCodeAt(joined.length - 1)) ? joined.length - 1 : joined.length;
    this.open.set(index, cut < joined.length ? withText(raw, joined.slice(cut)) : undefined);
    if (cut > 0) out.push({ type: "delta", index, delta: withText(raw, joined.slice(0, cut)) });
  }

  private closeBlock(index: number, out: ChatEvent[]): void {
    if (!this.open.has(index)) return;
    const heldBack = this.open.get(index);
    this.open.delete(index);
    if (heldBack) out.push({ type: "delta", index, delta: heldBack });
    out.push({ type: "blockStop", index });
  }
}

function recordMetadata(metadata: NonNullable<ConverseStreamOutput["metadata"]>, summary: StreamSummary): void {
  const usage = metadata.usage;
  const inputTokens = usage?.inputTokens ?? 0;
  const outputTokens = usage?.outputTokens ?? 0;
  summary.usage = {
    inputTokens,
    outputTokens,
    totalTokens: usage?.totalTokens ?? inputTokens + outputTokens,
    ...(usage?.cacheReadInputTokens ? { cacheReadInputTokens: usage.cacheReadInputTokens } : {}),
    ...(usage?.cacheWriteInputTokens ? { cacheWriteInputTokens: usage.cacheWriteInputTokens } : {}),
  };
  summary.latencyMs = metadata.metrics?.latencyMs;
}
