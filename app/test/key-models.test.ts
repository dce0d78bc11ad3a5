import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { createChaos } from "../local/chaos";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import type { ApiKeys } from "../src/usage/keys";
import { type Harness, startHarness } from "./helpers/harness";
import { parseLines, postStream, request } from "./helpers/http-client";

const SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"; // the deployment's default
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const TITAN = "amazon.titan-embed-text-v2:0";
const KEYS: ApiKeys = {
  "key-id-intern": { name: "intern", models: ["*haiku*"] },
  "key-id-routed": { name: "routed", models: ["anthropic.claude-haiku-4-5*", "amazon.titan-embed-*"] },
  "key-id-ops": { name: "ops" },
  "key-id-nova": { name: "nova", models: ["amazon.nova-*"] },
};
const INTERN_SAYS = `This API key may not call the model "${SONNET}"; it may call models matching: *haiku*`;
const as = (keyId: string) => ({ [GATEWAY_API_KEY_ID_HEADER]: keyId });

/** Per-key `models`: checked on the resolved model, in every format, by each format's real client where it has one. */
describe("per-key model access", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      STAGE_PREFIX: "v1", MODEL_ID: SONNET, ALLOWED_MODEL_IDS: HAIKU, EMBEDDING_MODEL_IDS: TITAN,
      API_KEYS: JSON.stringify(KEYS), MODEL_ALIASES: JSON.stringify({ "team-best": SONNET }),
    });
    h.fake.setScenario({ steps: [{ text: "Hi" }], usage: { inputTokens: 5, outputTokens: 1 } });
  });
  after(() => h.close());
  const openai = (keyId: string) => new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0, defaultHeaders: as(keyId) });
  const anthropic = (keyId: string) => new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "local", maxRetries: 0, defaultHeaders: as(keyId) });
  const calls = () => h.fake.requests.length;
  const failure = (promise: Promise<unknown>) => promise.then(() => assert.fail("expected a refusal"), (err: unknown) => err);

  for (const stream of [false, true]) {
    it(`OpenAI chat (stream: ${stream}): PermissionDeniedError naming the model and the key's own patterns; Bedrock not called`, async () => {
      const before = calls();
      const err = await failure(openai("key-id-intern").chat.completions.create({ model: SONNET, stream, messages: [{ role: "user", content: "hi" }] }));
      assert.ok(err instanceof OpenAI.PermissionDeniedError, String(err));
      assert.equal(err.code, "model_not_allowed");
      assert.equal(err.param, "model");
      assert.equal(err.message, `403 ${INTERN_SAYS}`);
      assert.equal(calls(), before);
    });
  }

  it("OpenAI Responses: PermissionDeniedError", async () => {
    const err = await failure(openai("key-id-intern").responses.create({ model: SONNET, input: "hi" }));
    assert.ok(err instanceof OpenAI.PermissionDeniedError, String(err));
    assert.equal(err.code, "model_not_allowed");
  });

  for (const stream of [false, true]) {
    it(`Anthropic Messages (stream: ${stream}): a Claude name resolving to Sonnet is a PermissionDeniedError (permission_error)`, async () => {
      const err = await failure(anthropic("key-id-intern").messages.create({
        model: "claude-sonnet-4-5", max_tokens: 20, stream, messages: [{ role: "user", content: "hi" }],
      }));
      assert.ok(err instanceof Anthropic.PermissionDeniedError, String(err));
      assert.deepEqual(err.error, { type: "error", error: { type: "permission_error", message: INTERN_SAYS } });
    });
  }

  it("Anthropic count_tokens is checked the same way; an allowed model counts", async () => {
    const params = { model: SONNET, messages: [{ role: "user" as const, content: "hi" }] };
    const err = await failure(anthropic("key-id-intern").messages.countTokens(params));
    assert.ok(err instanceof Anthropic.PermissionDeniedError, String(err));
    const counted = await anthropic("key-id-intern").messages.countTokens({ ...params, model: HAIKU });
    assert.ok(counted.input_tokens > 0);
  });

  it("an alias is checked on the model it resolves to", async () => {
    const err = await failure(openai("key-id-intern").chat.completions.create({ model: "team-best", messages: [{ role: "user", content: "hi" }] }));
    assert.ok(err instanceof OpenAI.PermissionDeniedError, String(err));
    assert.equal(err.message, `403 ${INTERN_SAYS}`);
    const ops = await openai("key-id-ops").chat.completions.create({ model: "team-best", messages: [{ role: "user", content: "hi" }] });
    assert.equal(ops.model, SONNET);
  });

  it("NDJSON (no model field): the key's first allowed model answers; a key allowed none gets the native 403 body", async () => {
    const refused = await postStream(h.url, { message: "hi" }, { headers: as("key-id-nova") });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json(), {
      error: { code: "model_not_allowed", message: `This API key may not call the model "${SONNET}"; it may call models matching: amazon.nova-*` },
    });
    const served = await postStream(h.url, { message: "hi" }, { headers: as("key-id-intern") });
    assert.equal(served.status, 200);
    assert.equal(parseLines(served.text).at(-1).model, HAIKU);
    const ops = await postStream(h.url, { message: "hi" }, { headers: as("key-id-ops") });
    assert.equal(parseLines(ops.text).at(-1).model, SONNET);
  });

  it("a foundation-model pattern matches the model on any route (its inference profile included)", async () => {
    const reply = await openai("key-id-routed").chat.completions.create({ model: HAIKU, messages: [{ role: "user", content: "hi" }] });
    assert.equal(reply.model, HAIKU);
    const err = await failure(openai("key-id-routed").chat.completions.create({ model: SONNET, messages: [{ role: "user", content: "hi" }] }));
    assert.ok(err instanceof OpenAI.PermissionDeniedError);
    assert.match(err.message, /it may call models matching: anthropic\.claude-haiku-4-5\*, amazon\.titan-embed-\*$/);
    assert.doesNotMatch(err.message, /\*haiku\*/, "another key's patterns are not shown");
  });

  it("embeddings: a model outside the key's patterns is a PermissionDeniedError; an allowed one embeds", async () => {
    const err = await failure(openai("key-id-intern").embeddings.create({ model: TITAN, input: "hi" }));
    assert.ok(err instanceof OpenAI.PermissionDeniedError, String(err));
    assert.equal(err.code, "model_not_allowed");
    const ok = await openai("key-id-routed").embeddings.create({ model: TITAN, input: "hi" });
    assert.equal(ok.data.length, 1);
  });

  it("GET /models lists only the models the key may call; retrieving another is a 404", async () => {
    const ids = async (keyId: string) => (await openai(keyId).models.list()).data.map((m) => m.id);
    assert.deepEqual(await ids("key-id-intern"), [HAIKU]);
    assert.deepEqual(await ids("key-id-routed"), [HAIKU, TITAN]);
    assert.deepEqual(await ids("key-id-ops"), [SONNET, HAIKU, TITAN]);
    assert.equal((await openai("key-id-intern").models.retrieve(HAIKU)).id, HAIKU);
    const err = await failure(openai("key-id-intern").models.retrieve(SONNET));
    assert.ok(err instanceof OpenAI.NotFoundError, String(err));
    const raw = await request(h.url, { path: "/v1/models", headers: as("key-id-intern") });
    assert.doesNotMatch(raw.text, /sonnet|titan/);
  });
});

describe("per-key model access and fallbacks", () => {
  let h: Harness;
  after(() => h.close());

  it("a fallback never moves a key's request to a model it may not call", async () => {
    h = await startHarness({
      MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: SONNET, MODEL_FALLBACKS: JSON.stringify({ [HAIKU]: [SONNET] }),
      UPSTREAM_MAX_ATTEMPTS: "1", CIRCUIT_THROTTLES: "0", API_KEYS: JSON.stringify(KEYS),
    });
    h.fake.setScenario(createChaos({ throttleEveryAttempt: { [HAIKU]: 1 } }).source({ steps: [{ text: "Hi" }], usage: { inputTokens: 5, outputTokens: 1 } }));
    const intern = await postStream(h.url, { message: "first" }, { headers: as("key-id-intern") });
    assert.equal(intern.status, 429);
    assert.deepEqual(h.fake.requests.map((r) => r.modelId), [HAIKU]);
    // Without `models` the same request falls back: the chain itself is there.
    const ops = await postStream(h.url, { message: "second" }, { headers: as("key-id-ops") });
    assert.equal(parseLines(ops.text).at(-1).model, SONNET);
  });
});
