import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

const MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const OTHER_MODEL = "us.amazon.nova-lite-v1:0";
const TITAN = "amazon.titan-embed-text-v2:0";
const COHERE = "cohere.embed-v4:0";

/** `GET /models`, `GET /models/{id}` and the kinds of model, with the real `openai` SDK (and Anthropic's for its route). */
describe("OpenAI models: list with kinds, retrieve one, each kind on its own routes", () => {
  let h: Harness;
  let client: OpenAI;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: MODEL, ALLOWED_MODEL_IDS: OTHER_MODEL, EMBEDDING_MODEL_IDS: `${TITAN},${COHERE}` });
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
  });
  after(() => h.close());

  it("lists every model with its kind, chat models first (the default first)", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    assert.deepEqual(models.map((m) => [m.id, (m as unknown as { kind: string }).kind, m.owned_by]), [
      [MODEL, "chat", "anthropic"],
      [OTHER_MODEL, "chat", "amazon"],
      [TITAN, "embedding", "amazon"],
      [COHERE, "embedding", "cohere"],
    ]);
  });

  it("models.retrieve(id) answers OpenAI's model object, ids with ':' and '.' included, with or without the stage", async () => {
    // context_window and max_output_tokens: the catalog's (models-list-catalog.test.ts).
    assert.deepEqual(await client.models.retrieve(MODEL),
      { id: MODEL, object: "model", created: 0, owned_by: "anthropic", kind: "chat", context_window: 200_000, max_output_tokens: 64_000 });
    assert.deepEqual(await client.models.retrieve(COHERE),
      { id: COHERE, object: "model", created: 0, owned_by: "cohere", kind: "embedding", context_window: 128_000 });
    const direct = await request(h.url, { method: "GET", path: `/models/${encodeURIComponent(TITAN)}` });
    assert.equal(direct.status, 200);
    assert.equal(direct.json().kind, "embedding");
  });

  it("an unknown model is a 404 in OpenAI's shape (NotFoundError), naming it", async () => {
    const error = await client.models.retrieve("gpt-4o").catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.NotFoundError, String(error));
    assert.equal(error.code, "model_not_found");
    assert.equal(error.type, "invalid_request_error");
    assert.equal(error.param, "model");
    assert.match(error.message, /gpt-4o/);
    const raw = await request(h.url, { method: "GET", path: "/v1/models/nope" });
    assert.deepEqual(Object.keys(raw.json().error).sort(), ["code", "message", "param", "type"]);
  });

  it("an embedding model on a chat route is a 400 saying where it belongs; Bedrock is not called", async () => {
    const before = h.fake.requests.length;
    const error = await client.chat.completions.create({ model: TITAN, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.BadRequestError, String(error));
    assert.equal(error.code, "wrong_model_kind");
    assert.equal(error.param, "model");
    assert.match(error.message, /embedding model: use POST \/embeddings/);
    const anthropic = new Anthropic({ baseURL: h.url, apiKey: "sk-local", maxRetries: 0 });
    const viaMessages = await anthropic.messages.create({ model: COHERE, max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    assert.ok(viaMessages instanceof Anthropic.BadRequestError, String(viaMessages));
    assert.match(viaMessages.message, /embedding model/);
    assert.equal(h.fake.requests.length, before);
  });
});
