import assert from "node:assert/strict";
import OpenAI from "openai";
import { type Harness, startHarness } from "./helpers/harness";

/**
 * `GET /models` is fed by the model catalog (issue 21 item 4): each chat model states its context window and its
 * output limit as the catalog has them, a `modelCatalog` entry included; an embedding model its input window.
 */
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const OPUS = "global.anthropic.claude-opus-4-8";
const ACME = "acme.model-x-v1:0";
const TITAN = "amazon.titan-embed-text-v2:0";

type Listed = OpenAI.Models.Model & { kind: string; context_window?: number; max_output_tokens?: number };

describe("GET /models: what the catalog says of each model", () => {
  let h: Harness;
  let client: OpenAI;
  before(async () => {
    h = await startHarness({
      STAGE_PREFIX: "v1", MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: `${OPUS},${ACME}`, EMBEDDING_MODEL_IDS: TITAN,
      MODEL_CATALOG: JSON.stringify({ "acme.model-x*": { family: "acme", maxOutputTokens: 777, contextWindow: 32_000 } }),
    });
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
  });
  after(() => h.close());

  it("lists each chat model's context window and output limit, and an embedding model's window", async () => {
    const listed: Listed[] = [];
    for await (const model of client.models.list()) listed.push(model as Listed);
    assert.deepEqual(listed.map((m) => [m.id, m.context_window, m.max_output_tokens]), [
      [HAIKU, 200_000, 64_000],
      [OPUS, 1_000_000, 128_000],
      [ACME, 32_000, 777],
      [TITAN, 8192, undefined],
    ]);
  });

  it("models.retrieve(id) states the same", async () => {
    const opus = (await client.models.retrieve(OPUS)) as Listed;
    assert.deepEqual([opus.context_window, opus.max_output_tokens], [1_000_000, 128_000]);
  });
});
