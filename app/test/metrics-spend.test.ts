import assert from "node:assert/strict";
import { METRIC } from "../src/metrics/service-metrics";
import { postStream, request } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const BOB = "key-id-bob";
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"; // the default model: 1 / 5 / 1.25 / 0.1 per million
const SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"; // geographic profile: 3.3 / 16.5 / 4.125 / 0.33
const USAGE = { inputTokens: 33, outputTokens: 7, cacheReadInputTokens: 11 };

/** The `CostMicroUsd` EMF metric: what the dashboard's spend widgets and the runaway alarms read. */
describe("spend metric (EMF, real server, dynalite)", () => {
  let h: UsageHarness;
  afterEach(() => h.close());

  const costLines = () => h.metrics.filter((line) => METRIC.costMicroUsd in line);

  it("publishes each metered request's micro-dollars once, per key, model, key and model, and service-wide, equal to the usage table's charge", async () => {
    h = await startUsageHarness({ env: { ALLOWED_MODEL_IDS: SONNET } });
    h.fake.setScenario({ steps: [{ text: "Hi" }], usage: USAGE });
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as(BOB) })).status, 200);
    const openai = await request(h.url, {
      path: "/chat/completions",
      headers: h.as(BOB),
      body: { model: SONNET, messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(openai.status, 200);
    await h.charged();

    const lines = costLines();
    assert.equal(lines.length, 2, "one cost line per metered request");
    const byModel = Object.fromEntries(lines.map((line) => [line.Model, line.CostMicroUsd]));
    // Haiku: 33*1 + 7*5 + 11*0.1 = 69.1 -> 69. Sonnet on a us. profile: 33*3.3 + 7*16.5 + 11*0.33 = 228.03 -> 228.
    assert.deepEqual(byModel, { [HAIKU]: 69, [SONNET]: 228 });
    const { day } = await h.usageOf(BOB);
    assert.equal(byModel[HAIKU], day.models[HAIKU].costMicroUsd, "the metric is the table's figure");
    assert.equal(byModel[SONNET], day.models[SONNET].costMicroUsd);

    for (const line of lines) {
      assert.equal(line.ApiKey, "bob");
      const directive = line._aws.CloudWatchMetrics.find((d: any) => d.Metrics.some((m: any) => m.Name === METRIC.costMicroUsd));
      assert.deepEqual(directive.Dimensions, [["ApiKey"], ["Model"], ["ApiKey", "Model"], []]);
      assert.deepEqual(directive.Metrics, [{ Name: METRIC.costMicroUsd, Unit: "None" }]);
    }
  });

  it("publishes no cost for a request refused before Bedrock", async () => {
    h = await startUsageHarness({ keys: { "key-id-carol": { name: "carol", usdPerDay: 0.000001 } } });
    h.fake.setScenario({ steps: [{ text: "Hi" }], usage: USAGE });
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as("key-id-carol") })).status, 200);
    await h.charged();
    const refused = await postStream(h.url, { message: "hi" }, { headers: h.as("key-id-carol") });
    assert.equal(refused.status, 429);
    assert.deepEqual(costLines().map((line) => line.CostMicroUsd), [69]);
    const refusal = h.metrics.find((line) => line.ErrorCode === "budget_exceeded");
    assert.ok(refusal, "the refusal itself is published");
    // Counted as a budget refusal like a token budget's: the value and the directive that makes it a metric.
    assert.equal(refusal.BudgetRefusals, 1);
    const names = refusal._aws.CloudWatchMetrics.flatMap((d: any) => d.Metrics.map((m: any) => m.Name));
    assert.ok(names.includes(METRIC.budgetRefusals), "BudgetRefusals is published as a metric");
  });
});
