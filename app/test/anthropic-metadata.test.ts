import assert from "node:assert/strict";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

/**
 * `metadata` on the Anthropic route: a field inside it that this service does not know (a newer client's, or a
 * gateway's own) is never a reason to fail (the compatibility rule); `user_id` is still read as the log's user tag,
 * and nothing of it reaches Bedrock. Both upstream kinds: Claude's native path and Converse.
 */
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const NOVA = "amazon.nova-pro-v1:0";

describe("Anthropic Messages: metadata fields this service does not know", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: NOVA });
  });
  after(() => h.close());

  const metadata = { user_id: "team-7", session_hint: "s1", labels: { tier: "gold" } };

  for (const model of [HAIKU, NOVA]) {
    for (const stream of [false, true]) {
      it(`${model === HAIKU ? "native path" : "Converse"}, ${stream ? "streamed" : "not streamed"}: answered, user_id tagged, nothing sent upstream`, async () => {
        h.fake.setScenario({ steps: [{ text: "ok" }] });
        const reply = await request(h.url, {
          method: "POST", path: "/v1/v1/messages",
          body: { model, max_tokens: 20, stream, metadata, messages: [{ role: "user", content: "hi" }] },
        });
        assert.equal(reply.status, 200, reply.text);
        const sent = JSON.stringify(h.fake.requests.at(-1)!.body);
        for (const value of ["session_hint", "gold", "team-7"]) assert.ok(!sent.includes(value), value);
        const log = await h.logFor(String(reply.headers["x-request-id"]));
        assert.equal(log.userTag, "team-7");
      });
    }
  }

  it("still refuses a user_id that is not a string, naming it", async () => {
    const reply = await request(h.url, {
      method: "POST", path: "/v1/v1/messages",
      body: { model: HAIKU, max_tokens: 20, metadata: { user_id: 42, extra: true }, messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(reply.status, 400);
    assert.match(reply.json().error.message, /^metadata\.user_id: /);
  });
});
