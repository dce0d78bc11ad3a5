import assert from "node:assert/strict";
import OpenAI from "openai";
import { RESPONSES_PATH } from "../src/runtime-contract";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

/** `data:` lines of a Responses stream, parsed, with the event name each was sent under. */
function sseEvents(text: string): Array<{ event: string; data: any }> {
  return text.split("\n\n").filter((frame) => frame.startsWith("event: ")).map((frame) => {
    const [eventLine, dataLine] = frame.split("\n");
    return { event: eventLine.slice("event: ".length), data: JSON.parse(dataLine.slice("data: ".length)) };
  });
}

/**
 * Failures on `POST /responses`: OpenAI's error body before the stream starts, `response.failed` (numbered in the
 * stream's sequence) after it; the fields that would silently change a result are a 400 naming them, the rest of
 * what OpenAI defines is accepted and ignored. Raw HTTP, so the exact bytes are seen.
 */
describe("OpenAI Responses API: errors and accepted fields", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());
  const post = (body: object) => request(h.url, { method: "POST", path: RESPONSES_PATH, body });

  it("previous_response_id is a 400 in OpenAI's shape that says to send the whole input", async () => {
    const before = h.fake.requests.length;
    const reply = await post({ input: "hi", previous_response_id: "resp_123" });
    assert.equal(reply.status, 400);
    const { error } = reply.json();
    assert.equal(error.type, "invalid_request_error");
    assert.equal(error.param, "previous_response_id");
    assert.match(error.message, /send the whole conversation in input/);
    assert.equal(h.fake.requests.length, before, "Bedrock was not called");
  });

  it("refuses what would change the result: log probabilities, background mode, item references", async () => {
    assert.equal((await post({ input: "hi", top_logprobs: 2 })).json().error.param, "top_logprobs");
    assert.equal((await post({ input: "hi", include: ["message.output_text.logprobs"] })).json().error.param, "include");
    assert.equal((await post({ input: "hi", background: true })).json().error.param, "background");
    const reference = await post({ input: [{ role: "user", content: "hi" }, { type: "item_reference", id: "msg_1" }] });
    assert.equal(reference.status, 400);
    assert.equal(reference.json().error.param, "input[1]");
  });

  it("a malformed item is a 400 naming its field; an unknown item kind is skipped", async () => {
    const bad = await post({ input: [{ role: "user", content: "hi" }, { type: "function_call", name: "f", arguments: "{}" }] });
    assert.equal(bad.status, 400);
    assert.equal(bad.json().error.param, "input[1].call_id");
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const skipped = await post({ input: [{ role: "user", content: "hi" }, { type: "web_search_call", id: "ws_1", status: "completed" }] });
    assert.equal(skipped.status, 200);
    assert.deepEqual(h.fake.requests.at(-1)!.body.messages, [{ role: "user", content: [{ text: "hi" }] }]);
  });

  it("accepts and ignores what means nothing here (store, metadata, prompt_cache_key, client_metadata, truncation, service_tier, ...)", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const reply = await post({
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "hi" }], id: "msg_x", status: "completed" }],
      store: false, metadata: { a: "b" }, prompt_cache_key: "k", client_metadata: { x: 1 }, truncation: "auto",
      service_tier: "auto", safety_identifier: "user-1", stream_options: { include_obfuscation: false }, max_tool_calls: 3,
      text: { verbosity: "high" }, reasoning: { summary: "auto" }, include: ["reasoning.encrypted_content", "web_search_call.action.sources"],
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.json().output[0].content[0].text, "ok");
    assert.equal(reply.json().text.verbosity, "high");
  });

  it("a Bedrock refusal before the stream is the status with OpenAI's error body (the SDK raises RateLimitError)", async () => {
    h.fake.setScenario({ error: { type: "ThrottlingException", message: "Too many requests" } });
    const client = new OpenAI({ baseURL: h.url, apiKey: "sk-local", maxRetries: 0 });
    const err = await client.responses.create({ model: h.config.modelId, input: "hi", stream: true }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.RateLimitError, String(err));
    assert.equal((err as InstanceType<typeof OpenAI.RateLimitError>).code, "throttled");
  });

  it("a failure after the stream began ends it with response.failed, next in the sequence, after the items so far", async () => {
    h.fake.setScenario({ steps: [{ text: "Partial" }, { exception: "modelStreamErrorException", message: "boom" }] });
    const reply = await post({ input: "hi", stream: true });
    assert.equal(reply.status, 200);
    const events = sseEvents(reply.text);
    const failed = events.at(-1)!;
    assert.equal(failed.event, "response.failed");
    assert.equal(failed.data.type, "response.failed");
    assert.deepEqual(events.map((event) => event.data.sequence_number), events.map((_, index) => index));
    assert.equal(failed.data.response.status, "failed");
    assert.equal(failed.data.response.error.code, "model_stream_error");
    assert.deepEqual(failed.data.response.output.map((item: any) => item.content[0].text), ["Partial"]);
    assert.ok(!events.some((event) => event.event === "response.completed"));
    const log = await h.logFor(reply.headers["x-request-id"] as string);
    assert.equal(log.format, "responses");
    assert.equal(log.errorCode, "model_stream_error");
  });
});
