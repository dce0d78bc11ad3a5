import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type Chaos, createChaos } from "../local/chaos";
import { loadConfig } from "../src/config";
import { type Harness, startHarness, TEST_ENV } from "./helpers/harness";
import { parseLines, postStream } from "./helpers/http-client";
import { metricLines } from "./helpers/resilience";

const REGIONAL = "us.anthropic.claude-haiku-4-5-20251001-v1:0";
const GLOBAL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const REPLY = { steps: [{ text: "Hi" }], usage: { inputTokens: 5, outputTokens: 1 } };
let prompts = 0;
const prompt = () => `fallback question ${++prompts}`;

/** The regional profile falls back to the global one; the regional one's quota is exhausted. */
const CHAIN_ENV = {
  STAGE_PREFIX: "v1", MODEL_ID: REGIONAL, ALLOWED_MODEL_IDS: GLOBAL, MODEL_FALLBACKS: JSON.stringify({ [REGIONAL]: [GLOBAL] }),
  UPSTREAM_MAX_ATTEMPTS: "2",
};

describe("fallback chains", () => {
  let h: Harness;
  let chaos: Chaos;
  const start = async (env: Record<string, string> = {}, options: Parameters<typeof createChaos>[0] = { throttleEveryAttempt: { [REGIONAL]: 1 } }) => {
    h = await startHarness({ ...CHAIN_ENV, ...env });
    chaos = createChaos(options);
    h.fake.setScenario(chaos.source(REPLY));
  };
  afterEach(() => h.close());
  const modelsCalled = () => h.fake.requests.map((r) => r.modelId);

  it("answers from the next model once the first one's attempts are spent; every format names it in `model`", async () => {
    await start({ CIRCUIT_THROTTLES: "0" });
    const openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
    const chunks = [];
    for await (const chunk of await openai.chat.completions.create({ model: "", messages: [{ role: "user", content: prompt() }], stream: true })) {
      chunks.push(chunk);
    }
    assert.ok(chunks.length > 0 && chunks.every((chunk) => chunk.model === GLOBAL));
    assert.deepEqual(modelsCalled(), [REGIONAL, REGIONAL, GLOBAL]);

    const anthropic = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "local", maxRetries: 0 });
    const message = await anthropic.messages.create({ model: REGIONAL, max_tokens: 20, messages: [{ role: "user", content: prompt() }] });
    assert.equal(message.model, GLOBAL);
    const completion = await openai.chat.completions.create({ model: REGIONAL, messages: [{ role: "user", content: prompt() }] });
    assert.equal(completion.model, GLOBAL);
    const streamed = anthropic.messages.stream({ model: REGIONAL, max_tokens: 20, messages: [{ role: "user", content: prompt() }] });
    assert.equal((await streamed.finalMessage()).model, GLOBAL);
    const response = await openai.responses.create({ model: REGIONAL, input: prompt() });
    assert.equal(response.model, GLOBAL);
    const events = [];
    for await (const event of await openai.responses.create({ model: REGIONAL, input: prompt(), stream: true })) events.push(event);
    const withResponse = events.filter((event) => "response" in event);
    assert.ok(withResponse.length >= 2 && withResponse.every((event) => event.response.model === GLOBAL));

    const ndjson = await postStream(h.url, { message: prompt() });
    const done = parseLines(ndjson.text).at(-1);
    assert.equal(done.model, GLOBAL);
    const log = await h.logFor(String(ndjson.headers["x-request-id"]));
    assert.equal(log.model, GLOBAL);
    assert.equal(log.fallbackFrom, REGIONAL);
    assert.equal(log.attempts, 3);

    const pairs = metricLines(h, "ModelFallbacks").map((m) => [m.FromModel, m.ToModel, m.ModelFallbacks]);
    assert.deepEqual(pairs, Array(7).fill([REGIONAL, GLOBAL, 1]));
    assert.deepEqual(chaos.retriedAfterFirstByte, {});
  });

  it("with STRICT_MODELS, a request that names its model is never moved; one that names none still is", async () => {
    await start({ STRICT_MODELS: "true", CIRCUIT_THROTTLES: "0" });
    const openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
    await assert.rejects(
      openai.chat.completions.create({ model: REGIONAL, messages: [{ role: "user", content: prompt() }] }),
      (err: unknown) => err instanceof OpenAI.RateLimitError,
    );
    assert.deepEqual(modelsCalled(), [REGIONAL, REGIONAL]);
    // An empty `model` names none (the deployment's default).
    const completion = await openai.chat.completions.create({ model: "", messages: [{ role: "user", content: prompt() }] });
    assert.equal(completion.model, GLOBAL);
  });

  it("refuses at start a chain through a model the deployment does not serve", async () => {
    await start();
    const env = { ...TEST_ENV, ...CHAIN_ENV, MODEL_FALLBACKS: JSON.stringify({ [REGIONAL]: ["eu.amazon.nova-lite-v1:0"] }) };
    assert.throws(() => loadConfig(env), /MODEL_FALLBACKS lets us\.anthropic.* fall back to eu\.amazon\.nova-lite-v1:0, which is not served/);
  });
});

