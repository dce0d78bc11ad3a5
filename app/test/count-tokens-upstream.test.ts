import assert from "node:assert/strict";
import { type Harness, startHarness } from "./helpers/harness";
import { type Reply, request } from "./helpers/http-client";

/** Answers the SDK cannot read, and the status (and Anthropic error type) each must become. */
const BROKEN_ANSWERS: Array<[string, { status: number; body: string; contentType?: string }, number, string]> = [
  ["a truncated 200", { status: 200, body: '{"inputTok' }, 502, "api_error"],
  ["an empty 200", { status: 200, body: "" }, 502, "api_error"],
  ["a proxy's HTML 503", { status: 503, body: "<html>busy</html>", contentType: "text/html" }, 503, "overloaded_error"],
  ["a truncated 503", { status: 503, body: '{"message":"busy"' }, 503, "overloaded_error"],
  ["a plain-text 504", { status: 504, body: "Gateway Timeout", contentType: "text/plain" }, 504, "timeout_error"],
  ["an HTML 429", { status: 429, body: "<html>slow down</html>", contentType: "text/html" }, 429, "rate_limit_error"],
  ["a plain-text 502", { status: 502, body: "Bad Gateway", contentType: "text/plain" }, 502, "api_error"],
];

describe("count_tokens: upstream answers that cannot be read", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const count = () =>
    request(h.url, {
      method: "POST",
      path: "/v1/messages/count_tokens",
      body: { model: h.config.modelId, messages: [{ role: "user", content: "hi" }] },
    });
  const assertMapped = (reply: Reply, status: number, type: string) => {
    assert.equal(reply.status, status, reply.text);
    const body = reply.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, type);
    assert.doesNotMatch(body.error.message, /SyntaxError|JSON|\$response|Internal server error/);
  };

  for (const [what, reply, status, type] of BROKEN_ANSWERS) {
    it(`${what} from Bedrock is a ${status} (${type}), never a 500`, async () => {
      h.fake.setScenario({ countTokensReply: reply });
      const answer = await count();
      assertMapped(answer, status, type);
      if (status === 503 || status === 429) assert.ok(answer.headers["retry-after"], "Retry-After");
      const log = await h.logFor(String(answer.headers["x-request-id"]));
      assert.equal(log.status, status);
      assert.notEqual(log.level, "error");
    });
  }

  it("a flood of count_tokens calls all failing upstream: every one mapped (no 500)", async () => {
    h.fake.setScenario({ countTokensReply: { status: 200, body: '{"inputTokens":' } });
    const replies = await Promise.all(Array.from({ length: 60 }, count));
    assert.deepEqual([...new Set(replies.map((reply) => reply.status))], [502]);
    for (const reply of replies) assertMapped(reply, 502, "api_error");
  });

  it("a readable answer after them is counted as usual", async () => {
    h.fake.setScenario({ countTokens: 7 });
    const reply = await count();
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { input_tokens: 7 });
  });
});
