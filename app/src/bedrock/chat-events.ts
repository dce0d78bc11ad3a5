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
 * Yields the normalised events of a ConverseStream and records stop reason, usage and latency in `summary`.
 *
 * - A string delta ending in the first half of a surrogate pair (an emoji cut between two deltas) keeps that half
 *   back for the block's next delta, so every frame a client receives is well-formed Unicode on its own.
 * - After `messageStop` the stream only owes `metadata`: if it does not come within {@link METADATA_GRACE_MS}, the
 *   reply is complete anyway and ends without usage rather than waiting out the idle timeout.
 * - Throws {@link UpstreamIncompleteError} when the stream ends without `messageStop`: the reply was cut short.
 */
export async function* chatEvents(
  events: AsyncIterable<ConverseStreamOutput>,
  summary: StreamSummary,
): AsyncGenerator<ChatEvent> {
  const iterator = events[Symbol.asyncIterator]();
  /** Open blocks: index -> the string delta whose trailing high surrogate is held back (if any). */
  const open = new Map<number, Delta | undefined>();
  let stopped = false;
  try {
    for (;;) {
      const next = stopped ? await within(iterator.next(), METADATA_GRACE_MS) : await iterator.next();
      if (next === undefined || next.done) break;
      const event = next.value;
      if (event.contentBlockDelta) {
        const index = event.contentBlockDelta.contentBlockIndex ?? 0;
        const raw = event.contentBlockDelta.delta && toDelta(event.contentBlockDelta.delta);
        if (!raw) continue;
        if (!open.has(index)) {
          open.set(index, undefined);
          yield { type: "blockStart", index, block: kindOf(raw) };
        }
        const text = textOf(raw);
        if (text === undefined) {
          yield { type: "delta", index, delta: raw };
          continue;
        }
        const held = open.get(index);
        const joined = (held ? textOf(held) : "") + text;
        const cut = isHighSurrogate(joined.charCodeAt(joined.length - 1)) ? joined.length - 1 : joined.length;
        open.set(index, cut < joined.length ? withText(raw, joined.slice(cut)) : undefined);
        if (cut > 0) yield { type: "delta", index, delta: withText(raw, joined.slice(0, cut)) };
      } else if (event.contentBlockStart) {
        const index = event.contentBlockStart.contentBlockIndex ?? 0;
        const toolUse = event.contentBlockStart.start?.toolUse;
        if (!toolUse || open.has(index)) continue;
        open.set(index, undefined);
        yield { type: "blockStart", index, block: { type: "tool_use", id: toolUse.toolUseId ?? "", name: toolUse.name ?? "" } };
      } else if (event.contentBlockStop) {
        yield* closeBlock(event.contentBlockStop.contentBlockIndex ?? 0);
      } else if (event.messageStop) {
        stopped = true;
        summary.stopReason = event.messageStop.stopReason;
      } else if (event.metadata) {
        recordMetadata(event.metadata, summary);
        if (stopped) break;
      }
    }
  } finally {
    // Not awaited: after an abort the SDK's iterator may still be stuck on a read that the abort is tearing down.
    iterator.return?.().catch(() => undefined);
  }
  for (const index of [...open.keys()]) yield* closeBlock(index);
  if (!stopped) throw new UpstreamIncompleteError();

  function* closeBlock(index: number): Generator<ChatEvent> {
    if (!open.has(index)) return;
    const heldBack = open.get(index);
    open.delete(index);
    if (heldBack) yield { type: "delta", index, delta: heldBack };
    yield { type: "blockStop", index };
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
