import { unreadableAnswer } from "./bedrock-errors";
import { parseModelId } from "./model-ids";

/**
 * The InvokeModel bodies of Bedrock's text embedding models, and how to read their replies. Titan takes one text a
 * call (so a list is several calls), Cohere up to 96. Each family states the dimensions it can return.
 */

export interface EmbeddingCall {
  readonly body: Record<string, unknown>;
  /** How many of the texts this call embeds (their vectors come back in order). */
  readonly count: number;
}

export interface EmbeddingFamily {
  readonly name: string;
  /** Texts per InvokeModel call. */
  readonly batchSize: number;
  /** The `dimensions` a caller may ask for; empty: none (the model's own size only). */
  readonly dimensions: readonly number[];
  body(texts: readonly string[], options: EmbeddingOptions): Record<string, unknown>;
  /** The float vectors of a reply, in order, and the input tokens it reports (if it does). */
  read(reply: unknown): { vectors: number[][]; inputTokens?: number };
}

export interface EmbeddingOptions {
  dimensions?: number;
  /** Cohere's `input_type`; Titan has none. */
  inputType?: string;
}

/** Cohere's default: the texts are documents to search (OpenAI's API has no notion of query vs document). */
export const DEFAULT_COHERE_INPUT_TYPE = "search_document";

const isNumbers = (value: unknown): value is number[] => Array.isArray(value) && value.every((n) => typeof n === "number");

const titan = (name: string, dimensions: readonly number[]): EmbeddingFamily => ({
  name,
  batchSize: 1,
  dimensions,
  body: ([text], options) => ({ inputText: text, ...(options.dimensions ? { dimensions: options.dimensions } : {}) }),
  read(reply) {
    const { embedding, inputTextTokenCount } = (reply ?? {}) as { embedding?: unknown; inputTextTokenCount?: unknown };
    if (!isNumbers(embedding)) throw unreadableAnswer("Titan answered without an embedding");
    return { vectors: [embedding], inputTokens: typeof inputTextTokenCount === "number" ? inputTextTokenCount : undefined };
  },
});

const cohere = (name: string, dimensions: readonly number[]): EmbeddingFamily => ({
  name,
  batchSize: 96,
  dimensions,
  body: (texts, options) => ({
    texts,
    input_type: options.inputType ?? DEFAULT_COHERE_INPUT_TYPE,
    embedding_types: ["float"],
    ...(options.dimensions ? { output_dimension: options.dimensions } : {}),
  }),
  read(reply) {
    // `{embeddings: {float: [[...]]}}` with embedding_types; a plain list of vectors without (v3).
    const embeddings = (reply as { embeddings?: unknown } | undefined)?.embeddings;
    const vectors = Array.isArray(embeddings) ? embeddings : (embeddings as { float?: unknown } | undefined)?.float;
    if (!Array.isArray(vectors) || !vectors.every(isNumbers)) throw unreadableAnswer("Cohere answered without float embeddings");
    return { vectors };
  },
});

const FAMILIES: ReadonlyArray<[RegExp, EmbeddingFamily]> = [
  [/^amazon\.titan-embed-text-v2/, titan("Titan Text Embeddings V2", [256, 512, 1024])],
  [/^amazon\.titan-embed-text-v1/, titan("Titan Embeddings G1 - Text", [])],
  [/^cohere\.embed-v4/, cohere("Cohere Embed v4", [256, 512, 1024, 1536])],
  [/^cohere\.embed-(english|multilingual)-v3/, cohere("Cohere Embed v3", [])],
];

/** The family of an embedding model or profile ID; undefined for a model whose body the gateway does not know. */
export function embeddingFamily(modelId: string): EmbeddingFamily | undefined {
  const { foundationModelId } = parseModelId(modelId);
  return FAMILIES.find(([pattern]) => pattern.test(foundationModelId))?.[1];
}

/** The calls that embed `texts` with `family`: batches of its size, in order. */
export function embeddingCalls(family: EmbeddingFamily, texts: readonly string[], options: EmbeddingOptions): EmbeddingCall[] {
  const calls: EmbeddingCall[] = [];
  for (let start = 0; start < texts.length; start += family.batchSize) {
    const batch = texts.slice(start, start + family.batchSize);
    calls.push({ body: family.body(batch, options), count: batch.length });
  }
  return calls;
}
