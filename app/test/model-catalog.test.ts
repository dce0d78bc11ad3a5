import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { MAX_TOKENS_ACCEPTED } from "../src/formats/max-tokens";
import { modelInfo, reasoningFields, resolveModel } from "../src/models";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

/**
 * The model catalog (app/src/models): each model's limits and thinking form adapt requests, and every format
 * resolves names the same way. Over real sockets with the SDKs, against the local Bedrock stand-in.
 */

const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const OPUS = "global.anthropic.claude-opus-4-8";
const OLD_HAIKU = "us.anthropic.claude-3-5-haiku-20241022-v1:0";
const NOVA = "amazon.nova-pro-v1:0";
const ACME = "acme.model-x-v1:0";
const SERVED = [HAIKU, OPUS, OLD_HAIKU, NOVA, ACME];

describe("model catalog: thinking forms", () => {
  it("budget-only models get enabled + budget_tokens, the budget added on top of the answer's tokens", () => {
    const fields = reasoningFields(modelInfo(HAIKU), "medium", 1000);
    assert.deepEqual(fields, { additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 8192 } }, maxTokens: 9192 });
    // Within the model's limit: the budget stays below max_tokens.
    const max = reasoningFields(modelInfo(HAIKU), "max", 60_000);
    assert.equal(max.maxTokens, 64_000);
    assert.equal(max.additionalModelRequestFields?.thinking.type, "enabled");
    assert.ok((max.additionalModelRequestFields!.thinking as { budget_tokens: number }).budget_tokens < 64_000);
  });

  it("adaptive models get adaptive thinking and the effort, capped at the levels the model has", () => {
    const sonnet = modelInfo("anthropic.claude-sonnet-4-6");
    assert.equal(sonnet.thinking, "adaptive");
    assert.deepEqual(reasoningFields(sonnet, "high", 4000), {
      additionalModelRequestFields: { thinking: { type: "adaptive" } }, outputConfig: { effort: "high" }, maxTokens: 4000,
    });
    assert.equal(reasoningFields(sonnet, "xhigh", 4000).outputConfig?.effort, "high", "4.6 has no xhigh");
    assert.equal(reasoningFields(sonnet, "minimal", 4000).outputConfig?.effort, "low");
  });

  it("adaptive-only models get adaptive thinking with every effort level they have", () => {
    const opus = modelInfo(OPUS);
    assert.equal(opus.thinking, "adaptive-only");
    assert.deepEqual(reasoningFields(opus, "xhigh", 100_000), {
      additionalModelRequestFields: { thinking: { type: "adaptive" } }, outputConfig: { effort: "xhigh" }, maxTokens: 100_000,
    });
  });

  it("models without thinking, and effort none, get nothing", () => {
    assert.deepEqual(reasoningFields(modelInfo(OLD_HAIKU), "high", 100_000), { maxTokens: 8192 });
    assert.deepEqual(reasoningFields(modelInfo(NOVA), "low", 500), { maxTokens: 500 });
    assert.deepEqual(reasoningFields(modelInfo(OPUS), "none", 500), { maxTokens: 500 });
  });

  it("knows models by any profile prefix, and passes unknown ones with conservative defaults", () => {
    for (const id of ["anthropic.claude-opus-4-8", "us.anthropic.claude-opus-4-8", OPUS]) {
      assert.deepEqual([modelInfo(id).family, modelInfo(id).generation, modelInfo(id).known], ["claude-opus", "4.8", true]);
    }
    const unknown = modelInfo("us.acme.thing-v1:0");
    assert.deepEqual([unknown.known, unknown.thinking, unknown.foundationModelId], [false, "none", "acme.thing-v1:0"]);
    assert.equal(modelInfo("amazon.titan-embed-text-v2:0").kind, "embedding");
  });

  it("resolves names without a server: served, other route, public names, default, strict", () => {
    const ctx = { served: SERVED, aliases: {}, strict: false };
    assert.equal(resolveModel(undefined, ctx), HAIKU);
    assert.equal(resolveModel("anthropic.claude-opus-4-8", ctx), OPUS);
    assert.equal(resolveModel("claude-3-5-haiku-latest", ctx), OLD_HAIKU, "the same generation when served");
    assert.equal(resolveModel("haiku", ctx), HAIKU, "the family's first served model");
    assert.equal(resolveModel("sonnet", ctx), HAIKU, "an unserved family: the default");
    assert.throws(() => resolveModel("sonnet", { ...ctx, strict: true }), /"sonnet" is not served/);
  });
});

