import assert from "node:assert/strict";
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  type ConverseStreamOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  IN_STREAM_EXCEPTIONS,
  NO_PACING,
  PRE_STREAM_ERROR_STATUS,
  PRE_STREAM_ERRORS,
  startFakeBedrock,
  type FakeBedrock,
} from "../local/fake-bedrock";
import { defaultReply, replyTokens } from "../local/reply";
import { decodeFrame } from "../local/wire";

const MODEL_ID = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

function sdkClient(fake: FakeBedrock, extra: Partial<ConstructorParameters<typeof BedrockRuntimeClient>[0]> = {}) {
  return new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint: fake.url,
    credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" },
    maxAttempts: 1,
    ...extra,
  });
}

interface Conversation {
  events: ConverseStreamOutput[];
  texts: string[];
  error?: any;
  /** Where the SDK threw: from `send()` (before the stream) or from the `for await` loop. */
  thrownFrom?: "send" | "loop";
}

/** Runs one ConverseStream call through the real SDK and records everything it surfaced. */
async function converse(client: BedrockRuntimeClient, text: string, abortSignal?: AbortSignal): Promise<Conversation> {
  const result: Conversation = { events: [], texts: [] };
  const command = new ConverseStreamCommand({
    modelId: MODEL_ID,
    messages: [{ role: "user", content: [{ text }] }],
    system: [{ text: "Be brief." }],
    inferenceConfig: { maxTokens: 100, temperature: 0.5 },
  });
  let output;
  try {
    output = await client.send(command, { abortSignal });
  } catch (error) {
    return { ...result, error, thrownFrom: "send" };
  }
  try {
    for await (const event of output.stream!) {
      result.events.push(event);
      if (event.contentBlockDelta?.delta?.text !== undefined) result.texts.push(event.contentBlockDelta.delta.text);
    }
  } catch (error) {
    return { ...result, error, thrownFrom: "loop" };
  }
  return result;
}

const pascal = (name: string) => name[0].toUpperCase() + name.slice(1);

