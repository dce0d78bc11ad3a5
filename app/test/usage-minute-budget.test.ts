import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { USAGE_TABLE } from "../src/usage/table-schema";
import { postStream } from "./helpers/http-client";
import { type RecordingProxy, startRecordingProxy } from "./helpers/recording-proxy";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

/** burst may use 100 tokens a UTC minute (and a day budget far away); each reply below costs 60. */
const KEYS = {
  "key-id-burst": { name: "burst", tokensPerMinute: 100, tokensPerDay: 1_000_000 },
  "key-id-bob": { name: "bob" },
};
const BURST = "key-id-burst";
const REPLY = { steps: [{ text: "ok" }], usage: { inputTokens: 50, outputTokens: 10 } };

describe("tokensPerMinute: a token budget per key and UTC minute", () => {
  let h: UsageHarness;
  beforeEach(async () => {
    h = await startUsageHarness({ keys: KEYS, now: "2026-11-28T12:00:15Z" });
    h.fake.setScenario(REPLY);
  });
  afterEach(() => h.close());

  const chat = (keyId: string) => postStream(h.url, { message: "hi" }, { headers: h.as(keyId) });
  const spend = async (n: number) => {
    for (let i = 0; i < n; i++) assert.equal((await chat(BURST)).status, 200);
    await h.charged();
  };

  it("refuses with 429 token_budget_exceeded naming the minute's reset, Retry-After until it, before Bedrock", async () => {
    await spend(2); // 120 >= 100
    h.clock.set("2026-11-28T12:00:40Z");
    const before = h.fake.requests.length;
    const refused = await chat(BURST);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers["retry-after"], "20");
    assert.deepEqual(refused.json(), {
      error: {
        code: "token_budget_exceeded",
        message: "This API key has used its per-minute token budget; it resets at 2026-11-28T12:01:00.000Z",
      },
    });
    assert.equal(h.fake.requests.length, before, "Bedrock was not called");
    assert.equal((await chat("key-id-bob")).status, 200, "other keys are not affected");
    assert.equal(h.metrics.find((m) => m.ErrorCode === "token_budget_exceeded")?.BudgetRefusals, 1);
  });

  it("rolls over at the next UTC minute (injected clock); the day keeps counting", async () => {
    await spend(2);
    assert.equal((await chat(BURST)).status, 429);
    h.clock.set("2026-11-28T12:01:00Z");
    await spend(1);
    assert.equal((await chat(BURST)).status, 200, "60 of this minute's 100");
    await h.charged();
    assert.equal((await chat(BURST)).status, 429, "120 in minute 12:01");
    h.clock.set("2026-11-28T12:02:59Z");
    assert.equal((await chat(BURST)).status, 200);
    await h.charged();
    assert.equal((await h.usageOf(BURST)).day.totalTokens, 5 * 60);
  });

  it("the OpenAI and Anthropic SDKs raise RateLimitError with the per-minute message", async () => {
    await spend(2);
    const headers = { [GATEWAY_API_KEY_ID_HEADER]: BURST };
    const message = "This API key has used its per-minute token budget; it resets at 2026-11-28T12:01:00.000Z";
    const openai = new OpenAI({ baseURL: h.url, apiKey: "sk-local", maxRetries: 0, defaultHeaders: headers });
    const chatErr = await openai.chat.completions
      .create({ model: h.config.modelId, messages: [{ role: "user", content: "hi" }], stream: true })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(chatErr instanceof OpenAI.RateLimitError, String(chatErr));
    assert.equal(chatErr.code, "token_budget_exceeded");
    assert.equal(chatErr.headers?.get("retry-after"), "45");
    const anthropic = new Anthropic({ baseURL: h.url, apiKey: "test-key", maxRetries: 0, defaultHeaders: headers });
    const err = await anthropic.messages
      .create({ model: h.config.modelId, max_tokens: 50, messages: [{ role: "user", content: "hi" }] })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof Anthropic.RateLimitError, String(err));
    assert.deepEqual(err.error, { type: "error", error: { type: "rate_limit_error", message } });
  });
});

describe("GET /usage: the minute window of a key with tokensPerMinute", () => {
  let h: UsageHarness;
  let proxy: RecordingProxy;
  before(async () => {
    h = await startUsageHarness({
      keys: KEYS,
      now: "2026-11-28T12:00:15Z",
      storeEndpoint: async (url) => (proxy = await startRecordingProxy(url)).url,
    });
    h.fake.setScenario(REPLY);
  });
  after(async () => {
    await h.close();
    await proxy.close();
  });

  /** The windows (sort keys) of the items the store was asked for since `from`. */
  const itemsRead = (from: number) =>
    proxy.requests.slice(from).filter((r) => r.operation === "GetItem").map((r) => r.body.Key[USAGE_TABLE.sortKey].S);

  it("shows this minute's tokens (read from the table), the limit and the reset; a new minute starts at 0", async () => {
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as(BURST) })).status, 200);
    await h.charged();
    const from = proxy.requests.length;
    const usage = await h.usageOf(BURST);
    assert.deepEqual(usage.minute, {
      window: "2026-11-28T12:00",
      resetsAt: "2026-11-28T12:01:00.000Z",
      totalTokens: 60,
      tokenLimit: 100,
      remainingTokens: 40,
    });
    assert.equal(usage.day.totalTokens, 60, "the day and month are still there");
    assert.deepEqual(itemsRead(from).sort(), ["minute#2026-11-28T12:00", "month#2026-11"]);

    h.clock.set("2026-11-28T12:01:30Z");
    assert.deepEqual((await h.usageOf(BURST)).minute, {
      window: "2026-11-28T12:01",
      resetsAt: "2026-11-28T12:02:00.000Z",
      totalTokens: 0,
      tokenLimit: 100,
      remainingTokens: 100,
    });
  });

  it("a key without tokensPerMinute: no minute window, and no minute read from the store", async () => {
    const from = proxy.requests.length;
    const usage = await h.usageOf("key-id-bob");
    assert.equal("minute" in usage, false);
    assert.equal(usage.key, "bob");
    assert.deepEqual(itemsRead(from), ["month#2026-11"]);
  });
});
