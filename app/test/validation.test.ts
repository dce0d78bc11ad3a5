import assert from "node:assert/strict";
import { MAX_TOKENS_ACCEPTED } from "../src/formats/max-tokens";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { assertErrorBody } from "./helpers/assertions";

const user = (content: string) => ({ role: "user", content });
const assistant = (content: string) => ({ role: "assistant", content });

/** The body parser only takes objects and arrays: other JSON is reported like malformed JSON. */
const NOT_JSON_OBJECT: Array<[string, string]> = [
  ["malformed JSON", '{"message": "hi"'],
  ["a JSON string", '"hello"'],
  ["JSON null", "null"],
  ["a bare number", "42"],
  ["a prototype-poisoning key", '{"message":"hi","__proto__":{"admin":true}}'],
];

/** [what, raw body, what the message must say (it names the field)]. */
const INVALID_BODIES: Array<[string, string, RegExp]> = [
  ["an array", '[{"message":"hi"}]', /body: must be a JSON object/],
  ["an empty body", "", /message: is required/],
  ["an empty object", "{}", /message: is required/],
  ["an empty message", '{"message":""}', /message: must not be empty/],
  ["a whitespace-only message", '{"message":" \\n\\t "}', /message: must not be empty/],
  ["a message that is a number", '{"message":42}', /message: .*expected string/],
  ["a message that is null", '{"message":null}', /message: .*expected string/],
  ["an unknown field", '{"message":"hi","model":"anthropic.claude-3-opus"}', /model: unknown field/],
  ["a client-chosen modelId", '{"message":"hi","modelId":"x"}', /modelId: unknown field/],
  ["both message and messages", `{"message":"hi","messages":[${JSON.stringify(user("a"))}]}`, /messages: cannot be combined/],
  ["an empty messages array", '{"messages":[]}', /messages: must hold at least one/],
  ["messages not an array", '{"messages":"hi"}', /messages: .*expected array/],
  ["a message without content", '{"messages":[{"role":"user"}]}', /messages\[0\]\.content/],
  ["a blank turn", '{"messages":[{"role":"user","content":"  "}]}', /messages\[0\]\.content: must not be empty/],
  ["an unknown role", '{"messages":[{"role":"system","content":"a"}]}', /messages\[0\]\.role/],
  ["an unknown field in a turn", '{"messages":[{"role":"user","content":"a","name":"bob"}]}', /messages\[0\]\.name: unknown field/],
  ["a conversation starting with assistant", JSON.stringify({ messages: [assistant("a"), user("b")] }), /messages\[0\]\.role: must be "user"/],
  ["two user turns in a row", JSON.stringify({ messages: [user("a"), user("b")] }), /messages\[1\]\.role: must be "assistant"/],
  ["a conversation ending with assistant", JSON.stringify({ messages: [user("a"), assistant("b")] }), /messages\[1\]\.role: the last message must come from "user"/],
  ["a blank system prompt", '{"message":"hi","system":" "}', /system: must not be empty/],
  ["maxTokens 0", '{"message":"hi","maxTokens":0}', /maxTokens: must be at least 1/],
  ["maxTokens negative", '{"message":"hi","maxTokens":-5}', /maxTokens/],
  ["maxTokens fractional", '{"message":"hi","maxTokens":10.5}', /maxTokens: must be an integer/],
  ["maxTokens above the limit", `{"message":"hi","maxTokens":${MAX_TOKENS_ACCEPTED + 1}}`, new RegExp(`maxTokens: must be at most ${MAX_TOKENS_ACCEPTED}`)],
  ["maxTokens as a string", '{"message":"hi","maxTokens":"100"}', /maxTokens/],
  ["temperature above 1", '{"message":"hi","temperature":1.5}', /temperature/],
  ["temperature below 0", '{"message":"hi","temperature":-0.1}', /temperature/],
  ["topP above 1", '{"message":"hi","topP":2}', /topP/],
  ["stopSequences not an array", '{"message":"hi","stopSequences":"END"}', /stopSequences/],
  ["an empty stop sequence", '{"message":"hi","stopSequences":[""]}', /stopSequences\[0\]/],
  ["too many stop sequences", JSON.stringify({ message: "hi", stopSequences: Array.from({ length: 9 }, (_, i) => `s${i}`) }), /stopSequences/],
  ["a stop sequence too long", JSON.stringify({ message: "hi", stopSequences: ["x".repeat(257)] }), /stopSequences\[0\]/],
];

describe("POST /stream input validation (400 naming the field)", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const post = (body: string) =>
    request(h.url, { method: "POST", path: "/stream", headers: { "Content-Type": "application/json" }, body });

  for (const [what, body] of NOT_JSON_OBJECT) {
    it(`rejects ${what} as invalid_json`, async () => {
      const before = h.fake.requests.length;
      assert.match(assertErrorBody(await post(body), 400, "invalid_json"), /not valid JSON/);
      assert.equal(h.fake.requests.length, before, "an invalid request never reaches Bedrock");
    });
  }

  for (const [what, body, says] of INVALID_BODIES) {
    it(`rejects ${what}`, async () => {
      const before = h.fake.requests.length;
      assert.match(assertErrorBody(await post(body), 400, "invalid_request"), says);
      assert.equal(h.fake.requests.length, before, "an invalid request never reaches Bedrock");
    });
  }

  it("reports malformed JSON as invalid_json without echoing the body", async () => {
    const reply = await post('{"message": "my secret prompt');
    assertErrorBody(reply, 400, "invalid_json");
    assert.doesNotMatch(reply.text, /secret/);
  });

  it("accepts a valid conversation with every optional field at its bounds", async () => {
    const reply = await request(h.url, {
      method: "POST",
      path: "/stream",
      body: {
        messages: [user("a"), assistant("b"), user("c")],
        system: "be brief",
        maxTokens: MAX_TOKENS_ACCEPTED,
        temperature: 0,
        topP: 1,
        stopSequences: Array.from({ length: 8 }, (_, i) => `${i}`.repeat(256)),
      },
    });
    assert.equal(reply.status, 200, reply.text);
  });
});
