import http from "node:http";
import { replyTokens } from "../local/reply";
import { type BenchFormat, NDJSON } from "./wire-formats";

/**
 * The load generator's view of one streamed reply (any {@link BenchFormat}): when each frame arrived, and whether the content was exactly
 * what the upstream sent.
 *
 * Why so little work per chunk: the client shares this 2-core machine with the servers and the stand-in, so while
 * a stream runs it only stamps the time of each chunk and keeps the bytes; parsing and checking happen after.
 */

/** Two prompts alternate, so half the streams carry multi-byte UTF-8 (Japanese and an emoji) end to end. */
const PROMPTS = ["Tell me about streaming.", "ストリーミングについて教えて"];

export function promptFor(index: number): string {
  return PROMPTS[index % PROMPTS.length];
}

/** The text the stand-in sends for `prompt` when each reply is `tokens` long: its token list, repeated. */
export function expectedText(prompt: string, tokens: number): string {
  const natural = replyTokens(prompt);
  return Array.from({ length: tokens }, (_, i) => natural[i % natural.length]).join("");
}

export interface StreamTiming {
  status: number;
  /** `performance.now()` just before the request was sent. */
  startedAt: number;
  /** Each chunk as it arrived: the body's length once it was in, and `performance.now()` then. */
  arrivals: { end: number; at: number }[];
  /** The whole response body. */
  body: Buffer;
  /** A transport error, if the stream broke. */
  error?: string;
}

/** An HTTP/1.1 keep-alive agent with a socket per concurrent stream: no request ever waits for a free socket. */
export function loadAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 2048 });
}

/** A stream silent for this long is broken: it ends with an error instead of holding the run. */
const IDLE_TIMEOUT_MS = 30_000;

export function streamOnce(
  agent: http.Agent,
  baseUrl: string,
  prompt: string,
  format: BenchFormat = NDJSON,
  /** Sent besides the body's (e.g. the key-id header API Gateway adds). */
  headers: http.OutgoingHttpHeaders = {},
): Promise<StreamTiming> {
  const payload = JSON.stringify(format.body(prompt));
  return new Promise((resolve) => {
    const timing: StreamTiming = { status: 0, startedAt: performance.now(), arrivals: [], body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    let received = 0;
    const finish = (error?: Error) => {
      if (error) timing.error ??= error.message;
      timing.body = Buffer.concat(chunks);
      resolve(timing);
    };
    const req = http.request(
      `${baseUrl}${format.path}`,
      {
        method: "POST",
        agent,
        timeout: IDLE_TIMEOUT_MS,
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        timing.status = res.statusCode ?? 0;
        res.on("data", (chunk: Buffer) => {
          received += chunk.length;
          timing.arrivals.push({ end: received, at: performance.now() });
          chunks.push(chunk);
        });
        res.once("error", () => undefined); // reported by "close" below, as "cut short"
        res.once("close", () => finish(res.complete ? undefined : new Error("response cut short")));
      },
    );
    req.once("error", finish);
    req.once("timeout", () => req.destroy(new Error(`no byte for ${IDLE_TIMEOUT_MS} ms`)));
    req.end(payload);
  });
}

export interface StreamCheck {
  /** Every delta arrived, byte for byte, in order, followed by the format's end of reply. */
  exact: boolean;
  /** Time to the first text delta's frame, ms. */
  firstLineMs?: number;
  /** When the first text delta's frame arrived (`performance.now()`). */
  firstLineAt?: number;
  /** Gaps between consecutive text delta frames, ms. */
  gapsMs: number[];
  /** When each gap ended (the arrival of its second frame). */
  gapEndsAt: number[];
  /** Text delta frames received. */
  deltas: number;
  problem?: string;
}

/** The body's frames, each with the time its last byte (separator included) arrived. */
function framesOf(timing: StreamTiming, separator: string): { text: string; at: number }[] {
  const { body, arrivals } = timing;
  const frames: { text: string; at: number }[] = [];
  let chunk = 0;
  for (let start = 0, end = body.indexOf(separator, 0, "latin1"); end !== -1; end = body.indexOf(separator, start, "latin1")) {
    const last = end + separator.length;
    while (arrivals[chunk].end < last) chunk += 1;
    frames.push({ text: body.subarray(start, end).toString("utf8"), at: arrivals[chunk].at });
    start = last;
  }
  return frames;
}

/** Checks one finished stream against the text the stand-in sent, and derives its timings. */
export function checkStream(timing: StreamTiming, expected: string, format: BenchFormat = NDJSON): StreamCheck {
  const deltas: { text: string; at: number }[] = [];
  let done = false;
  let problem: string | undefined;
  try {
    for (const frame of framesOf(timing, format.separator)) {
      const meaning = format.read(frame.text);
      if (meaning && "delta" in meaning) deltas.push({ text: meaning.delta, at: frame.at });
      else if (meaning) done = true;
    }
  } catch (error) {
    problem = `unparsable frame: ${(error as Error).message}`;
  }
  const gapEndsAt = deltas.slice(1).map((delta) => delta.at);
  const gapsMs = gapEndsAt.map((at, i) => at - deltas[i].at);
  const firstLineAt = deltas[0]?.at;
  const timings = {
    firstLineAt,
    firstLineMs: firstLineAt === undefined ? undefined : firstLineAt - timing.startedAt,
    gapsMs,
    gapEndsAt,
    deltas: deltas.length,
  };
  const fail = (reason: string): StreamCheck => ({ exact: false, ...timings, problem: reason });
  if (timing.error) return fail(`transport: ${timing.error}`);
  if (timing.status !== 200) return fail(`status ${timing.status}: ${timing.body.toString("utf8").slice(0, 200)}`);
  if (problem) return fail(problem);
  if (!done) return fail("no end of reply");
  if (deltas.map((delta) => delta.text).join("") !== expected) return fail("content differs");
  return { exact: true, ...timings };
}
