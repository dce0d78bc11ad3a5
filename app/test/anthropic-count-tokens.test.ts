import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

/** `POST /v1/messages/count_tokens` through Bedrock's CountTokens, with the real SDK's `messages.countTokens()`. */
/** CountTokens' `input.invokeModel.body`: the native body, base64 in the JSON. */
const invokeBody = (call: { body: any }) => JSON.parse(Buffer.from(call.body.input.invokeModel.body, "base64").toString("utf8"));

describe("Anthropic count_tokens", () => {
  let h: Harness;
  let client: Anthropic;
  let model: string;
  before(async () => {
    // Strict: a name no served model answers to is a 404 (docs/configuration.md).
    h = await startHarness({ STAGE_PREFIX: "v1", STRICT_MODELS: "true" });
    client = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "test-key", maxRetries: 0 });
    model = h.config.modelId;
  });
  after(() => h.close());

  it("counts the whole request (system, tools, messages, cache points) with CountTokens on the profile's model", async () => {
    h.fake.setScenario({ countTokens: 1234 });
    const counted = await client.messages.countTokens({
      model,
      system: [{ type: "text", text: "Rules", cache_control: { type: "ephemeral" } }],
      tools: [{ name: "lookup", description: "Find things", input_schema: { type: "object" } }],
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [{ role: "user", content: "How many tokens is this?" }],
    });
    assert.deepEqual(counted, { input_tokens: 1234 });
    const call = h.fake.requests.at(-1)!;
    assert.equal(call.operation, "count-tokens");
    // CountTokens takes a foundation model: the global profile's model is counted.
    assert.equal(call.modelId, model.replace(/^global\./, ""));
    // Claude counts the native body, as the native path would send it (max_tokens: the model's limit).
    assert.deepEqual(invokeBody(call), {
      anthropic_version: "bedrock-2023-05-31",
      system: [{ type: "text", text: "Rules", cache_control: { type: "ephemeral" } }],
      tools: [{ name: "lookup", description: "Find things", input_schema: { type: "object" } }],
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [{ role: "user", content: "How many tokens is this?" }],
      max_tokens: 64_000,
    });
  });

  it("beta.messages.countTokens (what Claude Code calls) is counted: its token-counting beta asks for this very route", async () => {
    h.fake.setScenario({ countTokens: 42 });
    // The SDK adds `anthropic-beta: token-counting-2024-11-01` to every beta count, next to the caller's own betas.
    const counted = await client.beta.messages.countTokens({
      model,
      betas: ["interleaved-thinking-2025-05-14"],
      messages: [{ role: "user", content: "How many?" }],
    });
    assert.deepEqual(counted, { input_tokens: 42 });
    const call = h.fake.requests.at(-1)!;
    assert.equal(call.operation, "count-tokens");
    assert.deepEqual(invokeBody(call).anthropic_beta, ["interleaved-thinking-2025-05-14"], "the counting beta is dropped");
  });

  it("a model without token counting -> 400 invalid_request_error that says so", async () => {
    h.fake.setScenario({ error: { type: "ValidationException", message: "The provided model doesn't support counting tokens." } });
    await assert.rejects(client.messages.countTokens({ model, messages: [{ role: "user", content: "x" }] }), (err: unknown) => {
      assert.ok(err instanceof Anthropic.BadRequestError, String(err));
      assert.equal(err.type, "invalid_request_error");
      assert.match(err.message, /Token counting is not available for the model/);
      return true;
    });
  });

  it("other Bedrock failures keep their status and type; the body is validated like /v1/messages minus generation", async () => {
    h.fake.setScenario({ error: { type: "ThrottlingException" } });
    await assert.rejects(client.messages.countTokens({ model, messages: [{ role: "user", content: "x" }] }), Anthropic.RateLimitError);
    const before = h.fake.requests.length;
    const refused = await request(h.url, {
      method: "POST",
      path: "/v1/messages/count_tokens",
      body: { model, max_tokens: 10, messages: [{ role: "user", content: "x" }] },
    });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.json(), { type: "error", error: { type: "invalid_request_error", message: "max_tokens: unknown field" } });
    const unknownModel = await request(h.url, {
      method: "POST",
      path: "/v1/v1/messages/count_tokens",
      body: { model: "nope", messages: [{ role: "user", content: "x" }] },
    });
    assert.equal(unknownModel.status, 404);
    assert.equal(unknownModel.json().error.type, "not_found_error");
    assert.equal(h.fake.requests.length, before, "nothing reached Bedrock");
  });
});
