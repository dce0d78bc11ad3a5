import { DEFAULT_MODEL_ID, STREAM_PATH } from "../src/runtime-contract";

/**
 * The wire formats the benchmark drives, as a client sees them: where to POST, the request body, how frames are
 * separated, and what a frame means (a text delta, the end of the reply, or neither, e.g. a role or ping event).
 * Parsing happens after a stream has ended, so the load generator's per-chunk work stays the same for every format.
 */

export type Frame = { delta: string } | { done: true } | null;

export interface BenchFormat {
  name: "ndjson" | "openai" | "anthropic" | "responses";
  path: string;
  body(prompt: string): unknown;
  /** Bytes that end a frame: "\n" for JSON lines, "\n\n" for server-sent events. */
  separator: string;
  /** What one frame (without its separator) says; throws on a frame that is not well formed. */
  read(frame: string): Frame;
}

/** The JSON of an SSE event's `data:` line, or the raw value when it is not JSON (`[DONE]`). */
function sseData(frame: string): string | undefined {
  const line = frame.split("\n").find((part) => part.startsWith("data:"));
  return line?.slice(5).trimStart();
}

export const NDJSON: BenchFormat = {
  name: "ndjson",
  path: STREAM_PATH,
  body: (prompt) => ({ message: prompt }),
  separator: "\n",
  read(frame) {
    const value = JSON.parse(frame);
    if (typeof value.data === "string") return { delta: value.data };
    return value.done === true ? { done: true } : null;
  },
};

export const OPENAI: BenchFormat = {
  name: "openai",
  path: "/chat/completions",
  body: (prompt) => ({ model: DEFAULT_MODEL_ID, stream: true, messages: [{ role: "user", content: prompt }] }),
  separator: "\n\n",
  read(frame) {
    const data = sseData(frame);
    if (data === undefined) return null;
    if (data === "[DONE]") return { done: true };
    const content = JSON.parse(data).choices?.[0]?.delta?.content;
    return typeof content === "string" && content !== "" ? { delta: content } : null;
  },
};

export const ANTHROPIC: BenchFormat = {
  name: "anthropic",
  path: "/v1/messages",
  body: (prompt) => ({ model: DEFAULT_MODEL_ID, max_tokens: 1024, stream: true, messages: [{ role: "user", content: prompt }] }),
  separator: "\n\n",
  read(frame) {
    const data = sseData(frame);
    if (data === undefined) return null;
    const event = JSON.parse(data);
    if (event.type === "message_stop") return { done: true };
    return event.type === "content_block_delta" && event.delta?.type === "text_delta" ? { delta: event.delta.text } : null;
  },
};

export const RESPONSES: BenchFormat = {
  name: "responses",
  path: "/responses",
  body: (prompt) => ({ model: DEFAULT_MODEL_ID, stream: true, store: false, input: prompt }),
  separator: "\n\n",
  read(frame) {
    const data = sseData(frame);
    if (data === undefined) return null;
    const event = JSON.parse(data);
    if (event.type === "response.completed") return { done: true };
    return event.type === "response.output_text.delta" ? { delta: event.delta } : null;
  },
};

/** The formats measured against NDJSON, when the build under test serves them. */
export const OTHER_FORMATS: readonly BenchFormat[] = [OPENAI, ANTHROPIC, RESPONSES];
