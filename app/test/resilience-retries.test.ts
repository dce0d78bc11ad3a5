import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type Chaos, createChaos } from "../local/chaos";
import type { Step } from "../local/fake-bedrock";
import { type Harness, startHarness } from "./helpers/harness";
import { postStream } from "./helpers/http-client";
import { metricLines } from "./helpers/resilience";

const MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const REPLY = { steps: [{ text: "Hello" }, { text: " there" }], usage: { inputTokens: 5, outputTokens: 2 } };
let prompts = 0;
/** A prompt no other request of the run sends: the stand-in tells attempts of one request by their conversation. */
const prompt = () => `question ${++prompts}`;

describe("retries before the first byte", () => {
  let h: Harness;
  let chaos: Chaos;
  let openai: OpenAI;
  let anthropic: Anthropic;
  const start = async (env: Record<string, string> = {}) => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: MODEL, ...env });
    openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "local", maxRetries: 0 });
  };
  const useChaos = (options: Parameters<typeof createChaos>[0]) => {
    chaos = createChaos(options);
    h.fake.setScenario(chaos.source(REPLY));
  };
  afterEach(() => h.close());

  it("retries a throttled first attempt: the openai SDK gets the whole stream; attempts on the log line and in UpstreamRetries", async () => {
    await start();
    useChaos({ throttleFirstAttempts: 1 });
    const stream = await openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: prompt() }], stream: true })
      .withResponse();
    let text = "";
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text, "Hello there");
    assert.deepEqual(h.fake.requests.map((r) => r.outcome), ["error", "completed"]);
    const log = await h.logFor(stream.response.headers.get("x-request-id")!);
    assert.equal(log.attempts, 2);
    assert.equal(log.fallbackFrom, null);
    const retries = metricLines(h, "UpstreamRetries");
    assert.deepEqual(retries.map((m) => [m.Model, m.UpstreamRetries]), [[MODEL, 1]]);
    assert.deepEqual(chaos.retriedAfterFirstByte, {});
  });

  it("retries a session reset before the first byte: the Anthropic SDK gets the whole message", async () => {
    await start();
    useChaos({ resetFirstAttempts: 1 });
    const message = await anthropic.messages.create({ model: MODEL, max_tokens: 50, messages: [{ role: "user", content: prompt() }] });
    // Claude's own message, relayed from the native path as Bedrock gives it.
    assert.deepEqual(message.content, [{ type: "text", text: "Hello there" }]);
    assert.equal(h.fake.requests.length, 2);
    assert.equal(h.fake.requests[0].outcome, "reset");
  });

  it("gives up after UPSTREAM_MAX_ATTEMPTS: the openai SDK sees the 429 RateLimitError", async () => {
    await start({ UPSTREAM_MAX_ATTEMPTS: "2" });
    useChaos({ throttleEveryAttempt: { "*": 1 } });
    await assert.rejects(
      openai.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: prompt() }], stream: true }),
      (err: unknown) => err instanceof OpenAI.RateLimitError && err.status === 429,
    );
    assert.equal(h.fake.requests.length, 2);
  });

  it("makes one attempt with a time budget of 0, and none more for errors another attempt cannot fix", async () => {
    await start({ UPSTREAM_RETRY_BUDGET_MS: "0" });
    useChaos({ throttleEveryAttempt: { "*": 1 } });
    assert.equal((await postStream(h.url, { message: prompt() })).status, 429);
    assert.equal(h.fake.requests.length, 1);
    await h.close();
    await start();
    h.fake.setScenario({ error: { type: "ValidationException", message: "bad input" } });
    assert.equal((await postStream(h.url, { message: prompt() })).status, 400);
    assert.equal(h.fake.requests.length, 1, "a 400 is never retried");
  });

  it("abandons the call at once when the client leaves: no further attempt", async () => {
    await start({ UPSTREAM_MAX_ATTEMPTS: "5" });
    h.fake.setScenario({ error: { type: "ThrottlingException", delayMs: 60_000 } });
    const controller = new AbortController();
    const pending = openai.chat.completions.create(
      { model: MODEL, messages: [{ role: "user", content: prompt() }], stream: true }, { signal: controller.signal },
    );
    const [first] = await h.fake.waitForRequests(1);
    controller.abort();
    await assert.rejects(pending, (err: unknown) => err instanceof OpenAI.APIUserAbortError);
    await h.fake.waitForClose(first);
    const log = await h.logFor(await waitForRequestId(h));
    assert.equal(log.errorCode, "client_closed");
    assert.equal(log.attempts, 1);
    assert.equal(h.fake.requests.length, 1);
    assert.equal(first.outcome, "client-aborted");
  });

  it("never retries a stream after its first byte: a throttle or a reset mid-stream ends it with the format's error", async () => {
    await start();
    const failures: Step[] = [{ exception: "throttlingException", delayMs: 50 }, { reset: true, delayMs: 50 }];
    for (const failure of failures) {
      const before = h.fake.requests.length;
      chaos = createChaos({});
      h.fake.setScenario(chaos.source({ steps: [{ text: "partial" }, failure] }));
      const stream = anthropic.messages.stream({ model: MODEL, max_tokens: 50, messages: [{ role: "user", content: prompt() }] });
      let text = "";
      stream.on("text", (delta) => (text += delta));
      await assert.rejects(stream.finalMessage());
      assert.equal(text, "partial");
      assert.equal(h.fake.requests.length, before + 1, "one Bedrock call");
      assert.deepEqual(chaos.retriedAfterFirstByte, {});
    }
  });
});

/** The request id of the one request the harness logged (the aborted client never saw its headers). */
function waitForRequestId(h: Harness): Promise<string> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 2000;
    const poll = () => {
      const line = h.logs.find((l) => "status" in l && l.route);
      if (line) return resolve(line.requestId);
      if (Date.now() > deadline) return reject(new Error("no request log line"));
      setTimeout(poll, 5);
    };
    poll();
  });
}
