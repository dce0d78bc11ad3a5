import assert from "node:assert/strict";
import { OpenAIEmbeddings } from "@langchain/openai";
import OpenAI from "openai";
import { embedText } from "../local/embeddings";
import { EMBEDDING_CONCURRENCY } from "../src/formats/openai/embeddings-handler";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const CHAT = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const TITAN = "amazon.titan-embed-text-v2:0";
const COHERE = "cohere.embed-v4:0";

const near = (actual: readonly number[], expected: readonly number[]) =>
  assert.ok(actual.length === expected.length && actual.every((value, i) => Math.abs(value - expected[i]) < 1e-6), "same vector");

/**
 * `POST /embeddings` with real clients (the openai SDK, LangChain's OpenAIEmbeddings) against the service and the
 * local stand-in's InvokeModel embeddings, metered in the usage table (dynalite) like chat input tokens.
 */
describe("OpenAI embeddings on Bedrock's embedding models", () => {
  let h: UsageHarness;
  let client: OpenAI;
  before(async () => {
    h = await startUsageHarness({ env: { STAGE_PREFIX: "v1", MODEL_ID: CHAT, EMBEDDING_MODEL_IDS: `${TITAN},${COHERE}` } });
    client = new OpenAI({
      baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0, defaultHeaders: { [GATEWAY_API_KEY_ID_HEADER]: "key-id-bob" },
    });
  });
  after(() => h.close());
  const invokes = () => h.fake.requests.filter((r) => r.operation === "invoke");

  it("embeddings.create with the SDK's default (base64): Titan, one InvokeModel per text, vectors decoded in order", async () => {
    const before = invokes().length;
    const texts = ["red apples", "green pears", "blue sky"];
    const reply = await client.embeddings.create({ model: TITAN, input: texts });
    assert.equal(reply.object, "list");
    assert.equal(reply.model, TITAN);
    assert.deepEqual(reply.data.map((item) => item.index), [0, 1, 2]);
    texts.forEach((text, i) => near(reply.data[i].embedding, embedText(text, 1024)));
    const calls = invokes().slice(before);
    assert.equal(calls.length, 3);
    assert.deepEqual(calls.map((c) => c.body.inputText).sort(), [...texts].sort());
    assert.ok(calls.every((c) => c.modelId === TITAN));
    assert.ok(reply.usage.prompt_tokens > 0);
    assert.equal(reply.usage.total_tokens, reply.usage.prompt_tokens);
  });

  it("float with dimensions: Titan's dimensions, Cohere's output_dimension", async () => {
    const titan = await client.embeddings.create({ model: TITAN, input: "hello world", encoding_format: "float", dimensions: 256 });
    assert.equal(titan.data[0].embedding.length, 256);
    near(titan.data[0].embedding, embedText("hello world", 256));
    assert.equal(invokes().at(-1)!.body.dimensions, 256);
    const cohere = await client.embeddings.create({ model: COHERE, input: ["a", "b"], encoding_format: "float", dimensions: 512 });
    assert.deepEqual(cohere.data.map((d) => d.embedding.length), [512, 512]);
    assert.deepEqual(invokes().at(-1)!.body, { texts: ["a", "b"], input_type: "search_document", embedding_types: ["float"], output_dimension: 512 });
  });

  it("Cohere takes batches of at most 96; Titan's calls run at most a bounded number at once", async () => {
    const before = invokes().length;
    const texts = Array.from({ length: 100 }, (_, i) => `text number ${i}`);
    const reply = await client.embeddings.create({ model: COHERE, input: texts, encoding_format: "float" });
    assert.equal(reply.data.length, 100);
    near(reply.data[99].embedding, embedText("text number 99", 1536));
    assert.deepEqual(invokes().slice(before).map((c) => c.body.texts.length).sort(), [4, 96]);

    h.fake.setScenario({ headersDelayMs: 20 });
    const many = Array.from({ length: 3 * EMBEDDING_CONCURRENCY }, (_, i) => `t${i}`);
    const start = invokes().length;
    await client.embeddings.create({ model: TITAN, input: many });
    h.fake.setScenario({});
    const calls = invokes().slice(start);
    assert.equal(calls.length, many.length);
    // At most EMBEDDING_CONCURRENCY calls were open at any arrival.
    for (const arriving of calls) {
      const open = calls.filter((c) => c.receivedAt <= arriving.receivedAt && (c.closedAt ?? Infinity) > arriving.receivedAt);
      assert.ok(open.length <= EMBEDDING_CONCURRENCY, `${open.length} open at once`);
    }
  });

  it("is metered against the key's budget like input tokens", async () => {
    const reply = await client.embeddings.create({ model: COHERE, input: ["count these tokens please"], encoding_format: "float" });
    await h.charged();
    const usage = await h.usageOf("key-id-bob");
    assert.ok(reply.usage.prompt_tokens > 0);
    assert.ok(usage.day.inputTokens >= reply.usage.prompt_tokens);
    const logs = h.logs.filter((line) => line.route === "/embeddings" && line.status === 200);
    assert.equal(logs.at(-1)!.model, COHERE);
  });

  it("a key over its budget gets 429 before Bedrock is called", async () => {
    const alice = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0, defaultHeaders: { [GATEWAY_API_KEY_ID_HEADER]: "key-id-alice" } });
    const long = "word ".repeat(120);
    await alice.embeddings.create({ model: TITAN, input: long });
    await h.charged();
    const before = invokes().length;
    const error = await alice.embeddings.create({ model: TITAN, input: "again" }).catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.RateLimitError, String(error));
    assert.equal(error.code, "token_budget_exceeded");
    assert.equal(invokes().length, before);
  });

  it("LangChain's OpenAIEmbeddings: embedDocuments and embedQuery", async () => {
    const embeddings = new OpenAIEmbeddings({ model: TITAN, apiKey: "sk-local", configuration: { baseURL: `${h.url}/v1` }, maxRetries: 0 });
    const documents = await embeddings.embedDocuments(["cats purr", "dogs bark"]);
    assert.equal(documents.length, 2);
    near(documents[1], embedText("dogs bark", 1024));
    near(await embeddings.embedQuery("cats purr"), documents[0]);
  });

  describe("refusals: 400 in OpenAI's shape, naming the field, Bedrock never called", () => {
    const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
      ["a chat model", { model: CHAT, input: "x" }, "model", /chat model/],
      ["token arrays", { model: TITAN, input: [[1, 2, 3]] }, "input", /token arrays/],
      ["dimensions Titan cannot return", { model: TITAN, input: "x", dimensions: 300 }, "dimensions", /256, 512, 1024/],
      ["an empty text", { model: TITAN, input: [""] }, "input", /./],
      ["an unknown encoding", { model: TITAN, input: "x", encoding_format: "int8" }, "encoding_format", /./],
    ];
    for (const [what, body, param, message] of cases) {
      it(`${what} -> 400 param ${param}`, async () => {
        const before = h.fake.requests.length;
        const error = await client.embeddings.create(body as unknown as OpenAI.EmbeddingCreateParams).catch((e: unknown) => e);
        assert.ok(error instanceof OpenAI.BadRequestError, String(error));
        assert.ok(error.param?.startsWith(param), `${error.param}`);
        assert.match(error.message, message);
        assert.equal(h.fake.requests.length, before);
      });
    }

    it("an embedding model nobody serves is a 404", async () => {
      const error = await client.embeddings.create({ model: "amazon.titan-embed-text-v1", input: "x" }).catch((e: unknown) => e);
      assert.ok(error instanceof OpenAI.NotFoundError, String(error));
      assert.equal(error.code, "model_not_found");
    });
  });
});
