import assert from "node:assert/strict";
import { PassThrough, type Readable } from "node:stream";
import { crc32 } from "node:zlib";
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ThrottlingException,
} from "@aws-sdk/client-bedrock-runtime";
import { EventStreamCodec, eventStreamSerdeProvider, Int64, type Message } from "@smithy/core/event-streams";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { type FakeBedrock, NO_PACING, type Scenario, startFakeBedrock } from "../local/fake-bedrock";
import { chunkFrame, eventFrame, exceptionFrame } from "../local/wire";
import { BatchingEventStreamMarshaller, batchingEventStreamSerdeProvider, converseBatches, eventBatches } from "../src/bedrock/event-stream-decoder";
import { TEST_ENV } from "./helpers/harness";

const MODEL_ID = "test.stand-in-model-v1:0";
type Deserializer = (input: Record<string, Message>) => Promise<unknown>;
const UTF8 = { utf8Encoder: toUtf8, utf8Decoder: fromUtf8 };

function client(endpoint: string, batching: boolean, capture?: (deserializer: Deserializer) => void): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: TEST_ENV.AWS_REGION,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: TEST_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_ENV.AWS_SECRET_ACCESS_KEY },
    ...(batching && {
      eventStreamSerdeProvider: (options: typeof UTF8) => {
        const marshaller = new BatchingEventStreamMarshaller(options);
        const deserialize = marshaller.deserialize.bind(marshaller);
        marshaller.deserialize = (body, deserializer) => (capture?.(deserializer as Deserializer), deserialize(body, deserializer));
        return marshaller;
      },
    }),
  });
}

/** A body that hands over `chunks` one event-loop turn apart, so each read sees what arrived so far. */
function bodyOf(chunks: Uint8Array[]): PassThrough {
  const body = new PassThrough();
  void (async () => {
    for (const chunk of chunks) {
      if (body.destroyed) return;
      body.write(chunk);
      await new Promise(setImmediate);
    }
    body.end();
  })();
  return body;
}

const concat = (frames: Uint8Array[]) => new Uint8Array(Buffer.concat(frames));

/** Every event the SDK's own decoder yields for these bytes (or the error it throws). */
async function sdkEvents(bytes: Uint8Array, deserializer: Deserializer): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const event of eventStreamSerdeProvider(UTF8).deserialize(bodyOf([bytes]), deserializer)) out.push(event);
  return out;
}

/** Our batches for `chunks`, flattened; `batches` counts the arrays. */
async function ourEvents(chunks: Uint8Array[], deserializer: Deserializer, body: Readable = bodyOf(chunks)) {
  const events: unknown[] = [];
  let batches = 0;
  for await (const batch of new BatchingEventStreamMarshaller(UTF8).deserialize(body, deserializer) as AsyncIterable<unknown[]>) {
    assert.ok(Array.isArray(batch) && batch.length > 0, "each step is a non-empty array of events");
    batches += 1;
    events.push(...batch);
  }
  return { events, batches };
}

const REDACTED = Buffer.from([0, 1, 2, 250, 255, 128, 7]);
const FRAMES = [
  eventFrame("messageStart", { role: "assistant" }),
  eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "Think 🤔" } } }),
  eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { signature: "sig" } } }),
  eventFrame("contentBlockDelta", { contentBlockIndex: 1, delta: { reasoningContent: { redactedContent: REDACTED.toString("base64") } } }),
  eventFrame("brandNewEvent", { anything: 1 }),
  eventFrame("contentBlockDelta", { contentBlockIndex: 2, delta: { text: "Hello, wörld" } }),
  eventFrame("contentBlockStart", { contentBlockIndex: 3, start: { toolUse: { toolUseId: "t1", name: "get_weather" } } }),
  eventFrame("contentBlockDelta", { contentBlockIndex: 3, delta: { toolUse: { input: '{"city":"Paris"}' } } }),
  eventFrame("contentBlockDelta", { contentBlockIndex: 3, delta: { citation: { title: "not on the fast path" } } }),
  eventFrame("contentBlockStop", { contentBlockIndex: 3 }),
  eventFrame("messageStop", { stopReason: "tool_use", additionalModelResponseFields: { a: [1, { b: null }] } }),
  eventFrame("metadata", { usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12, cacheReadInputTokens: 3 }, metrics: { latencyMs: 42 } }),
];

