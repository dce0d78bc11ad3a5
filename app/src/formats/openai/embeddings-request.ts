import * as z from "zod";
import type { EmbeddingFamily } from "../../bedrock/embedding-models";
import { ApiError } from "../../http/errors";
import { invalidRequest } from "../schema-errors";

/**
 * The OpenAI embeddings request (`POST /embeddings`) as this gateway accepts it. `input` is a string or a list of
 * strings; token arrays (OpenAI's tokenizer's ids) are a 400: they are not the embedding model's tokens, and the
 * caller who sent them holds the text. `input_type` is Cohere's own field, passed to Cohere models (an extension;
 * OpenAI's API has none).
 */

/** OpenAI's own limit on inputs per request. */
export const MAX_INPUTS = 2048;

const text = z.string().min(1, "must not be empty");
const tokenArray = z.array(z.number());

export const embeddingsSchema = z.strictObject(
  {
    model: z.string().max(2048).nullish(),
    input: z.union([
      text,
      z.array(text).min(1, "must hold at least one text").max(MAX_INPUTS, `must hold at most ${MAX_INPUTS} texts`),
      tokenArray,
      z.array(tokenArray),
    ], { error: "must be a string or a list of strings" }),
    dimensions: z.number().int().min(1).nullish(),
    encoding_format: z.enum(["float", "base64"]).nullish(),
    user: z.string().max(256).nullish(),
    input_type: z.enum(["search_document", "search_query", "classification", "clustering"]).nullish(),
  },
  { error: "must be a JSON object" },
);

export interface EmbeddingsRequest {
  model?: string;
  texts: string[];
  dimensions?: number;
  encoding: "float" | "base64";
  userTag?: string;
  inputType?: string;
}

const badParam = (param: string, rule: string) => new ApiError(400, "invalid_request", `${param}: ${rule}`, { param });

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  const parsed = embeddingsSchema.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error);
  const data = parsed.data;
  const texts = typeof data.input === "string" ? [data.input] : data.input;
  if (!texts.every((item): item is string => typeof item === "string")) {
    throw badParam("input", "token arrays are not supported: send the text (token ids are OpenAI's tokenizer's, not the model's)");
  }
  return {
    model: data.model || undefined,
    texts,
    dimensions: data.dimensions ?? undefined,
    encoding: data.encoding_format ?? "float",
    userTag: data.user ?? undefined,
    inputType: data.input_type ?? undefined,
  };
}

/** A `dimensions` the model cannot return is a 400 listing the ones it can. */
export function checkDimensions(family: EmbeddingFamily, model: string, dimensions: number | undefined): void {
  if (dimensions === undefined || family.dimensions.includes(dimensions)) return;
  const allowed = family.dimensions.length > 0 ? `one of ${family.dimensions.join(", ")}` : "not settable (omit it)";
  throw badParam("dimensions", `for ${model} must be ${allowed}`);
}
