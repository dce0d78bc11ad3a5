import assert from "node:assert/strict";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

/** `{"a":{"a":…{}}}` nested `levels` deep: about 18 KB at 3,000 levels. */
const nested = (levels: number): Record<string, unknown> => JSON.parse(`${'{"a":'.repeat(levels)}{}${"}".repeat(levels)}`);
const schema = (inner: Record<string, unknown>) => ({ type: "object", properties: { deep: inner } });

describe("deeply nested JSON", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    h.fake.setScenario({ steps: [{ text: "ok" }] });
  });
  after(() => h.close());

  const post = (path: string, body: object) => request(h.url, { method: "POST", path, body });
  const anthropic = (extra: object) => ({ model: h.config.modelId, max_tokens: 10, messages: [{ role: "user", content: "hi" }], ...extra });
  const counting = (extra: object) => ({ model: h.config.modelId, messages: [{ role: "user", content: "hi" }], ...extra });
  const anthropicToolTurn = (input: object) => anthropic({
    tools: [{ name: "look", input_schema: { type: "object" } }],
    messages: [
      { role: "user", content: "hi" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "look", input }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "done" }] },
    ],
  });

  const cases: Array<[string, string, () => object, RegExp]> = [
    ["OpenAI tool parameters", "/chat/completions", () => ({
      messages: [{ role: "user", content: "hi" }],
      tools: [{ type: "function", function: { name: "look", parameters: schema(nested(3000)) } }],
    }), /^tools\[0\]\.function\.parameters\.properties\.deep/],
    ["OpenAI tool call arguments", "/chat/completions", () => ({
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", tool_calls: [{ id: "call_1", type: "function", function: { name: "look", arguments: JSON.stringify(nested(3000)) } }] },
        { role: "tool", tool_call_id: "call_1", content: "done" },
      ],
    }), /^messages\[1\]\.tool_calls\[0\]\.function\.arguments\.a/],
    ["Anthropic tool input_schema", "/v1/messages", () => anthropic({ tools: [{ name: "look", input_schema: schema(nested(3000)) }] }),
      /^tools\[0\]\.input_schema\.properties\.deep/],
    ["Anthropic tool_use input", "/v1/messages", () => anthropicToolTurn(nested(3000)), /^messages\[1\]\.content\[0\]\.input\.a/],
    ["count_tokens tool input_schema", "/v1/messages/count_tokens", () => counting({ tools: [{ name: "look", input_schema: schema(nested(3000)) }] }),
      /^tools\[0\]\.input_schema/],
    ["the native format", "/stream", () => ({ message: "hi", extra: nested(3000) }), /^extra\.a/],
  ];

  for (const [what, path, body, field] of cases) {
    it(`${what} nested 3,000 levels deep: 400 naming the field, in the format's shape, Bedrock not called`, async () => {
      const calls = h.fake.requests.length;
      const reply = await post(path, body());
      assert.equal(reply.status, 400, reply.text.slice(0, 300));
      const error = reply.json().error;
      assert.match(error.message, field);
      assert.match(error.message, /nests deeper than 64 levels/);
      if (path === "/chat/completions") assert.match(error.param, field);
      if (path.startsWith("/v1/")) assert.equal(error.type, "invalid_request_error");
      assert.equal(h.fake.requests.length, calls);
    });
  }

  it("nesting within the limit is served (a tool schema 60 levels deep, a tool input 60 levels deep)", async () => {
    const served = await post("/v1/messages", anthropic({ tools: [{ name: "look", input_schema: schema(nested(56)) }] }));
    assert.equal(served.status, 200, served.text);
    const input = await post("/v1/messages", anthropicToolTurn(nested(58)));
    assert.equal(input.status, 200, input.text);
    const counted = await post("/v1/messages/count_tokens", counting({ tools: [{ name: "look", input_schema: schema(nested(56)) }] }));
    assert.equal(counted.status, 200, counted.text);
  });
});
