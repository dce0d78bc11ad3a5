import assert from "node:assert/strict";
import { InvokeModelCommand, InvokeModelWithResponseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { useStandIn } from "./helpers/stand-in";

const TITAN = "amazon.titan-embed-text-v2:0";
const COHERE_V4 = "cohere.embed-v4:0";
const COHERE_V3 = "cohere.embed-english-v3";

const cosine = (a: number[], b: number[]) => a.reduce((sum, value, i) => sum + value * b[i], 0);
const norm = (v: number[]) => Math.hypot(...v);

/** Embedding models on the stand-in's InvokeModel, through the real SDK. */
describe("local Bedrock stand-in: embeddings (Titan Text V2, Cohere Embed v3/v4) with the real SDK", () => {
  const stand = useStandIn();
  beforeEach(() => stand.fake.setScenario({}));

  async function invoke(modelId: string, body: unknown): Promise<any> {
    const out = await stand.client.send(new InvokeModelCommand({ modelId, body: JSON.stringify(body), contentType: "application/json" }));
    return JSON.parse(new TextDecoder().decode(out.body));
  }

  async function refusal(modelId: string, body: unknown): Promise<string> {
    const error: any = await invoke(modelId, body).then(() => undefined, (e) => e);
    assert.equal(error?.name, "ValidationException", `expected a ValidationException for ${JSON.stringify(body)}`);
    assert.equal(error.$metadata.httpStatusCode, 400);
    return error.message;
  }

  it("Titan V2: a unit vector of the asked dimensions, the token count, and the same vector for the same text", async () => {
    const first = await invoke(TITAN, { inputText: "the cat sat on the mat", dimensions: 256, normalize: true });
    assert.equal(first.embedding.length, 256);
    assert.ok(Math.abs(norm(first.embedding) - 1) < 1e-9);
    assert.equal(first.inputTextTokenCount, Math.ceil("the cat sat on the mat".length / 4));
    assert.deepEqual(first.embeddingsByType, { float: first.embedding });
    const again = await invoke(TITAN, { inputText: "the cat sat on the mat", dimensions: 256 });
    assert.deepEqual(again.embedding, first.embedding);
    assert.equal((await invoke(TITAN, { inputText: "hello" })).embedding.length, 1024, "1024 by default");
  });

  it("Titan V2: texts that share words are closer than texts that do not", async () => {
    const [cat, kitten, tax] = await Promise.all(
      ["the cat sat on the mat", "a cat sat on a mat today", "quarterly tax filing deadline"].map(
        async (inputText) => (await invoke(TITAN, { inputText, dimensions: 512 })).embedding,
      ),
    );
    assert.ok(cosine(cat, kitten) > cosine(cat, tax) + 0.2, `${cosine(cat, kitten)} vs ${cosine(cat, tax)}`);
  });

  it("Titan V2: normalize false gives a longer vector; embeddingTypes binary gives 0/1", async () => {
    const raw = await invoke(TITAN, { inputText: "hello world", dimensions: 256, normalize: false, embeddingTypes: ["float", "binary"] });
    assert.ok(norm(raw.embedding) > 1.5);
    assert.equal(raw.embeddingsByType.binary.length, 256);
    assert.ok(raw.embeddingsByType.binary.every((bit: number) => bit === 0 || bit === 1));
  });

  it("Titan V2 refuses what Bedrock refuses, naming the field", async () => {
    assert.match(await refusal(TITAN, { inputText: "x", dimensions: 300 }), /dimensions.*not a valid enum value/);
    assert.match(await refusal(TITAN, { texts: ["x"] }), /extraneous key \[texts\]/);
    assert.match(await refusal(TITAN, { dimensions: 256 }), /required key \[inputText\]/);
    assert.match(await refusal(TITAN, { inputText: "" }), /inputText: expected minLength: 1/);
    assert.match(await refusal(TITAN, { inputText: "x", embeddingTypes: ["int8"] }), /embeddingTypes/);
    assert.match(await refusal(TITAN, { inputText: "x", normalize: "yes" }), /normalize/);
  });

  it("Cohere v4: a batch, embeddings by type with output_dimension, texts echoed, an id", async () => {
    const texts = ["first text", "second text", "third"];
    const reply = await invoke(COHERE_V4, { texts, input_type: "search_document", embedding_types: ["float", "int8"], output_dimension: 256 });
    assert.equal(reply.response_type, "embeddings_by_type");
    assert.deepEqual(reply.texts, texts);
    assert.equal(typeof reply.id, "string");
    assert.equal(reply.embeddings.float.length, 3);
    assert.ok(reply.embeddings.float.every((v: number[]) => v.length === 256 && Math.abs(norm(v) - 1) < 1e-9));
    assert.ok(reply.embeddings.int8[0].every((v: number) => Number.isInteger(v) && v >= -128 && v <= 127));
    const single = await invoke(COHERE_V4, { texts: ["first text"], input_type: "search_query" });
    assert.equal(single.embeddings.float[0].length, 1536, "1536 by default");
  });

  it("Cohere v3: a plain array of float vectors unless embedding_types is given", async () => {
    const plain = await invoke(COHERE_V3, { texts: ["a", "b"], input_type: "clustering" });
    assert.equal(plain.response_type, "embeddings_floats");
    assert.equal(plain.embeddings.length, 2);
    assert.equal(plain.embeddings[0].length, 1024);
    const typed = await invoke(COHERE_V3, { texts: ["a"], input_type: "clustering", embedding_types: ["float"] });
    assert.deepEqual(typed.embeddings.float, [plain.embeddings[0]]);
  });

  it("Cohere refuses what Bedrock refuses: over 96 texts, no input_type, a wrong type or dimension", async () => {
    const many = Array.from({ length: 97 }, (_, i) => `t${i}`);
    assert.match(await refusal(COHERE_V4, { texts: many, input_type: "search_document" }), /texts: expected 1 to 96 items, actual: 97/);
    assert.match(await refusal(COHERE_V4, { texts: ["a"] }), /required key \[input_type\]/);
    assert.match(await refusal(COHERE_V4, { texts: ["a"], input_type: "search_document", output_dimension: 100 }), /output_dimension/);
    assert.match(await refusal(COHERE_V4, { texts: ["a"], input_type: "search_document", embedding_types: ["double"] }), /embedding_types/);
    assert.match(await refusal(COHERE_V3, { texts: ["a"], input_type: "search_document", output_dimension: 256 }), /extraneous key \[output_dimension\]/);
    assert.match(await refusal(COHERE_V4, { inputText: "a" }), /extraneous key \[inputText\]/);
  });

  it("embeddings are not streamed, and a scripted error answers instead", async () => {
    await assert.rejects(
      stand.client.send(new InvokeModelWithResponseStreamCommand({ modelId: TITAN, body: JSON.stringify({ inputText: "x" }) })),
      { name: "ValidationException", message: "The model is unsupported for streaming." },
    );
    stand.fake.setScenario({ error: { type: "ThrottlingException", message: "slow down" } });
    await assert.rejects(invoke(COHERE_V4, { texts: ["a"], input_type: "search_query" }), { name: "ThrottlingException", message: "slow down" });
  });
});