describe("batching event-stream decoder", () => {
  let fake: FakeBedrock;
  /** The SDK's own per-message deserializer, captured from a real ConverseStream call through the real client. */
  let deserializer: Deserializer;
  before(async () => {
    fake = await startFakeBedrock({ pacing: NO_PACING });
    fake.setScenario({ steps: [{ text: "hi" }] });
    const capturing = client(fake.url, true, (captured) => (deserializer = captured));
    const response = await capturing.send(new ConverseStreamCommand({ modelId: MODEL_ID, messages: [{ role: "user", content: [{ text: "x" }] }] }));
    for await (const batch of converseBatches(capturing, response)) assert.ok(Array.isArray(batch));
    capturing.destroy();
    assert.equal(typeof deserializer, "function");
  });
  after(() => fake.close());

  it("yields exactly the SDK's events at every split point, byte by byte, and with every message in one read", async () => {
    const bytes = concat(FRAMES);
    const expected = await sdkEvents(bytes, deserializer);
    assert.equal(expected.length, FRAMES.length - 1, "the unknown event type is skipped by the SDK");
    assert.deepEqual((expected[3] as any).contentBlockDelta.delta.reasoningContent.redactedContent, new Uint8Array(REDACTED));
    const whole = await ourEvents([bytes], deserializer);
    assert.deepEqual(whole.events, expected);
    assert.equal(whole.batches, 1, "every message of one read comes as one batch");
    assert.deepEqual((await ourEvents([...bytes].map((byte) => Uint8Array.of(byte)), deserializer)).events, expected);
    for (let split = 1; split < bytes.length; split += 1) {
      const { events } = await ourEvents([bytes.subarray(0, split), bytes.subarray(split)], deserializer);
      assert.deepEqual(events, expected, `split at byte ${split}`);
    }
  });

  it("converts redactedContent to the original bytes as a Uint8Array", async () => {
    const { events } = await ourEvents([FRAMES[3]], deserializer);
    const bytes = (events[0] as any).contentBlockDelta.delta.reasoningContent.redactedContent;
    assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
    assert.deepEqual(Buffer.from(bytes), REDACTED);
  });

  it("skips headers of every other type by their length rules", async () => {
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const bytes = codec.encode({
      headers: {
        flag: { type: "boolean", value: true },
        off: { type: "boolean", value: false },
        byte: { type: "byte", value: -3 },
        short: { type: "short", value: 300 },
        integer: { type: "integer", value: 70000 },
        long: { type: "long", value: Int64.fromNumber(2 ** 40) },
        binary: { type: "binary", value: Uint8Array.of(7, 0, 7) },
        timestamp: { type: "timestamp", value: new Date(0) },
        uuid: { type: "uuid", value: "123e4567-e89b-12d3-a456-426614174000" },
        ":message-type": { type: "string", value: "event" },
        ":event-type": { type: "string", value: "contentBlockStop" },
      },
      body: fromUtf8(JSON.stringify({ contentBlockIndex: 4, p: "abc" })),
    });
    assert.deepEqual((await ourEvents([bytes], deserializer)).events, [{ contentBlockStop: { contentBlockIndex: 4 } }]);
  });

  const failures: Record<string, (frame: Uint8Array) => Uint8Array> = {
    "a bad prelude CRC": (frame) => (frame[9] ^= 0xff, frame),
    "a bad message CRC": (frame) => (frame[frame.length - 1] ^= 0xff, frame),
    "a stream truncated inside a message": (frame) => frame.subarray(0, frame.length - 3),
    "a stream truncated inside the length": (frame) => frame.subarray(0, 2),
  };
  for (const [what, spoil] of Object.entries(failures)) {
    it(`${what}: the events before it, then an error`, async () => {
      const good = eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "before" } });
      const bad = spoil(eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "after" } }));
      const seen: unknown[] = [];
      const decoder = new BatchingEventStreamMarshaller(UTF8).deserialize(bodyOf([concat([good, bad])]), deserializer);
      await assert.rejects(async () => {
        for await (const batch of decoder as AsyncIterable<unknown[]>) seen.push(...batch);
      }, /checksum|Truncated/);
      assert.deepEqual(seen, [{ contentBlockDelta: { contentBlockIndex: 0, delta: { text: "before" } } }]);
    });
  }

  it("an exception message is thrown as the SDK's modeled exception, after the events before it", async () => {
    const seen: unknown[] = [];
    const bytes = concat([FRAMES[5], exceptionFrame("throttlingException", "slow down")]);
    const err = await ourEvents([bytes], deserializer).catch((error: unknown) => error);
    assert.ok(err instanceof ThrottlingException, String(err));
    assert.equal(err.message, "slow down");
    const decoder = new BatchingEventStreamMarshaller(UTF8).deserialize(bodyOf([bytes]), deserializer);
    await assert.rejects(async () => {
      for await (const batch of decoder as AsyncIterable<unknown[]>) seen.push(...batch);
    }, ThrottlingException);
    assert.equal(seen.length, 1);
  });

  it("a destroyed body ends a waiting iteration with an error; return() destroys the body", async () => {
    const body = new PassThrough();
    const iterator = new BatchingEventStreamMarshaller(UTF8).deserialize(body, deserializer)[Symbol.asyncIterator]();
    const waiting = iterator.next();
    body.destroy();
    await assert.rejects(waiting, /Premature close/);
    const other = new PassThrough();
    const second = new BatchingEventStreamMarshaller(UTF8).deserialize(other, deserializer)[Symbol.asyncIterator]();
    other.write(FRAMES[0]);
    assert.deepEqual((await second.next()).value, [{ messageStart: { role: "assistant" } }]);
    assert.deepEqual(await second.return?.(), { done: true, value: undefined });
    assert.equal(other.destroyed, true);
  });

  describe("the stand-in's replies decode to the SDK default client's events", () => {
    const scenarios: Record<string, Scenario> = {
      text: { steps: [{ text: "Hello" }, { text: ", world 👋" }], usage: { inputTokens: 3, outputTokens: 4 } },
      "tool use": { steps: [{ text: "Calling." }, { toolUse: { id: "tooluse_1", name: "get_weather" } }, { toolInput: '{"city":' }, { toolInput: '"Paris"}' }], stopReason: "tool_use" },
      "reasoning, signature and redacted": {
        steps: [{ reasoning: "Let me think" }, { signature: "sig-123" }, { redacted: REDACTED.toString("base64") }, { text: "Done." }],
      },
      "cache usage": { steps: [{ text: "cached" }], usage: { inputTokens: 50, outputTokens: 1, cacheReadInputTokens: 40, cacheWriteInputTokens: 3 } },
    };
    for (const [name, scenario] of Object.entries(scenarios)) {
      it(name, async () => {
        fake.setScenario(scenario);
        const sequences: unknown[][] = [];
        for (const batching of [false, true]) {
          const bedrock = client(fake.url, batching);
          try {
            const response = await bedrock.send(new ConverseStreamCommand({ modelId: MODEL_ID, messages: [{ role: "user", content: [{ text: "x" }] }] }));
            const events: ConverseStreamOutput[] = [];
            for await (const batch of converseBatches(bedrock, response)) events.push(...batch);
            // The stand-in measures its latency per call: the one member the two calls may rightly differ in.
            for (const event of events) if (event.metadata?.metrics) event.metadata.metrics.latencyMs = -1;
            sequences.push(events);
          } finally {
            bedrock.destroy();
          }
        }
        assert.ok(sequences[0].length >= 4, JSON.stringify(sequences[0]));
        assert.deepEqual(sequences[1], sequences[0]);
      });
    }
  });

  describe("large messages, limits, and failures nobody is left waiting for", () => {
    it("reassembles a message spread over many reads of a real HTTP/2 stream with one copy, not one per read", async () => {
      const text = "x".repeat(8 << 20);
      fake.setScenario({ steps: [{ text }] });
      const bedrock = client(fake.url, true);
      // Counted, not timed: re-joining everything held at each read copies n^2 / (2 x read size) bytes (gigabytes here).
      const concat = Buffer.concat;
      let copied = 0;
      Buffer.concat = ((list: readonly Uint8Array[], length?: number) => {
        const joined = concat(list, length);
        copied += joined.length;
        return joined;
      }) as typeof Buffer.concat;
      let received = "";
      try {
        const response = await bedrock.send(new ConverseStreamCommand({ modelId: MODEL_ID, messages: [{ role: "user", content: [{ text: "x" }] }] }));
        for await (const batch of converseBatches(bedrock, response)) {
          for (const event of batch) received += event.contentBlockDelta?.delta?.text ?? "";
        }
      } finally {
        Buffer.concat = concat;
        bedrock.destroy();
      }
      assert.equal(received, text);
      assert.ok(copied <= 2 * text.length, `${copied} bytes copied to reassemble a ${text.length}-byte message`);
    });

    it("a message declaring more than the event-stream maximum (16 MiB) fails at its prelude, before its bytes are buffered", async () => {
      const prelude = Buffer.alloc(12);
      prelude.writeUInt32BE(64 << 20, 0);
      prelude.writeUInt32BE(0, 4);
      prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
      const body = new PassThrough();
      body.end(concat([FRAMES[0], prelude, new Uint8Array(100)]));
      const iterator = new BatchingEventStreamMarshaller(UTF8).deserialize(body, deserializer)[Symbol.asyncIterator]();
      assert.deepEqual((await iterator.next()).value, [{ messageStart: { role: "assistant" } }]);
      await assert.rejects(iterator.next(), /exceeds the event-stream maximum/);
    });

    /** Runs `body` and returns the promise rejections nobody handled meanwhile. */
    async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
      const unhandled: unknown[] = [];
      const listeners = process.listeners("unhandledRejection");
      process.removeAllListeners("unhandledRejection");
      process.on("unhandledRejection", (reason) => unhandled.push(reason));
      try {
        await body();
        for (let turn = 0; turn < 5; turn += 1) await new Promise(setImmediate);
      } finally {
        process.removeAllListeners("unhandledRejection");
        for (const listener of listeners) process.on("unhandledRejection", listener);
      }
      return unhandled;
    }

    it("an exception that fails to deserialize, behind events of the same read, is not an unhandled rejection when the reader leaves", async () => {
      const codec = new EventStreamCodec(toUtf8, fromUtf8);
      const exception = codec.encode({
        headers: { ":message-type": { type: "string", value: "exception" }, ":exception-type": { type: "string", value: "throttlingException" } },
        body: fromUtf8("{not json"),
      });
      const unhandled = await unhandledDuring(async () => {
        const iterator = new BatchingEventStreamMarshaller(UTF8).deserialize(bodyOf([concat([FRAMES[0], exception])]), deserializer)[Symbol.asyncIterator]();
        assert.deepEqual((await iterator.next()).value, [{ messageStart: { role: "assistant" } }]);
        await iterator.return?.();
      });
      assert.deepEqual(unhandled, []);
      const thrown = await ourEvents([concat([FRAMES[0], exception])], deserializer).catch((err: unknown) => err);
      assert.equal((thrown as Error).name, "SyntaxError", "a reader that asks gets the SDK's error, as before");
    });

    it("when two events of one read fail to deserialize, the first error ends the stream and the second is not left unhandled", async () => {
      // A member the fast path does not know, ahead of the bad base64: the SDK's deserializer builds these, and rejects.
      const bad = (index: number) => eventFrame("contentBlockDelta", { extra: 1, contentBlockIndex: index, delta: { reasoningContent: { redactedContent: "!!!!" } } });
      let thrown: unknown;
      const unhandled = await unhandledDuring(async () => {
        thrown = await ourEvents([concat([FRAMES[0], bad(0), bad(1)])], deserializer).catch((err: unknown) => err);
      });
      assert.match(String(thrown), /base64/);
      assert.deepEqual(unhandled, []);
    });
  });

  describe("InvokeModelWithResponseStream's chunk frames (Claude's native path)", () => {
    /** The SDK's deserializer of InvokeModelWithResponseStream, captured from a real native call through the real client. */
    let native: Deserializer;
    before(async () => {
      fake.setScenario({ steps: [{ text: "hi" }] });
      const capturing = client(fake.url, true, (captured) => (native = captured));
      const body = new TextEncoder().encode(JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 10, messages: [{ role: "user", content: "x" }] }));
      const response = await capturing.send(new InvokeModelWithResponseStreamCommand({ modelId: "global.anthropic.claude-haiku-4-5-20251001-v1:0", body }));
      for await (const batch of eventBatches(capturing, response.body)) assert.ok(Array.isArray(batch));
      capturing.destroy();
      assert.equal(typeof native, "function");
    });

    const EVENTS = [
      { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude", content: [], usage: { input_tokens: 3, output_tokens: 1 } } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hello, wörld 👋" } },
      { type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 3, outputTokenCount: 2 } },
    ];
    const CHUNKS = EVENTS.map((event) => chunkFrame(JSON.stringify(event)));
    /** The SDK's deserializer, counting the messages it is asked to build. */
    const counting = () => {
      const counter = { calls: 0, deserializer: (input: Record<string, Message>) => ((counter.calls += 1), native(input)) };
      return counter;
    };
    const decoded = (events: unknown[]) => events.map((event: any) => JSON.parse(Buffer.from(event.chunk.bytes).toString("utf8")));

    it("yields exactly the SDK's events at every split point, without the SDK's deserializer", async () => {
      const bytes = concat(CHUNKS);
      const expected = await sdkEvents(bytes, native);
      assert.deepEqual(decoded(expected), EVENTS);
      const counter = counting();
      const whole = await ourEvents([bytes], counter.deserializer);
      assert.deepEqual(whole.events, expected);
      assert.equal(whole.batches, 1);
      for (const event of whole.events as any[]) assert.equal(Object.getPrototypeOf(event.chunk.bytes), Uint8Array.prototype);
      for (let split = 1; split < bytes.length; split += 1) {
        const { events } = await ourEvents([bytes.subarray(0, split), bytes.subarray(split)], counter.deserializer);
        assert.deepEqual(events, expected, `split at byte ${split}`);
      }
      assert.equal(counter.calls, 0, "chunk frames are built here, not by the SDK's per-message deserializer");
    });

    it("a chunk with a member PayloadPart does not name goes to the SDK's deserializer", async () => {
      const odd = eventFrame("chunk", { bytes: Buffer.from("{}").toString("base64"), extra: 1 });
      const counter = counting();
      const { events } = await ourEvents([odd], counter.deserializer);
      assert.deepEqual(events, await sdkEvents(odd, native));
      assert.equal(counter.calls, 1);
    });

    it("payloads of every other spelling get exactly the SDK's event or error (only Bedrock's own takes the shortcut)", async () => {
      const raw = (payload: string) =>
        new EventStreamCodec(toUtf8, fromUtf8).encode({
          headers: { ":message-type": { type: "string", value: "event" }, ":event-type": { type: "string", value: "chunk" } },
          body: fromUtf8(payload),
        });
      const b64 = Buffer.from('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"??>>"}}').toString("base64");
      assert.match(b64, /\//, "the sample's base64 holds a slash");
      const payloads = {
        "no padding member": `{"bytes":"${b64}"}`,
        "a padding member": `{"bytes":"${b64}","p":"abcXYZ019"}`,
        "an escaped slash": `{"bytes":"${b64.replace(/\//g, "\\/")}","p":"ab"}`,
        "members in another order": `{"p":"ab","bytes":"${b64}"}`,
        "spaces": `{ "bytes" : "${b64}" }`,
        "an empty value": `{"bytes":"","p":"a"}`,
        "a character outside base64": `{"bytes":"${b64.slice(0, -4)}*AAA"}`,
        "base64url": `{"bytes":"${b64.slice(0, -4)}-AAA"}`,
        "bad padding": `{"bytes":"${b64.slice(0, -1)}"}`,
        "padding of odd characters": `{"bytes":"${b64}","p":"a-b"}`,
      };
      for (const [what, payload] of Object.entries(payloads)) {
        const frame = raw(payload);
        const settle = (events: Promise<unknown>) => events.then((value) => ({ value }), (error: Error) => ({ error: error.message }));
        const expected = await settle(sdkEvents(frame, native));
        const actual = await settle(ourEvents([frame], native).then(({ events }) => events));
        assert.deepEqual(actual, expected, what);
      }
    });

    it("a bad message CRC: the chunks before it, then the SDK's checksum error", async () => {
      const bad = CHUNKS[1].slice();
      bad[bad.length - 1] ^= 0xff;
      const seen: unknown[] = [];
      const decoder = new BatchingEventStreamMarshaller(UTF8).deserialize(bodyOf([concat([CHUNKS[0], bad, CHUNKS[2]])]), native);
      await assert.rejects(async () => {
        for await (const batch of decoder as AsyncIterable<unknown[]>) seen.push(...batch);
      }, /checksum/);
      assert.deepEqual(decoded(seen), [EVENTS[0]]);
    });

    it("an exception mid-stream is thrown as the SDK's modeled exception, after the chunks before it", async () => {
      const bytes = concat([CHUNKS[0], CHUNKS[1], exceptionFrame("modelStreamErrorException", "model broke"), CHUNKS[2]]);
      const seen: unknown[] = [];
      const decoder = new BatchingEventStreamMarshaller(UTF8).deserialize(bodyOf([bytes.subarray(0, 50), bytes.subarray(50)]), native);
      const err = await (async () => {
        for await (const batch of decoder as AsyncIterable<unknown[]>) seen.push(...batch);
      })().catch((error: unknown) => error);
      assert.ok(err instanceof ModelStreamErrorException, String(err));
      assert.equal(err.message, "model broke");
      assert.deepEqual(decoded(seen), EVENTS.slice(0, 2));
    });
  });

  it("the service's client option is this marshaller", () => {
    const bedrock = new BedrockRuntimeClient({ region: TEST_ENV.AWS_REGION, eventStreamSerdeProvider: batchingEventStreamSerdeProvider });
    assert.ok(bedrock.config.eventStreamMarshaller instanceof BatchingEventStreamMarshaller);
    bedrock.destroy();
  });
});
