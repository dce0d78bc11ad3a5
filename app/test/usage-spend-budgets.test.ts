import assert from "node:assert/strict";
import { CHAT_COMPLETIONS_PATH, MESSAGES_PATH, RESPONSES_PATH } from "../src/route-paths";
import { postStream, request } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

/** 33*1 + 7*5 + 11*0.1 = 69.1 -> 69 micro-dollars a request on the default model (Haiku 4.5, global). */
const REPLY = { steps: [{ text: "Hi" }], usage: { inputTokens: 33, outputTokens: 7, cacheReadInputTokens: 11 } };
const KEYS = {
  "key-id-intern": { name: "intern", usdPerDay: 0.0002, usdPerMonth: 0.0005 }, // 200 and 500 micro-dollars
  "key-id-bob": { name: "bob" },
};
const INTERN = "key-id-intern";

describe("dollar budgets (usdPerDay, usdPerMonth)", () => {
  let h: UsageHarness;
  beforeEach(async () => {
    h = await startUsageHarness({ keys: KEYS });
    h.fake.setScenario(REPLY);
  });
  afterEach(() => h.close());

  const ndjson = (keyId: string) => postStream(h.url, { message: "hi" }, { headers: h.as(keyId) });
  const spend = async (n: number) => {
    for (let i = 0; i < n; i++) assert.equal((await ndjson(INTERN)).status, 200);
    await h.charged();
  };

  it("refuses at the day's limit in every format, streamed or not, with 429 budget_exceeded and Retry-After, naming the window and its reset, before Bedrock", async () => {
    await spend(3); // 207 micro-dollars >= 200
    h.clock.set("2026-11-28T23:00:00Z");
    const before = h.fake.requests.length;
    const message = "This API key has used its daily budget of $0.0002; it resets at 2026-11-29T00:00:00.000Z";
    const native = await ndjson(INTERN);
    assert.equal(native.status, 429);
    assert.equal(native.headers["retry-after"], "3600");
    assert.deepEqual(native.json(), { error: { code: "budget_exceeded", message } });
    const headers = { ...h.as(INTERN), "anthropic-version": "2023-06-01" };
    const messages = [{ role: "user", content: "hi" }];
    for (const stream of [false, true]) {
      const openai = await request(h.url, { path: CHAT_COMPLETIONS_PATH, headers, body: { model: h.config.modelId, messages, stream } });
      const anthropic = await request(h.url, { path: MESSAGES_PATH, headers, body: { model: h.config.modelId, max_tokens: 10, messages, stream } });
      const responses = await request(h.url, { path: RESPONSES_PATH, headers, body: { model: h.config.modelId, input: "hi", stream } });
      for (const reply of [openai, anthropic, responses]) {
        assert.equal(reply.status, 429);
        assert.equal(reply.headers["retry-after"], "3600");
        assert.equal(reply.json().error.message, message);
        assert.equal(reply.json().error.type, "rate_limit_error");
      }
      assert.equal(openai.json().error.code, "budget_exceeded");
      assert.equal(anthropic.json().type, "error");
      assert.equal(responses.json().error.code, "budget_exceeded");
    }
    assert.equal(h.fake.requests.length, before, "Bedrock was not called");
    assert.equal((await ndjson("key-id-bob")).status, 200, "another key is not affected");
    assert.equal((await h.usageOf(INTERN)).day.usdLimit, 0.0002);
  });

  it("rolls the day over at UTC midnight and the month over on the 1st (injected clock)", async () => {
    await spend(3); // day 28: 207
    assert.equal((await ndjson(INTERN)).status, 429);
    h.clock.set("2026-11-29T00:00:00Z");
    await spend(3); // day 29: 207, month 414
    assert.equal((await ndjson(INTERN)).status, 429);
    h.clock.set("2026-11-30T08:00:00Z");
    await spend(2); // month 552 >= 500
    const refused = await ndjson(INTERN);
    assert.equal(refused.status, 429);
    assert.match(refused.json().error.message, /monthly budget of \$0\.0005; it resets at 2026-12-01T00:00:00.000Z/);
    assert.equal(refused.headers["retry-after"], String(16 * 3600));
    h.clock.set("2026-12-01T00:00:00Z");
    assert.equal((await ndjson(INTERN)).status, 200);
  });
});
