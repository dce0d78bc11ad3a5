import assert from "node:assert/strict";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

/**
 * `anthropic-beta` on `count_tokens` (issue 21 item 3): never a 400; the betas Bedrock accepts for the model go into
 * the counted body, and the request's log line names the ones dropped, as on `/v1/messages`.
 */
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const NOVA = "amazon.nova-pro-v1:0";
const invokeBody = (call: { body: any }) => JSON.parse(Buffer.from(call.body.input.invokeModel.body, "base64").toString("utf8"));

describe("Anthropic count_tokens: betas", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: NOVA });
  });
  after(() => h.close());

  const count = (model: string, betas: string) => request(h.url, {
    method: "POST", path: "/v1/v1/messages/count_tokens", headers: { "anthropic-beta": betas },
    body: { model, messages: [{ role: "user", content: "hi" }] },
  });

  it("Claude: forwards the accepted ones in the counted body; the log line names the dropped ones", async () => {
    const reply = await count(HAIKU, "interleaved-thinking-2025-05-14, some-future-beta-2099-01-01,claude-code-20250219");
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(invokeBody(h.fake.requests.at(-1)!).anthropic_beta, ["interleaved-thinking-2025-05-14"]);
    const log = await h.logFor(String(reply.headers["x-request-id"]));
    assert.deepEqual(log.betasDropped, ["some-future-beta-2099-01-01", "claude-code-20250219"]);
  });

  it("a model other than Claude (counted through Converse) takes none: every one is named as dropped", async () => {
    const reply = await count(NOVA, "interleaved-thinking-2025-05-14,odd-one");
    assert.equal(reply.status, 200, reply.text);
    const log = await h.logFor(String(reply.headers["x-request-id"]));
    assert.deepEqual(log.betasDropped, ["interleaved-thinking-2025-05-14", "odd-one"]);
  });

  it("no beta dropped: no betasDropped field", async () => {
    const reply = await count(HAIKU, "interleaved-thinking-2025-05-14");
    assert.equal(reply.status, 200, reply.text);
    assert.equal((await h.logFor(String(reply.headers["x-request-id"]))).betasDropped, undefined);
  });
});
