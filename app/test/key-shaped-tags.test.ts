import assert from "node:assert/strict";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

/** Secrets a caller might paste into its user tag; each is made of characters a plain identifier may use. */
const KEY_SHAPED = [
  "sk-proj-4f9Qk2LmN8pR7sT1vW3xY5zA6bC0dE",
  "sk-ant-api03-Zx81kLmNoPqRsTuVwXyZ0123456789abcdEFGH-ijklAA",
  "AKIAIOSFODNN7EXAMPLE",
  "ASIAQWERTYUIOPASDFGH",
  "tenant-7:sk-live_51HxYzAbCdEfGhIjKl",
];

describe("key-shaped user tags", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.fake.setScenario({ steps: [{ text: "ok" }] });
  });
  after(() => h.close());

  const tagOf = async (path: string, body: object) => {
    const reply = await request(h.url, { method: "POST", path, body });
    assert.equal(reply.status, 200, reply.text);
    return (await h.logFor(String(reply.headers["x-request-id"]))).userTag;
  };

  for (const secret of KEY_SHAPED) {
    it(`logs ${secret.slice(0, 8)}… as a digest, in OpenAI's user and Anthropic's metadata.user_id`, async () => {
      const openai = await tagOf("/chat/completions", { messages: [{ role: "user", content: "hi" }], user: secret });
      const anthropic = await tagOf("/v1/messages", {
        model: h.config.modelId, max_tokens: 10, messages: [{ role: "user", content: "hi" }], metadata: { user_id: secret },
      });
      assert.match(openai, /^sha256:[0-9a-f]{16}$/);
      assert.equal(anthropic, openai, "equal tags still group together");
      assert.ok(!JSON.stringify(h.logs).includes(secret), "the secret appears in no log line");
    });
  }

  it("keeps identifiers that are not key-shaped readable", async () => {
    for (const tag of ["tenant-42", "user_8f14e45fceea167a5a36dedd4bea2543", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"]) {
      assert.equal(await tagOf("/chat/completions", { messages: [{ role: "user", content: "hi" }], user: tag }), tag);
    }
  });
});