describe("fake Bedrock (local ConverseStream stand-in) with the real SDK", () => {
  let fake: FakeBedrock;
  let client: BedrockRuntimeClient;

  beforeEach(async () => {
    fake = await startFakeBedrock({ pacing: NO_PACING });
    client = sdkClient(fake);
  });
  afterEach(async () => {
    client.destroy();
    await fake.close();
  });

  it("streams scripted deltas in order and intact, including multi-byte UTF-8, over HTTP/2", async () => {
    const pieces = ["Hello", ", wor", "ld. ", "こんにちは", "🙂", "é", "\n\"quoted\""];
    fake.setScenario({ steps: pieces.map((text, i) => ({ text, delayMs: i % 2 })) });
    const result = await converse(client, "hi");
    assert.equal(result.error, undefined);
    assert.deepEqual(result.texts, pieces);
    assert.deepEqual(result.events[0], { messageStart: { role: "assistant" } });

    const [request] = await fake.waitForRequests(1);
    assert.equal(request.protocol, "h2");
    assert.equal(request.modelId, MODEL_ID);
    assert.deepEqual(request.body.messages, [{ role: "user", content: [{ text: "hi" }] }]);
    assert.deepEqual(request.body.system, [{ text: "Be brief." }]);
    assert.deepEqual(request.body.inferenceConfig, { maxTokens: 100, temperature: 0.5 });
    assert.match(String(request.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\//);
    const closed = await fake.waitForClose(request);
    assert.equal(closed.outcome, "completed");
    assert.ok(closed.closedAt! >= closed.receivedAt);
  });

  it("surfaces stopReason, usage and latency from messageStop and metadata", async () => {
    fake.setScenario({ steps: [{ text: "a" }], stopReason: "max_tokens", usage: { inputTokens: 12, outputTokens: 3 } });
    const { events } = await converse(client, "hi");
    assert.deepEqual(events.find((e) => e.messageStop), { messageStop: { stopReason: "max_tokens" } });
    assert.deepEqual(events.find((e) => e.contentBlockStop), { contentBlockStop: { contentBlockIndex: 0 } });
    const metadata = events.find((e) => e.metadata)!.metadata!;
    assert.deepEqual(metadata.usage, { inputTokens: 12, outputTokens: 3, totalTokens: 15 });
    assert.equal(typeof metadata.metrics?.latencyMs, "number");
  });

  it("answers with a plausible default reply, in Japanese for a Japanese prompt, usage counting its deltas", async () => {
    for (const [prompt, expectJapanese] of [["Hello there", false], ["こんにちは", true]] as const) {
      const { texts, events } = await converse(client, prompt);
      const reply = texts.join("");
      assert.ok(texts.length > 20, `expected many token-sized deltas, got ${texts.length}`);
      assert.ok(reply.split(/[.。!！]/).length > 3, "expected several sentences");
      assert.equal(/[\u3040-\u30ff]/.test(reply), expectJapanese);
      assert.equal(events.find((e) => e.metadata)!.metadata!.usage!.outputTokens, texts.length);
    }
  });

  for (const exception of IN_STREAM_EXCEPTIONS) {
    it(`throws ${exception} from the for-await loop as ${pascal(exception)}`, async () => {
      fake.setScenario({ steps: [{ text: "partial" }, { exception, message: `scripted ${exception}` }] });
      const result = await converse(client, "hi");
      assert.equal(result.thrownFrom, "loop");
      assert.deepEqual(result.texts, ["partial"]);
      assert.equal(result.error.name, pascal(exception));
      assert.equal(result.error.message, `scripted ${exception}`);
      const [request] = await fake.waitForRequests(1);
      assert.equal((await fake.waitForClose(request)).outcome, "error");
    });
  }

  it("an exception as the very first frame is thrown from send(), not from the loop", async () => {
    fake.setScenario({ messageStart: false, steps: [{ exception: "validationException", message: "bad input" }] });
    const result = await converse(client, "hi");
    assert.equal(result.thrownFrom, "send");
    assert.equal(result.error.name, "ValidationException");
  });

  for (const type of PRE_STREAM_ERRORS) {
    it(`a pre-stream ${type} surfaces from send() with HTTP ${PRE_STREAM_ERROR_STATUS[type]}`, async () => {
      fake.setScenario({ error: { type, message: `scripted ${type}` } });
      const result = await converse(client, "hi");
      assert.equal(result.thrownFrom, "send");
      assert.equal(result.error.name, type);
      assert.equal(result.error.message, `scripted ${type}`);
      assert.equal(result.error.$metadata.httpStatusCode, PRE_STREAM_ERROR_STATUS[type]);
      assert.equal(fake.requests.length, 1);
    });
  }

  it("the SDK's default retries repeat a pre-stream throttle: each attempt is a recorded request", async () => {
    fake.setScenario({ error: { type: "ThrottlingException" } });
    const retrying = sdkClient(fake, { maxAttempts: 3 });
    const result = await converse(retrying, "hi");
    retrying.destroy();
    assert.equal(result.error.name, "ThrottlingException");
    assert.equal(fake.requests.length, 3);
  });

  it("hang + abortSignal: the client's cancel closes the upstream stream (client-aborted) within 100 ms", async () => {
    fake.setScenario({ steps: [{ text: "first" }, { hang: true }] });
    const abort = new AbortController();
    const conversation = converse(client, "hi", abort.signal);
    const [request] = await fake.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fake.openStreams(), 1);
    const abortedAt = Date.now();
    abort.abort();
    const closed = await fake.waitForClose(request, 1000);
    await conversation;
    assert.equal(closed.outcome, "client-aborted");
    assert.ok(closed.closedAt! - abortedAt < 100, `upstream closed ${closed.closedAt! - abortedAt} ms after abort`);
    assert.equal(fake.openStreams(), 0);
  });

  it("a stream reset (RST_STREAM) surfaces as an error from the loop", async () => {
    fake.setScenario({ steps: [{ text: "a" }, { reset: true, scope: "stream", delayMs: 20 }] });
    const result = await converse(client, "hi");
    assert.equal(result.thrownFrom, "loop");
    assert.deepEqual(result.texts, ["a"]);
    assert.equal(fake.requests[0].outcome, "reset");
  });

  it("a connection reset never looks like a finished message (HTTP/2 ends the loop silently, HTTP/1.1 throws)", async () => {
    fake.setScenario({ steps: [{ text: "a" }, { reset: true, delayMs: 20 }] });
    const h1 = sdkClient(fake, { requestHandler: new NodeHttpHandler() });
    for (const [c, protocol] of [[client, "h2"], [h1, "http/1.1"]] as const) {
      const result = await converse(c, "hi");
      assert.deepEqual(result.texts, ["a"]);
      assert.equal(result.events.some((e) => e.messageStop), false);
      assert.equal(result.thrownFrom, protocol === "h2" ? undefined : "loop");
    }
    h1.destroy();
    assert.deepEqual(fake.requests.map((r) => [r.protocol, r.outcome]), [["h2", "reset"], ["http/1.1", "reset"]]);
  });

  it("also serves an SDK configured with the HTTP/1.1 handler", async () => {
    fake.setScenario({ steps: [{ text: "über" }, { text: "日本" }] });
    const h1 = sdkClient(fake, { requestHandler: new NodeHttpHandler() });
    const result = await converse(h1, "hi");
    h1.destroy();
    assert.deepEqual(result.texts, ["über", "日本"]);
    assert.equal(fake.requests[0].protocol, "http/1.1");
    assert.equal((await fake.waitForClose(fake.requests[0])).outcome, "completed");
  });

  it("200 concurrent streams each get their own reply, byte-exact", async () => {
    const replyFor = (prompt: string) => Array.from({ length: 10 }, (_, i) => `${prompt}:${i}:ü🙂 `);
    fake.setScenario((request) => ({
      steps: replyFor(request.body.messages[0].content[0].text).map((text) => ({ text, delayMs: 5 })),
    }));
    const prompts = Array.from({ length: 200 }, (_, i) => `prompt-${i}`);
    const results = await Promise.all(prompts.map((prompt) => converse(client, prompt)));
    results.forEach((result, i) => assert.deepEqual(result.texts, replyFor(prompts[i]), `stream ${i}`));
    await Promise.all(fake.requests.map((request) => fake.waitForClose(request)));
    assert.equal(fake.requests.length, 200);
    assert.ok(fake.requests.every((request) => request.outcome === "completed"));
  });
});

/** Splits a body of concatenated event-stream frames (each starts with its 4-byte big-endian total length). */
function frames(bytes: Buffer): ReturnType<typeof decodeFrame>[] {
  const out = [];
  for (let offset = 0; offset < bytes.length; offset += bytes.readUInt32BE(offset)) {
    out.push(decodeFrame(bytes.subarray(offset, offset + bytes.readUInt32BE(offset))));
  }
  return out;
}

describe("fake Bedrock on the wire (plain HTTP, no SDK)", () => {
  let fake: FakeBedrock;
  beforeEach(async () => (fake = await startFakeBedrock({ pacing: NO_PACING })));
  afterEach(() => fake.close());

  const post = (path: string, body: string) => fetch(`${fake.url}${path}`, { method: "POST", body });
  const converseStreamPath = `/model/${encodeURIComponent(MODEL_ID)}/converse-stream`;
  const body = JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] });

  it("answers 200 application/vnd.amazon.eventstream with event frames in Bedrock's order", async () => {
    fake.setScenario({ steps: [{ text: "a" }, { text: "b" }, { exception: "throttlingException", message: "m" }] });
    const response = await post(converseStreamPath, body);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/vnd.amazon.eventstream");
    assert.match(response.headers.get("x-amzn-requestid") ?? "", /^[0-9a-f-]{36}$/);
    const decoded = frames(Buffer.from(await response.arrayBuffer()));
    assert.deepEqual(
      decoded.map((f) => [f.headers[":message-type"], f.headers[":event-type"] ?? f.headers[":exception-type"]]),
      [
        ["event", "messageStart"],
        ["event", "contentBlockDelta"],
        ["event", "contentBlockDelta"],
        ["exception", "throttlingException"],
      ],
    );
    assert.ok(decoded.every((f) => f.headers[":content-type"] === "application/json"));
    assert.deepEqual((decoded[1].body as any).delta, { text: "a" });
    assert.deepEqual(decoded[3].body, { message: "m" });
  });

  it("ends a full reply with contentBlockStop, messageStop and metadata", async () => {
    fake.setScenario({ steps: [{ text: "a" }] });
    const decoded = frames(Buffer.from(await (await post(converseStreamPath, body)).arrayBuffer()));
    assert.deepEqual(decoded.slice(-3).map((f) => f.headers[":event-type"]), ["contentBlockStop", "messageStop", "metadata"]);
  });

  it("sends pre-stream errors in restJson1 form: status, x-amzn-errortype and a message body", async () => {
    fake.setScenario({ error: { type: "ModelErrorException", message: "model broke" } });
    const response = await post(converseStreamPath, body);
    assert.equal(response.status, 424);
    assert.match(response.headers.get("x-amzn-errortype") ?? "", /^ModelErrorException(:|$)/);
    assert.deepEqual(await response.json(), { message: "model broke" });
  });

  it("rejects unknown routes (404) and a body that is not JSON (400 ValidationException)", async () => {
    const unknown = await post("/model/x/invoke-something", body);
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get("x-amzn-errortype") ?? "", /^UnknownOperationException/);
    const malformed = await post(converseStreamPath, "{not json");
    assert.equal(malformed.status, 400);
    assert.match(malformed.headers.get("x-amzn-errortype") ?? "", /^ValidationException/);
    assert.equal(fake.requests[0].body, "{not json");
    assert.equal(fake.requests[0].outcome, "error");
  });

  it("close() ends hung streams at once (outcome reset) and waitFor* time out with a clear message", async () => {
    fake.setScenario({ steps: [{ hang: true }] });
    const response = await post(converseStreamPath, body);
    const reading = response.arrayBuffer().catch((error: Error) => error);
    await assert.rejects(fake.waitForRequests(2, 50), /timed out after 50 ms waiting for 2 requests/);
    assert.equal(fake.openStreams(), 1);
    await fake.close();
    assert.ok((await reading) instanceof Error);
    assert.equal(fake.requests[0].outcome, "reset");
  });
});

describe("default reply (reply.ts)", () => {
  it("paces exactly as asked and repeats the text to reach a token count", () => {
    const tokens = defaultReply("hi", { firstTokenMs: 300, interTokenMs: 50, tokenCount: 200 });
    assert.equal(tokens.length, 200);
    assert.equal(tokens[0].delayMs, 300);
    assert.ok(tokens.slice(1).every((token) => token.delayMs === 50));
  });

  it("keeps jittered gaps within interTokenMs ± jitterMs", () => {
    const gaps = defaultReply("hi", { firstTokenMs: 0, interTokenMs: 30, jitterMs: 10 }).slice(1);
    assert.ok(gaps.every((token) => token.delayMs >= 20 && token.delayMs <= 40));
    assert.ok(new Set(gaps.map((token) => token.delayMs)).size > 1, "expected varied gaps");
  });

  it("never cuts a surrogate pair: each Japanese token is well-formed on its own", () => {
    const tokens = replyTokens("日本語で");
    assert.ok(tokens.some((token) => /\p{Extended_Pictographic}/u.test(token)), "reply should include an emoji");
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    assert.ok(tokens.every((token) => !loneSurrogate.test(token)));
    assert.ok(tokens.join("").startsWith("こんにちは"));
  });
});
