import assert from "node:assert/strict";
import { type Harness, startHarness } from "./helpers/harness";
import { parseLines, postStream, replyText } from "./helpers/http-client";
import { LiveStream } from "./helpers/live-stream";
import { type DribbleProxy, startDribbleProxy } from "./helpers/dribble-proxy";

const MODEL_ID = "test.stand-in-model-v1:0";

describe("POST /stream: streaming JSON lines from ConverseStream", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ MODEL_ID, DEFAULT_MAX_TOKENS: "777" });
  });
  after(() => h.close());

  it("answers 200 NDJSON, one {data} line per delta, then a done line with stop reason and usage", async () => {
    h.fake.setScenario({
      steps: [{ text: "Hello" }, { text: ", " }, { text: "world" }],
      stopReason: "max_tokens",
      usage: { inputTokens: 11, outputTokens: 3 },
    });
    const reply = await postStream(h.url, { message: "Say hello" });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers["content-type"], "application/x-ndjson; charset=utf-8");
    assert.equal(reply.headers["cache-control"], "no-cache");
    assert.equal(reply.headers["content-encoding"], undefined, "never compressed");
    assert.equal(reply.headers["transfer-encoding"], "chunked");
    const lines = parseLines(reply.text);
    assert.deepEqual(lines.slice(0, 3), [{ data: "Hello" }, { data: ", " }, { data: "world" }]);
    const done = lines[3];
    assert.equal(lines.length, 4);
    assert.deepEqual(Object.keys(done), ["done", "stopReason", "usage", "latencyMs", "model"]);
    assert.equal(done.done, true);
    assert.equal(done.stopReason, "max_tokens");
    assert.deepEqual(done.usage, { inputTokens: 11, outputTokens: 3, totalTokens: 14 });
    assert.ok(Number.isFinite(done.latencyMs) && done.latencyMs >= 0);
  });

  it("calls ConverseStream with the server's model and the request's settings", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const before = h.fake.requests.length;
    await postStream(h.url, {
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "reply" },
        { role: "user", content: "second" },
      ],
      system: "You are terse.",
      maxTokens: 50,
      temperature: 0.2,
      topP: 0.9,
      stopSequences: ["END"],
    });
    const [call] = h.fake.requests.slice(before);
    assert.equal(call.modelId, MODEL_ID);
    assert.deepEqual(call.body.messages, [
      { role: "user", content: [{ text: "first" }] },
      { role: "assistant", content: [{ text: "reply" }] },
      { role: "user", content: [{ text: "second" }] },
    ]);
    assert.deepEqual(call.body.system, [{ text: "You are terse." }]);
    assert.deepEqual(call.body.inferenceConfig, { maxTokens: 50, temperature: 0.2, topP: 0.9, stopSequences: ["END"] });
    assert.match(String(call.headers.authorization), /^AWS4-HMAC-SHA256 /, "the real SDK signed the call");
  });

  it("uses the configured default maxTokens and sends the single-message form as one user turn", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const before = h.fake.requests.length;
    await postStream(h.url, { message: "こんにちは" });
    const [call] = h.fake.requests.slice(before);
    assert.equal(call.modelId, MODEL_ID);
    assert.deepEqual(call.body.messages, [{ role: "user", content: [{ text: "こんにちは" }] }]);
    assert.deepEqual(call.body.inferenceConfig, { maxTokens: 777 });
    assert.equal(call.body.system, undefined);
  });

  it("finishes with the done line (usage null) when Bedrock stops but never sends metadata", async function () {
    this.timeout(10_000);
    h.fake.setScenario({ steps: [{ text: "complete" }], afterStop: "silence" });
    const reply = await postStream(h.url, { message: "stop then silence" });
    assert.equal(reply.status, 200);
    const lines = parseLines(reply.text);
    assert.deepEqual(lines[0], { data: "complete" });
    assert.equal(lines.length, 2, "no error line after the done line");
    assert.equal(lines[1].done, true);
    assert.equal(lines[1].stopReason, "end_turn");
    assert.equal(lines[1].usage, null);
    const log = await h.logFor(String(reply.headers["x-request-id"]));
    assert.equal(log.status, 200);
    assert.equal(log.errorCode, null, "not reported as an upstream timeout");
    const upstream = await h.fake.waitForClose(h.fake.requests.at(-1)!);
    assert.equal(upstream.outcome, "client-aborted", "the silent upstream stream is cancelled once the reply is done");
  });

  it("sends the headers as soon as Bedrock accepts, before any delta exists", async () => {
    h.fake.setScenario({ steps: [{ hang: true }] });
    const stream = await LiveStream.open(h.url, { message: "wait" });
    assert.equal(stream.status, 200);
    assert.equal(stream.lines.length, 0);
    const [call] = h.fake.requests.slice(-1);
    assert.equal(call.closedAt, undefined, "the upstream is still open: headers did not wait for it");
    stream.disconnect();
    await h.fake.waitForClose(call);
  });

  it("delivers each line while the upstream is still producing (no buffering)", async () => {
    h.fake.setScenario({ steps: [{ text: "first" }, { text: "second", delayMs: 150 }, { hang: true }] });
    const stream = await LiveStream.open(h.url, { message: "go" });
    const [call] = h.fake.requests.slice(-1);
    const [first] = await stream.waitForLines(1);
    assert.deepEqual(first.value, { data: "first" });
    assert.equal(stream.lines.length, 1, "the second delta has not been produced yet, the first line is already here");
    const [, second] = await stream.waitForLines(2);
    assert.deepEqual(second.value, { data: "second" });
    assert.equal(call.closedAt, undefined, "both lines arrived while the upstream stream was still open");
    stream.disconnect();
    await h.fake.waitForClose(call);
  });

  it("keeps multi-byte UTF-8 intact across deltas, and never sends half a surrogate pair", async () => {
    const text = "こんにちは、世界🙂👍🏽 café Ünïcödé 𝄞";
    const pieces = ["こ", "んにち", "は、世界", "\ud83d", "\ude42", "👍", "🏽 café", " Ünïcödé ", "\ud834", "\udd1e"];
    assert.equal(pieces.join(""), text);
    h.fake.setScenario({ steps: pieces.map((piece) => ({ text: piece })) });
    const reply = await postStream(h.url, { message: "unicode" });
    const lines = parseLines(reply.raw.toString("utf8"));
    assert.equal(replyText(lines), text);
    for (const line of lines.filter((l) => "data" in l)) {
      // A lone surrogate cannot round-trip through UTF-8 (it becomes U+FFFD): only well-formed text survives.
      const data = line.data as string;
      assert.equal(Buffer.from(data, "utf8").toString("utf8"), data, `line ${JSON.stringify(line)} is well-formed Unicode`);
    }
    assert.doesNotMatch(reply.raw.toString("utf8"), /\uFFFD/, "no replacement characters");
  });

  it("relays a slow reader's stream with backpressure: nothing lost, nothing reordered", async function () {
    this.timeout(20_000);
    const deltaCount = 4000;
    const delta = (i: number) => `${String(i).padStart(5, "0")}:${"あいうえお".repeat(270)}\n`; // ~4 KB of UTF-8
    h.fake.setScenario({ steps: Array.from({ length: deltaCount }, (_, i) => ({ text: delta(i) })) });
    const stream = await LiveStream.open(h.url, { message: "a lot" });
    const [call] = h.fake.requests.slice(-1);
    stream.res.pause();
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(call.outcome, undefined, "with the client not reading, the ~16 MB upstream cannot have been drained");
    stream.res.resume();
    const lines = await stream.done(15_000);
    assert.equal(lines.length, deltaCount + 1);
    lines.slice(0, deltaCount).forEach((line, i) => assert.equal(line.data, delta(i), `line ${i}`));
    assert.equal(lines.at(-1).done, true);
  });
});

describe("POST /stream: UTF-8 split inside characters on the wire", () => {
  let h: Harness;
  let proxy: DribbleProxy | undefined;
  before(async () => {
    h = await startHarness({}, {}, async (fakeUrl) => {
      proxy = await startDribbleProxy(Number(new URL(fakeUrl).port), 1, 0);
      return proxy.url;
    });
  });
  after(async () => {
    await h.close();
    await proxy?.close();
  });

  it("reassembles deltas whose bytes reach the SDK one at a time", async function () {
    this.timeout(15_000);
    const pieces = ["日本語の", "テキスト🙂", "とÉmoji👍🏽", "の混在"];
    h.fake.setScenario({ steps: pieces.map((text) => ({ text })) });
    const reply = await postStream(h.url, { message: "bytes" });
    const lines = parseLines(reply.text);
    assert.deepEqual(lines.slice(0, -1), pieces.map((data) => ({ data })));
    assert.equal(lines.at(-1).done, true);
    assert.ok(proxy!.writes > Buffer.byteLength(pieces.join("")), "the upstream bytes really arrived one by one");
  });
});
