import assert from "node:assert/strict";
import { integrationHeaders, RAW_KEY_HEADERS } from "../../infra/route-integrations";
import {
  CHAT_COMPLETIONS_PATH, COUNT_TOKENS_PATH, GATEWAY_API_KEY_ID_HEADER, GATEWAY_REQUEST_ID_HEADER, HEALTH_PATH,
  MESSAGES_PATH, MODELS_PATH, STREAM_PATH, USAGE_PATH,
} from "../src/runtime-contract";
import { request } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

/**
 * The integrations overwrite the raw key headers (`x-api-key`, `Authorization`) with a constant before the request
 * crosses the VPC link (infra/route-integrations.ts): the app must serve and meter every route from the key's id
 * alone. Each request here carries exactly what an integration delivers: the constant in both raw key headers (taken
 * from the infra's own mapping), the key id and a request id.
 */

/** The static header values of the integrations' mapping (`'...'`), by header name. */
const overwritten = Object.fromEntries(Object.entries(integrationHeaders)
  .filter(([, value]) => value.startsWith("'"))
  .map(([target, value]) => [target.replace("integration.request.header.", ""), value.slice(1, -1)]));

describe("requests as the integrations deliver them: raw key headers overwritten", () => {
  let h: UsageHarness;
  before(async () => {
    h = await startUsageHarness();
    h.fake.setScenario({ steps: [{ text: "ok" }], usage: { inputTokens: 7, outputTokens: 3 } });
  });
  after(() => h?.close());

  it("the mapping overwrites both raw key headers with a constant that is no key", () => {
    assert.deepEqual(Object.keys(overwritten).sort(), [...RAW_KEY_HEADERS].sort());
    for (const value of Object.values(overwritten)) assert.match(value, /^[a-z-]+$/);
  });

  it("every route answers, and is metered under the key's name, from the key id alone", async () => {
    const model = h.config.modelId;
    const messages = [{ role: "user", content: "hi" }];
    const calls: Array<[string, string, object | undefined]> = [
      ["GET", HEALTH_PATH, undefined],
      ["POST", STREAM_PATH, { message: "hi" }],
      ["POST", CHAT_COMPLETIONS_PATH, { model, messages }],
      ["GET", MODELS_PATH, undefined],
      ["POST", MESSAGES_PATH, { model, max_tokens: 50, messages }],
      ["POST", COUNT_TOKENS_PATH, { model, messages }],
      ["GET", USAGE_PATH, undefined],
    ];
    for (const [method, path, body] of calls) {
      const headers = { ...overwritten, [GATEWAY_API_KEY_ID_HEADER]: "key-id-alice", [GATEWAY_REQUEST_ID_HEADER]: `req-${path}` };
      const reply = await request(h.url, { method, path, headers, body });
      assert.equal(reply.status, 200, `${method} ${path}: ${reply.text}`);
    }
    await h.charged();
    // Three model calls (stream, chat completions, messages), each 10 tokens, all charged to alice.
    const usage = await h.usageOf("key-id-alice");
    assert.equal(usage.key, "alice");
    assert.equal(usage.day.totalTokens, 30);
  });
});
