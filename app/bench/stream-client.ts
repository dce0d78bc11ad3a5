import http from "node:http";
import { replyTokens } from "../local/reply";
import { STREAM_PATH } from "../src/runtime-contract";

/**
 * The load generator's view of one `POST /stream`: when each line arrived, and whether the content was exactly
 * what the upstream sent.
 *
 * Why so little work per chunk: the client shares this 2-core machine with the servers and the stand-in, so while
 * a stream runs it only stamps the time of each newline and keeps the bytes; parsing and checking happen after.
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
  /** `performance.now()` when each line's newline arrived, in order (the last one is the `done` line). */
  lineTimes: number[];
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

export function streamOnce(agent: http.Agent, baseUrl: string, prompt: string): Promise<StreamTiming> {
  const payload = JSON.stringify({ message: prompt });
  return new Promise((resolve) => {
    const timing: StreamTiming = { status: 0, startedAt: performance.now(), lineTimes: [], body: Buffer.alloc(0) };
    const chunks: Buffer[] = [];
    const finish = (error?: Error) => {
      if (error) timing.error ??= error.message;
      timing.body = Buffer.concat(chunks);
      resolve(timing);
    };
    const req = http.request(
      `${baseUrl}${STREAM_PATH}`,
      {
        method: "POST",
        agent,
        timeout: IDLE_TIMEOUT_MS,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        timing.status = res.statusCode ?? 0;
        res.on("data", (chunk: Buffer) => {
          const now = performance.now();
          chunks.push(chunk);
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) timing.lineTimes.push(now);
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
  /** Every delta arrived, byte for byte, in order, followed by a `done` line. */
  exact: boolean;
  /** Time to the first `{"data":...}` line, ms. */
  firstLineMs?: number;
  /** When the first `{"data":...}` line arrived (`performance.now()`). */
  firstLineAt?: number;
  /** Gaps between consecutive `{"data":...}` lines, ms. */
  gapsMs: number[];
  /** When each gap ended (the arrival of its second line). */
  gapEndsAt: number[];
  problem?: string;
}

/** Checks one finished stream against the text the stand-in sent, and derives its timings. */
export function checkStream(timing: StreamTiming, expected: string): StreamCheck {
  const { lineTimes } = timing;
  const lines = timing.body.toString("utf8").split("\n");
  const dataLines = Math.max(0, lines.length - 2); // the `done` line, then "" after the last newline
  const gapEndsAt = lineTimes.slice(1, dataLines);
  const gapsMs = gapEndsAt.map((at, i) => at - lineTimes[i]);
  const firstLineAt = dataLines > 0 ? lineTimes[0] : undefined;
  const timings = { firstLineAt, firstLineMs: firstLineAt === undefined ? undefined : firstLineAt - timing.startedAt, gapsMs, gapEndsAt };
  const fail = (problem: string): StreamCheck => ({ exact: false, ...timings, problem });
  if (timing.error) return fail(`transport: ${timing.error}`);
  if (timing.status !== 200) return fail(`status ${timing.status}`);
  try {
    const values = lines.slice(0, -1).map((line) => JSON.parse(line));
    const last = values.pop();
    if (last?.done !== true) return fail(`last line is not done: ${JSON.stringify(last).slice(0, 200)}`);
    const text = values.map((value) => value.data).join("");
    if (!Buffer.from(text, "utf8").equals(Buffer.from(expected, "utf8"))) return fail("content differs");
  } catch (error) {
    return fail(`unparsable line: ${(error as Error).message}`);
  }
  return { exact: true, ...timings };
}