describe("a circuit per model", () => {
  let h: Harness;
  afterEach(() => h.close());

  it("opens after N throttles in the window: new requests start on the next model; closes after the cool-off once the model answers", async () => {
    h = await startHarness({ ...CHAIN_ENV, UPSTREAM_MAX_ATTEMPTS: "1", CIRCUIT_THROTTLES: "2", CIRCUIT_COOL_OFF_MS: "200" });
    const throttling = createChaos({ throttleEveryAttempt: { [REGIONAL]: 1 } });
    h.fake.setScenario(throttling.source(REPLY));
    for (let i = 0; i < 2; i++) assert.equal((await postStream(h.url, { message: prompt() })).status, 200);
    assert.deepEqual(h.fake.requests.map((r) => r.modelId), [REGIONAL, GLOBAL, REGIONAL, GLOBAL]);
    assert.deepEqual(metricLines(h, "CircuitOpened").map((m) => m.Model), [REGIONAL]);

    // Open: straight to the next model, although the first one would answer now.
    h.fake.setScenario(REPLY);
    const skipped = await postStream(h.url, { message: prompt() });
    assert.equal(parseLines(skipped.text).at(-1).model, GLOBAL);
    assert.equal(h.fake.requests.at(-1)!.modelId, GLOBAL);
    assert.equal(h.fake.requests.length, 5);
    assert.equal((await h.logFor(String(skipped.headers["x-request-id"]))).fallbackFrom, REGIONAL);

    await new Promise((resolve) => setTimeout(resolve, 250)); // past the cool-off
    const retried = await postStream(h.url, { message: prompt() });
    assert.equal(parseLines(retried.text).at(-1).model, REGIONAL);
    assert.deepEqual(metricLines(h, "CircuitClosed").map((m) => m.Model), [REGIONAL]);
  });

  it("a model that throttles for a window: its circuit keeps callers answered by the next model meanwhile", async () => {
    h = await startHarness({ ...CHAIN_ENV, CIRCUIT_THROTTLES: "3" });
    const window = createChaos({ throttleWindows: [{ model: REGIONAL, fromMs: 0, untilMs: 60_000 }] });
    h.fake.setScenario(window.source(REPLY));
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await postStream(h.url, { message: prompt() }));
    assert.ok(replies.every((reply) => reply.status === 200 && parseLines(reply.text).at(-1).model === GLOBAL));
    // 2 + 1 throttles open the circuit during the second request (its second attempt goes to the next model at
    // once); the three requests after it never call the regional one.
    assert.equal(window.throttled[REGIONAL], 3);
    assert.equal(window.streamed[GLOBAL], 5);
  });
});