describe("model catalog over the wire", () => {
  let h: Harness;
  let anthropic: Anthropic;
  let openai: OpenAI;
  before(async () => {
    h = await startHarness({
      STAGE_PREFIX: "v1",
      MODEL_ID: HAIKU,
      ALLOWED_MODEL_IDS: SERVED.slice(1).join(","),
      MODEL_ALIASES: JSON.stringify({ "house-*": NOVA, "house-special": OPUS }),
      // Adds a model the built-in catalog does not know, and overrides one field of a known one.
      MODEL_CATALOG: JSON.stringify({ "acme.model-x*": { family: "acme", maxOutputTokens: 777 }, "amazon.nova-pro-v1*": { maxOutputTokens: 3000 } }),
    });
    // An explicit timeout lets the SDK send large non-streamed max_tokens (it refuses them on its default).
    anthropic = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "k", maxRetries: 0, timeout: 30_000 });
    openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "k", maxRetries: 0 });
  });
  after(() => h.close());

  const last = () => h.fake.requests.at(-1)!;
  /** What Bedrock was asked for: the native body's max_tokens (Claude on the Anthropic route), else Converse's. */
  const sentMaxTokens = () => last().body.max_tokens ?? last().body.inferenceConfig.maxTokens;
  const hi: Anthropic.MessageParam[] = [{ role: "user", content: "hi" }];

  it("clamps a 100,000-token max_tokens to each model's own limit, in every format", async () => {
    const limits: Array<[string, number]> = [[HAIKU, 64_000], [OPUS, 100_000], [OLD_HAIKU, 8192], [NOVA, 3000], [ACME, 777]];
    for (const [model, limit] of limits) {
      await anthropic.messages.create({ model, max_tokens: 100_000, messages: hi });
      assert.deepEqual([last().modelId, sentMaxTokens()], [model, limit], `anthropic ${model}`);
      await openai.chat.completions.create({ model, max_completion_tokens: 100_000, messages: [{ role: "user", content: "hi" }] });
      assert.deepEqual([last().modelId, last().body.inferenceConfig.maxTokens], [model, limit], `openai ${model}`);
    }
    // The NDJSON route always uses the default model.
    const ndjson = await request(h.url, { method: "POST", path: "/stream", body: { message: "hi", maxTokens: 100_000 } });
    assert.equal(ndjson.status, 200, ndjson.text);
    assert.deepEqual([last().modelId, last().body.inferenceConfig.maxTokens], [HAIKU, 64_000], "ndjson");
  });

  it("names the limit a max_tokens breaks (64,001 is accepted; 0, a fraction and a huge value are not)", async () => {
    await anthropic.messages.create({ model: HAIKU, max_tokens: 64_001, messages: hi });
    assert.equal(sentMaxTokens(), 64_000);
    const cases: Array<[unknown, RegExp]> = [
      [0, /max_tokens: must be at least 1/],
      [1.5, /max_tokens: must be an integer/],
      [MAX_TOKENS_ACCEPTED + 1, new RegExp(`max_tokens: must be at most ${MAX_TOKENS_ACCEPTED}`)],
      [undefined, /max_tokens: is required/],
    ];
    for (const [value, message] of cases) {
      const reply = await request(h.url, { method: "POST", path: "/v1/v1/messages", body: { model: HAIKU, max_tokens: value, messages: hi } });
      assert.equal(reply.status, 400);
      assert.match(reply.json().error.message, message);
    }
  });

  it("resolves Anthropic's public names to the served model of the family; the reply names the model that answered", async () => {
    const cases: Array<[string, string]> = [
      ["claude-opus-4-8", OPUS], ["opus", OPUS], ["claude-haiku-4-5-20251001", HAIKU], ["claude-3-5-haiku-20241022", OLD_HAIKU],
      ["claude-sonnet-4-6", HAIKU], ["house-blend", NOVA], ["house-special", OPUS],
    ];
    for (const [name, served] of cases) {
      const reply = await anthropic.messages.create({ model: name, max_tokens: 10, messages: hi });
      assert.deepEqual([reply.model, last().modelId], [served, served], name);
    }
    const chat = await openai.chat.completions.create({ model: "claude-opus-4-8", messages: [{ role: "user", content: "hi" }] });
    assert.equal(chat.model, OPUS, "every format resolves the same way");
  });
});

describe("model catalog: strictModels", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: OPUS, STRICT_MODELS: "true" });
  });
  after(() => h.close());

  it("answers an unserved family with 404 model_not_found naming it and listing the served models", async () => {
    const before = h.fake.requests.length;
    for (const [path, body] of [
      ["/v1/v1/messages", { model: "claude-sonnet-4-6", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }],
      ["/v1/chat/completions", { model: "claude-sonnet-4-6", messages: [{ role: "user", content: "hi" }] }],
    ] as const) {
      const reply = await request(h.url, { method: "POST", path, body });
      assert.equal(reply.status, 404, path);
      const message: string = reply.json().error.message;
      assert.match(message, /"claude-sonnet-4-6" is not served/);
      assert.ok(message.includes(HAIKU) && message.includes(OPUS), message);
    }
    assert.equal(h.fake.requests.length, before, "Bedrock is not called");
    const family = await request(h.url, { method: "POST", path: "/v1/chat/completions", body: { model: "opus", messages: [{ role: "user", content: "hi" }] } });
    assert.equal(family.json().model, OPUS, "a served family still resolves under strictModels");
  });
});
