import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import type { ApiKeys } from "../src/usage/keys";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

const SONNET = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"; // the default
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const NOVA = "us.amazon.nova-lite-v1:0";
const UNKNOWN = "acme.brand-new-model-v1:0";
const TITAN = "amazon.titan-embed-text-v2:0";
const KEYS: ApiKeys = { "key-id-intern": { name: "intern", models: ["*haiku*"] }, "key-id-ops": { name: "ops" } };
const EPOCH = "1970-01-01T00:00:00Z";

/** `GET /v1/models` and `GET /v1/models/{id}` with the real `@anthropic-ai/sdk` (`client.models`). */
describe("Anthropic models: list (paginated), retrieve, per-key filter", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      STAGE_PREFIX: "v1", MODEL_ID: SONNET, ALLOWED_MODEL_IDS: `${HAIKU},${NOVA},${UNKNOWN}`, EMBEDDING_MODEL_IDS: TITAN,
      API_KEYS: JSON.stringify(KEYS), MODEL_ALIASES: JSON.stringify({ "team-best": SONNET }),
    });
  });
  after(() => h.close());
  // The stage URL as deployed (`<url>/v1`, the SDK adds `/v1/models`) and as local mode documents it (no `/v1`: the
  // app then sees `/v1/models`, OpenAI's `/models` under the stage too).
  const client = (keyId = "key-id-ops", baseURL = h.url) =>
    new Anthropic({ baseURL, apiKey: "local", maxRetries: 0, defaultHeaders: { [GATEWAY_API_KEY_ID_HEADER]: keyId } });
  const all = async (c: Anthropic, params: Anthropic.ModelListParams = {}) => {
    const ids: string[] = [];
    for await (const model of c.models.list(params)) ids.push(model.id);
    return ids;
  };
  const failure = (promise: Promise<unknown>) => promise.then(() => assert.fail("expected a refusal"), (err: unknown) => err);

  it("lists the served chat models (the default first, no embedding model) as ModelInfo, at both base URLs", async () => {
    for (const baseURL of [h.url, `${h.url}/v1`]) {
      const page = await client("key-id-ops", baseURL).models.list();
      assert.deepEqual(page.data, [
        { type: "model", id: SONNET, display_name: "Claude Sonnet 4.5", created_at: EPOCH, max_input_tokens: 200_000, max_tokens: 64_000 },
        { type: "model", id: HAIKU, display_name: "Claude Haiku 4.5", created_at: EPOCH, max_input_tokens: 200_000, max_tokens: 64_000 },
        { type: "model", id: NOVA, display_name: "Nova Lite 1", created_at: EPOCH, max_input_tokens: 300_000, max_tokens: 10_000 },
        // Not in the catalog: no limits are claimed for it.
        { type: "model", id: UNKNOWN, display_name: UNKNOWN, created_at: EPOCH, max_input_tokens: null, max_tokens: null },
      ], baseURL);
      assert.deepEqual([page.has_more, page.first_id, page.last_id], [false, SONNET, UNKNOWN]);
    }
  });

  it("pages by limit, after_id and before_id; the SDK's iterator walks every page", async () => {
    assert.deepEqual(await all(client(), { limit: 1 }), [SONNET, HAIKU, NOVA, UNKNOWN]);
    const first = await client().models.list({ limit: 3 });
    assert.deepEqual([first.data.map((m) => m.id), first.has_more, first.last_id], [[SONNET, HAIKU, NOVA], true, NOVA]);
    const next = await first.getNextPage();
    assert.deepEqual([next.data.map((m) => m.id), next.has_more], [[UNKNOWN], false]);
    const before = await client().models.list({ before_id: NOVA, limit: 1 });
    assert.deepEqual([before.data.map((m) => m.id), before.has_more, before.first_id], [[HAIKU], true, HAIKU]);
    // Backwards: the page before UNKNOWN ([HAIKU, NOVA]), then the one before its first ID.
    assert.deepEqual(await all(client(), { before_id: UNKNOWN, limit: 2 }), [HAIKU, NOVA, SONNET]);
  });

  it("refuses a bad limit or an unknown cursor with a 400 in Anthropic's shape, naming the parameter", async () => {
    for (const [params, named] of [[{ limit: 0 }, /limit/], [{ limit: 1001 }, /limit/], [{ after_id: "nope" }, /after_id: "nope"/]] as const) {
      const err = await failure(client().models.list(params));
      assert.ok(err instanceof Anthropic.BadRequestError, String(err));
      const { error } = err.error as { error: { type: string; message: string } };
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, named);
    }
    // lifecycle is accepted and ignored: every served model is active.
    const raw = await request(h.url, { path: "/v1/models?lifecycle=active&lifecycle=deprecated", headers: { "anthropic-version": "2023-06-01" } });
    assert.equal(raw.json().data.length, 4);
  });

  it("retrieve takes a served ID, an alias or a Claude name, and answers the served model", async () => {
    assert.equal((await client().models.retrieve(HAIKU)).display_name, "Claude Haiku 4.5");
    assert.equal((await client().models.retrieve("team-best")).id, SONNET);
    assert.equal((await client().models.retrieve("claude-haiku-4-5")).id, HAIKU);
    assert.equal((await client().models.retrieve("sonnet")).id, SONNET);
    assert.equal((await client("key-id-ops", `${h.url}/v1`).models.retrieve(NOVA)).id, NOVA);
  });

  it("an unknown model, a family not served or an embedding model is a NotFoundError (not_found_error), never the default", async () => {
    for (const name of ["claude-opus-4-8", "gpt-4o", TITAN]) {
      const err = await failure(client().models.retrieve(name));
      assert.ok(err instanceof Anthropic.NotFoundError, `${name}: ${String(err)}`);
      const body = err.error as { type: string; error: { type: string; message: string } };
      assert.equal(body.type, "error");
      assert.equal(body.error.type, "not_found_error");
      assert.ok(body.error.message.includes(name), body.error.message);
    }
  });

  it("a key with models sees only those: listed, retrievable, and a 404 that names no other model", async () => {
    assert.deepEqual(await all(client("key-id-intern")), [HAIKU]);
    assert.equal((await client("key-id-intern").models.retrieve("claude-haiku-4-5")).id, HAIKU);
    for (const name of [SONNET, "team-best", "claude-sonnet-4-5"]) {
      const err = await failure(client("key-id-intern").models.retrieve(name));
      assert.ok(err instanceof Anthropic.NotFoundError, `${name}: ${String(err)}`);
      assert.ok(err.message.includes(HAIKU), "it lists what the key may call");
      assert.ok(!err.message.includes(NOVA) && (name === SONNET || !err.message.includes(SONNET)), err.message);
    }
  });

  it("without anthropic-version, /v1/models under the stage v1 stays OpenAI's list", async () => {
    const openai = await request(h.url, { path: "/v1/models" });
    assert.equal(openai.json().object, "list");
    assert.ok(openai.json().data.some((m: { id: string }) => m.id === TITAN));
    const one = await request(h.url, { path: `/v1/models/${encodeURIComponent(TITAN)}` });
    assert.equal(one.json().object, "model");
  });
});

describe("Anthropic models under another stage name", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "prod", MODEL_ID: SONNET });
  });
  after(() => h.close());

  it("/v1/models is Anthropic's alone, with or without anthropic-version; /prod/models stays OpenAI's", async () => {
    const bare = await request(h.url, { path: "/v1/models" });
    assert.deepEqual([bare.status, bare.json().data[0].type, bare.json().has_more], [200, "model", false]);
    const staged = await request(h.url, { path: "/prod/v1/models/claude-sonnet-4-5" });
    assert.equal(staged.json().id, SONNET);
    assert.equal((await request(h.url, { path: "/prod/models" })).json().object, "list");
  });
});
