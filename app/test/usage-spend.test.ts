import assert from "node:assert/strict";
import { postStream, request } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const BOB = "key-id-bob"; // no limits
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"; // the default model: 1 / 5 / 1.25 / 0.1
const SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"; // geographic: 3.3 / 16.5 / 4.125 / 0.33
/** 33*1 + 7*5 + 11*0.1 = 69.1: 69 micro-dollars a request on Haiku (a float sum of 100 would say 6910). */
const USAGE = { inputTokens: 33, outputTokens: 7, cacheReadInputTokens: 11 };

describe("spend in micro-dollars (dynalite)", () => {
  let h: UsageHarness;
  afterEach(() => h.close());

  const chat = () => postStream(h.url, { message: "hi" }, { headers: h.as(BOB) });
  const openai = (model: string) =>
    request(h.url, {
      path: "/chat/completions",
      headers: h.as(BOB),
      body: { model, messages: [{ role: "user", content: "hi" }] },
    });

  it("100 parallel streams add up to exactly 100 times one request's micro-dollars, per key and per model", async function () {
    this.timeout(60_000);
    h = await startUsageHarness();
    h.fake.setScenario({ steps: [{ text: "Hi" }], usage: USAGE });
    const replies = await Promise.all(Array.from({ length: 100 }, () => chat()));
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
    await h.charged();
    const { day, month } = await h.usageOf(BOB);
    assert.equal(day.costMicroUsd, 6900);
    assert.equal(month.costMicroUsd, 6900);
    assert.equal(month.requests, 100);
    assert.deepEqual(day.models, { [HAIKU]: { costMicroUsd: 6900, requests: 100 } });
    assert.equal(month.models[HAIKU].inputTokens, 3300);
    assert.equal(month.models[HAIKU].cacheReadInputTokens, 1100);
  });

  it("prices each request by the model that answered, on its route, and splits the key's spend by model", async () => {
    h = await startUsageHarness({ env: { ALLOWED_MODEL_IDS: SONNET } });
    h.fake.setScenario({ steps: [{ text: "Hi" }], usage: USAGE });
    assert.equal((await chat()).status, 200);
    assert.equal((await openai(SONNET)).status, 200);
    await h.charged();
    const { day, month } = await h.usageOf(BOB);
    // Sonnet on a us. profile: 33*3.3 + 7*16.5 + 11*0.33 = 108.9 + 115.5 + 3.63 = 228.03
    assert.deepEqual(day.models, { [HAIKU]: { costMicroUsd: 69, requests: 1 }, [SONNET]: { costMicroUsd: 228, requests: 1 } });
    assert.equal(month.costMicroUsd, 69 + 228);
    assert.equal(month.models[SONNET].outputTokens, 7);
  });

  it("the modelPrices setting replaces the catalog's prices", async () => {
    h = await startUsageHarness({ env: { MODEL_PRICES: JSON.stringify({ "anthropic.claude-haiku-*": { base: { input: 10, output: 10, cacheRead: 1 } } }) } });
    h.fake.setScenario({ steps: [{ text: "Hi" }], usage: USAGE });
    assert.equal((await chat()).status, 200);
    await h.charged();
    // 33*10 + 7*10 + 11*1
    assert.equal((await h.usageOf(BOB)).day.costMicroUsd, 411);
  });
});
