import type { Step } from "./scenario";

/** A step that becomes content (not control flow: hang, reset, exception). */
export type ContentStep = Exclude<Step, { hang: true } | { reset: true } | { exception: unknown }>;

export interface ReplyUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/**
 * Turns the reply engine's steps into one operation's events. The engine (play.ts) owns timing, control steps and
 * the connection; a renderer only names and numbers content, so ConverseStream and Anthropic's native events come
 * from the same scenario. Events are opaque to the engine: the output encodes them (frames, or a JSON message).
 */
export interface Renderer<Event> {
  /** `messageStart` / `message_start` (skipped when a scenario sets `messageStart: false`). */
  start(usage: Pick<ReplyUsage, "inputTokens" | "cacheReadInputTokens" | "cacheWriteInputTokens">): Event[];
  content(step: ContentStep): Event[];
  /** Closes the open block and states the stop reason (`messageStop` / `message_delta`). */
  stop(stopReason: string, outputTokens: number): Event[];
  /** What follows the stop and carries the totals (`metadata` / `message_stop` with invocation metrics). */
  end(usage: ReplyUsage, latency: { totalMs: number; firstByteMs: number }): Event[];
}
