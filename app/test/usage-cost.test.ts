import assert from "node:assert/strict";
import { costMicroUsd, formatUsd } from "../src/usage/cost";

/** Hand-computed: a price per million tokens is micro-dollars per token; each request rounds once. */
describe("request cost (micro-dollars from the catalog's prices)", () => {
  const SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";
  const cached = { inputTokens: 1000, outputTokens: 500, totalTokens: 1500, cacheReadInputTokens: 20_000, cacheWriteInputTokens: 4000 };

  it("Claude Sonnet 4.5 on the global profile: input 3, output 15, cache write 3.75, cache read 0.30", () => {
    // 1000*3 + 500*15 + 20000*0.3 + 4000*3.75 = 3000 + 7500 + 6000 + 15000
    assert.equal(costMicroUsd(`global.${SONNET_45}`, cached), 31_500);
  });

  it("the same call on a geographic profile and in-Region costs 10% more (the route is in the price)", () => {
    // 1000*3.3 + 500*16.5 + 20000*0.33 + 4000*4.125 = 3300 + 8250 + 6600 + 16500
    assert.equal(costMicroUsd(`us.${SONNET_45}`, cached), 34_650);
    assert.equal(costMicroUsd(SONNET_45, cached), 34_650);
  });

  it("above 200K input tokens, cached ones included, the long-context tier applies to the whole call", () => {
    const long = { inputTokens: 150_000, outputTokens: 1000, totalTokens: 211_000, cacheReadInputTokens: 60_000 };
    // 150000*6 + 1000*22.5 + 60000*0.6 = 900000 + 22500 + 36000
    assert.equal(costMicroUsd(`global.${SONNET_45}`, long), 958_500);
    // Just under: base rates. 140000*3 + 1000*15 + 60000*0.3 = 420000 + 15000 + 18000
    assert.equal(costMicroUsd(`global.${SONNET_45}`, { ...long, inputTokens: 140_000 }), 453_000);
  });

  it("Claude Opus 4.6's long-context tier (10 / 37.50 / 12.50 / 1)", () => {
    const usage = { inputTokens: 190_000, outputTokens: 2000, totalTokens: 0, cacheWriteInputTokens: 20_000 };
    // 190000*10 + 2000*37.5 + 20000*12.5 = 1900000 + 75000 + 250000
    assert.equal(costMicroUsd("global.anthropic.claude-opus-4-6-v1", usage), 2_225_000);
  });

  it("Claude 3.5 Haiku in-Region, rounded once to the nearest micro-dollar", () => {
    const usage = { inputTokens: 1234, outputTokens: 567, totalTokens: 0, cacheReadInputTokens: 1000, cacheWriteInputTokens: 100 };
    // 1234*0.8 + 567*4 + 1000*0.08 + 100*1 = 987.2 + 2268 + 80 + 100 = 3435.2
    assert.equal(costMicroUsd("anthropic.claude-3-5-haiku-20241022-v1:0", usage), 3435);
  });

  it("Nova Micro with cache reads, Llama 3.1 70B, gpt-oss", () => {
    // 10000*0.035 + 2000*0.14 + 4000*0.00875 = 350 + 280 + 35
    const nova = { inputTokens: 10_000, outputTokens: 2000, totalTokens: 0, cacheReadInputTokens: 4000 };
    assert.equal(costMicroUsd("us.amazon.nova-micro-v1:0", nova), 665);
    assert.equal(costMicroUsd("meta.llama3-1-70b-instruct-v1:0", { inputTokens: 1000, outputTokens: 1000, totalTokens: 2000 }), 1440);
    // 3000*0.15 + 777*0.6 = 450 + 466.2
    assert.equal(costMicroUsd("openai.gpt-oss-120b-1:0", { inputTokens: 3000, outputTokens: 777, totalTokens: 0 }), 916);
  });

  it("modelPrices overrides the catalog, the most specific pattern winning; a missing cache rate is input's", () => {
    const overrides = {
      "anthropic.claude-*": { base: { input: 100, output: 100 } },
      "anthropic.claude-sonnet-4-5*": { base: { input: 2, output: 10 } },
    };
    // 1000*2 + 500*10 + 20000*2 + 4000*2 = 2000 + 5000 + 40000 + 8000 (no byRoute: every route costs base)
    assert.equal(costMicroUsd(`us.${SONNET_45}`, cached, overrides), 55_000);
    assert.equal(costMicroUsd("anthropic.claude-3-haiku-20240307-v1:0", { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, overrides), 200);
  });

  it("a model without prices costs 0 (not guessed), and dollars print to the micro-dollar when small", () => {
    assert.equal(costMicroUsd("acme.unknown-model-v1", cached), 0);
    assert.equal(formatUsd(31_500), "$0.031500");
    assert.equal(formatUsd(12_345_678), "$12.35");
  });
});
