import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { postStream } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

/**
 * A key over its token budget is refused in the format of the route it called, by the format's real client.
 * alice may use 100 tokens a day; each reply below costs 60.
 */
describe("token budgets in every wire format", () => {
  let h: UsageHarness;
  beforeEach(async () => {
    h = await startUsageHarness();
    h.fake.setScenario({ steps: [{ text: "ok" }], usage: { inputTokens: 50, outputTokens: 10 } });
  });
  afterEach(() => h.close());

  const overBudget = async () => {
    for (let i = 0; i < 2; i++) await postStream(h.url, { message: "hi" }, { headers: h.as("key-id-alice") });
    await h.charged();
  };

  it("NDJSON /stream: 429 with the native error body", async () => {
    await overBudget();
    const reply = await postStream(h.url, { message: "hi" }, { headers: h.as("key-id-alice") });
    assert.equal(reply.status, 429);
    assert.equal(reply.json().error.code, "token_budget_exceeded");
    assert.match(String(reply.headers["retry-after"]), /^\d+$/);
  });

  for (const stream of [true, false]) {
    it(`OpenAI /chat/completions (stream: ${stream}): the openai SDK raises RateLimitError with the code`, async () => {
      const client = new OpenAI({
        baseURL: h.url, apiKey: "sk-local", maxRetries: 0, defaultHeaders: { [GATEWAY_API_KEY_ID_HEADER]: "key-id-alice" },
      });
      // Charged like any other format: two replies put alice over her budget.
      await client.chat.completions.create({ model: h.config.modelId, messages: [{ role: "user", content: "hi" }] });
      await client.chat.completions.create({ model: h.config.modelId, messages: [{ role: "user", content: "hi" }] });
      await h.charged();
      const before = h.fake.requests.length;
      const err = await client.chat.completions
        .create({ model: h.config.modelId, messages: [{ role: "user", content: "hi" }], stream })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.RateLimitError, String(err));
      assert.equal(err.status, 429);
      assert.equal(err.code, "token_budget_exceeded");
      assert.match(String(err.headers?.get("retry-after")), /^\d+$/);
      assert.equal(h.fake.requests.length, before, "Bedrock was not called");
      assert.equal((await h.usageOf("key-id-alice")).day.totalTokens, 120);
    });
  }

  for (const stream of [true, false]) {
    it(`OpenAI /responses (stream: ${stream}): charged like the others; over budget the openai SDK raises RateLimitError`, async () => {
      const client = new OpenAI({
        baseURL: h.url, apiKey: "sk-local", maxRetries: 0, defaultHeaders: { [GATEWAY_API_KEY_ID_HEADER]: "key-id-alice" },
      });
      await client.responses.create({ model: h.config.modelId, input: "hi" });
      await client.responses.create({ model: h.config.modelId, input: "hi" });
      await h.charged();
      const before = h.fake.requests.length;
      const err = await client.responses.create({ model: h.config.modelId, input: "hi", stream }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof OpenAI.RateLimitError, String(err));
      assert.equal(err.code, "token_budget_exceeded");
      assert.equal(h.fake.requests.length, before, "Bedrock was not called");
      assert.equal((await h.usageOf("key-id-alice")).day.totalTokens, 120);
    });
  }

  for (const stream of [true, false]) {
    it(`Anthropic /v1/messages (stream: ${stream}): the Anthropic SDK raises RateLimitError (rate_limit_error)`, async () => {
      const client = new Anthropic({
        baseURL: h.url, apiKey: "test-key", maxRetries: 0, defaultHeaders: { [GATEWAY_API_KEY_ID_HEADER]: "key-id-alice" },
      });
      const params = { model: h.config.modelId, max_tokens: 50, messages: [{ role: "user" as const, content: "hi" }] };
      await client.messages.create(params);
      await client.messages.create(params);
      await h.charged();
      const before = h.fake.requests.length;
      const err = await client.messages.create({ ...params, stream }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Anthropic.RateLimitError, String(err));
      assert.equal(err.status, 429);
      assert.deepEqual(err.error, {
        type: "error",
        error: { type: "rate_limit_error", message: "This API key has used its daily token budget; it resets at 2026-11-29T00:00:00.000Z" },
      });
      assert.match(String(err.headers?.get("retry-after")), /^\d+$/);
      assert.equal(h.fake.requests.length, before, "Bedrock was not called");
      assert.equal((await h.usageOf("key-id-alice")).day.totalTokens, 120);
    });
  }
});
