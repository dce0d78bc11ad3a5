import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { chunkFrame, eventFrame } from "../local/wire";
import { type ChatEvent, chatEvents, type StreamSummary } from "../src/bedrock/chat-events";
import { BatchingEventStreamMarshaller } from "../src/bedrock/event-stream-decoder";
import { EventRelay } from "../src/formats/anthropic/native-relay";
import { ndjsonFormat } from "../src/formats/ndjson/format";
import type { ReplyInfo } from "../src/formats/wire-format";
import type { AppState } from "../src/http/request-record";
import { median } from "./stats";
import { runBench } from "./processes";

/**
 * The per-token work of each path on its own, in this process, without sockets or other processes: Bedrock's bytes
 * for `tokens` text deltas (from the stand-in's encoder, padding and all), decoded by the service's decoder and
 * turned into the client's frames. Claude's native path: `chunk` frames relayed by `EventRelay`; NDJSON: Converse's
 * `contentBlockDelta` frames through `chatEvents` and the NDJSON writer. Rounds alternate the two; the figure is the
 * median CPU per token. What the socket writes and the HTTP/2 reads cost is not here (anthropic-cpu.ts has it all):
 * this isolates the part the two paths do differently, which the full run's noise on a shared machine hides.
 *
 *   npx tsx app/bench/relay-cpu.ts [--tokens 100000] [--rounds 7]
 */

const WORDS = [" Hello", " world", ",", " the", " gateway", " streams", " tokens", "."];
const UTF8 = { utf8Encoder: toUtf8, utf8Decoder: fromUtf8 };
const notBuilt = () => Promise.reject(new Error("every event of this bench takes the fast path"));

/** The bytes in HTTP/2's default 16 KiB DATA frames: the per-read cost is spread thin, the per-message cost is what shows. */
function reads(frames: Uint8Array[]): Buffer[] {
  const bytes = Buffer.concat(frames);
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 16_384) out.push(bytes.subarray(at, at + 16_384));
  return out;
}

function batches<T>(body: Buffer[]): AsyncIterable<T[]> {
  return new BatchingEventStreamMarshaller(UTF8).deserialize(Readable.from(body, { objectMode: false }), notBuilt) as AsyncIterable<unknown> as AsyncIterable<T[]>;
}

async function native(frames: Buffer[]): Promise<number> {
  const record = { deltas: 0 } as AppState["record"];
  const relay = new EventRelay("model", {} as StreamSummary, record, false);
  const decoder = new TextDecoder();
  let bytes = 0;
  for await (const batch of batches<{ chunk?: { bytes?: Uint8Array } }>(frames)) {
    let out = "";
    for (const event of batch) if (event.chunk?.bytes) out += relay.frame(decoder.decode(event.chunk.bytes));
    bytes += out.length;
  }
  return bytes;
}

async function converse(frames: Buffer[]): Promise<number> {
  const summary = {} as StreamSummary;
  const writer = ndjsonFormat.streamWriter({ startedAt: performance.now(), model: "m" } as ReplyInfo);
  let bytes = 0;
  for await (const batch of chatEvents(batches(frames), summary) as AsyncIterable<ChatEvent[]>) {
    let out = "";
    for (const event of batch) out += writer.event(event);
    bytes += out.length;
  }
  return bytes;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { tokens: { type: "string", default: "100000" }, rounds: { type: "string", default: "7" } } });
  const tokens = Number(values.tokens);
  const texts = Array.from({ length: tokens }, (_, i) => WORDS[i % WORDS.length]);
  const event = (text: string) => ({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } });
  const nativeBody = reads(texts.map((text) => chunkFrame(JSON.stringify(event(text)))));
  const converseBody = reads([
    eventFrame("messageStart", { role: "assistant" }),
    ...texts.map((text) => eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text } })),
    eventFrame("messageStop", { stopReason: "end_turn" }),
    eventFrame("metadata", { usage: { inputTokens: 1, outputTokens: tokens, totalTokens: tokens + 1 }, metrics: { latencyMs: 1 } }),
  ]);
  const cost = { native: [] as number[], ndjson: [] as number[] };
  const measure = async (run: () => Promise<number>) => {
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    return ((used.user + used.system) * 1000) / tokens;
  };
  // Warm-up: both paths compiled and optimised before the first measured round.
  await native(nativeBody);
  await converse(converseBody);
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? (["native", "ndjson"] as const) : (["ndjson", "native"] as const);
    for (const path of order) cost[path].push(await measure(() => (path === "native" ? native(nativeBody) : converse(converseBody))));
  }
  const [n, c] = [median(cost.native), median(cost.ndjson)];
  console.log(`native relay: ${Math.round(n)} ns CPU per token; Converse -> NDJSON: ${Math.round(c)} ns; ratio ${(n / c).toFixed(2)}x (${tokens} tokens, median of ${values.rounds} rounds)`);
}

runBench(main);
