import { createHash, randomUUID } from "node:crypto";

/**
 * Embedding models on InvokeModel, as Bedrock serves them: Titan Text Embeddings V2 (one `inputText` a call) and
 * Cohere Embed v3/v4 (`texts`, up to 96 a call). Vectors are deterministic and mean something: each word adds a
 * hashed direction, so texts that share words point the same way (a RAG demo ranks sensibly) and the same text always
 * embeds the same. Bad bodies get the ValidationException text Bedrock's schema check gives.
 */

export type EmbeddingFamily = "titan-v2" | "cohere-v3" | "cohere-v4";

export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  if (/amazon\.titan-embed-text-v2/.test(modelId)) return "titan-v2";
  if (/cohere\.embed-v4/.test(modelId)) return "cohere-v4";
  if (/cohere\.embed-(english|multilingual)-v3/.test(modelId)) return "cohere-v3";
  return undefined;
}

/** Thrown for a body Bedrock would refuse; the message is the one sent back. */
export class EmbeddingInputError extends Error {}

const malformed = (detail: string) =>
  new EmbeddingInputError(`Malformed input request: ${detail}, please reformat your input and try again.`);

function checkKeys(body: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(body).find((key) => !allowed.includes(key));
  if (extra) throw malformed(`#: extraneous key [${extra}] is not permitted`);
}

function oneOf(body: Record<string, any>, key: string, values: readonly unknown[]): void {
  if (body[key] !== undefined && !values.includes(body[key])) throw malformed(`#/${key}: ${JSON.stringify(body[key])} is not a valid enum value`);
}

function typesOf(body: Record<string, any>, key: string, allowed: readonly string[]): string[] | undefined {
  const types = body[key];
  if (types === undefined) return undefined;
  if (!Array.isArray(types) || types.length === 0) throw malformed(`#/${key}: expected a non-empty array`);
  const bad = types.find((type) => !allowed.includes(type));
  if (bad !== undefined) throw malformed(`#/${key}: ${JSON.stringify(bad)} is not a valid enum value`);
  return types;
}

/** A unit vector of `dimensions` for `text`: hashed word directions plus a small text-seeded base. */
export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const add = (seed: string, weight: number) => {
    const digest = createHash("sha256").update(seed).digest();
    for (let offset = 0; offset < digest.length; offset += 4) {
      const bits = digest.readUInt32BE(offset);
      vector[bits % dimensions] += (bits >>> 31 ? -1 : 1) * weight;
    }
  };
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) add(`w:${word}`, 1);
  add(`t:${text}`, 0.25);
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}

/** Rough token count of embedded text (4 characters a token, at least 1 for non-empty text). */
const tokens = (text: string) => (text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4)));

const toBits = (vector: number[]) =>
  Array.from({ length: Math.ceil(vector.length / 8) }, (_, byte) =>
    vector.slice(byte * 8, byte * 8 + 8).reduce((bits, value, bit) => bits | ((value > 0 ? 1 : 0) << (7 - bit)), 0),
  );

/** Cohere's quantized forms of a float vector. */
const COHERE_TYPES: Record<string, (vector: number[]) => number[]> = {
  float: (vector) => vector,
  int8: (vector) => vector.map((value) => Math.max(-128, Math.min(127, Math.round(value * 127)))),
  uint8: (vector) => vector.map((value) => Math.max(0, Math.min(255, Math.round((value + 1) * 127.5)))),
  binary: (vector) => toBits(vector).map((byte) => byte - 128),
  ubinary: toBits,
};

function titan(body: Record<string, any>): { reply: unknown; inputTokens: number } {
  checkKeys(body, ["inputText", "dimensions", "normalize", "embeddingTypes"]);
  if (typeof body.inputText !== "string") throw malformed("#: required key [inputText] not found");
  if (body.inputText.length === 0) throw malformed("#/inputText: expected minLength: 1, actual: 0");
  oneOf(body, "dimensions", [256, 512, 1024]);
  if (body.normalize !== undefined && typeof body.normalize !== "boolean") throw malformed("#/normalize: expected type: Boolean");
  const types = typesOf(body, "embeddingTypes", ["float", "binary"]) ?? ["float"];
  const unit = embedText(body.inputText, body.dimensions ?? 1024);
  // Titan's unnormalized vectors are longer than 1; any fixed scale shows a client that it got what it asked for.
  const embedding = body.normalize === false ? unit.map((value) => value * 10) : unit;
  const byType: Record<string, number[]> = {};
  for (const type of types) byType[type] = type === "float" ? embedding : embedding.map((value) => (value > 0 ? 1 : 0));
  const inputTokens = tokens(body.inputText);
  return { reply: { embedding, inputTextTokenCount: inputTokens, embeddingsByType: byType }, inputTokens };
}

const INPUT_TYPES = ["search_document", "search_query", "classification", "clustering"];

function cohere(body: Record<string, any>, version: "v3" | "v4"): { reply: unknown; inputTokens: number } {
  const v4 = version === "v4";
  checkKeys(body, ["texts", "images", "input_type", "truncate", "embedding_types", ...(v4 ? ["inputs", "output_dimension", "max_tokens"] : [])]);
  if (body.images !== undefined || body.inputs !== undefined) throw new EmbeddingInputError("The local stand-in embeds texts only.");
  if (!Array.isArray(body.texts)) throw malformed("#: required key [texts] not found");
  if (body.texts.length < 1 || body.texts.length > 96) throw malformed(`#/texts: expected 1 to 96 items, actual: ${body.texts.length}`);
  if (body.texts.some((text: unknown) => typeof text !== "string")) throw malformed("#/texts: expected type: String");
  if (typeof body.input_type !== "string") throw malformed("#: required key [input_type] not found");
  oneOf(body, "input_type", v4 ? INPUT_TYPES : [...INPUT_TYPES, "image"]);
  oneOf(body, "truncate", v4 ? ["NONE", "LEFT", "RIGHT"] : ["NONE", "START", "END"]);
  oneOf(body, "output_dimension", [256, 512, 1024, 1536]);
  const types = typesOf(body, "embedding_types", Object.keys(COHERE_TYPES));
  const vectors = (body.texts as string[]).map((text) => embedText(text, v4 ? (body.output_dimension ?? 1536) : 1024));
  const byType = (types ?? ["float"]).map((type) => [type, vectors.map(COHERE_TYPES[type])] as const);
  // v3 without embedding_types answers a plain array of float vectors; v4 and explicit types answer by type.
  const embeddings = !v4 && !types ? vectors : Object.fromEntries(byType);
  const reply = {
    id: randomUUID(),
    texts: body.texts,
    embeddings,
    response_type: Array.isArray(embeddings) ? "embeddings_floats" : "embeddings_by_type",
  };
  return { reply, inputTokens: (body.texts as string[]).reduce((sum, text) => sum + tokens(text), 0) };
}

/** The InvokeModel reply of an embedding model, or an {@link EmbeddingInputError}. */
export function embed(family: EmbeddingFamily, body: unknown): { reply: unknown; inputTokens: number } {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw malformed("#: expected type: JSONObject");
  const fields = body as Record<string, any>;
  return family === "titan-v2" ? titan(fields) : cohere(fields, family === "cohere-v4" ? "v4" : "v3");
}
