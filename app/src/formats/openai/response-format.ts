import type { OutputConfig, SystemContentBlock } from "@aws-sdk/client-bedrock-runtime";
import * as z from "zod";

/**
 * `response_format` -> Bedrock structured output.
 * - `json_schema`: Converse's `outputConfig.textFormat` with the schema (as JSON text), its name and description:
 *   the reply is constrained to the schema whatever `strict` says. Objects that declare properties but leave
 *   `additionalProperties` open are closed (`false`), as Bedrock's Claude models require; a reply that matches the
 *   closed schema matches the caller's too.
 * - `json_object`: Bedrock cannot constrain a reply to "any JSON object" (Claude's structured outputs take only
 *   objects whose properties are declared), so the closest faithful form is an instruction to answer with one JSON
 *   object, added to the system prompt. OpenAI's JSON mode likewise relies on the prompt asking for JSON.
 * - `text`: nothing to do.
 */

/** OpenAI's rule for a format's name. */
const FORMAT_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export const responseFormatSchema = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("text") }),
    z.strictObject({ type: z.literal("json_object") }),
    z.strictObject({
      type: z.literal("json_schema"),
      json_schema: z.strictObject({
        name: z.string().regex(FORMAT_NAME, "must be 1-64 letters, digits, '_' or '-'"),
        description: z.string().optional(),
        schema: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullish(),
      }),
    }),
  ],
  { error: 'must be {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","json_schema":{...}}' },
);
export type ResponseFormat = z.output<typeof responseFormatSchema>;

export const JSON_OBJECT_INSTRUCTION =
  "Answer with a single valid JSON object and nothing else: no prose before or after it, no code fences.";

export interface StructuredOutput {
  outputConfig?: OutputConfig;
  /** Appended to the system blocks. */
  system?: SystemContentBlock[];
}

export function structuredOutput(format: ResponseFormat | null | undefined): StructuredOutput {
  if (!format || format.type === "text") return {};
  if (format.type === "json_object" || format.json_schema.schema === undefined) {
    return { system: [{ text: JSON_OBJECT_INSTRUCTION }] };
  }
  const { name, description, schema } = format.json_schema;
  return {
    outputConfig: {
      textFormat: {
        type: "json_schema",
        structure: { jsonSchema: { schema: JSON.stringify(closeObjects(schema)), name, description } },
      },
    },
  };
}

/** Keywords whose value is a map of subschemas, a list of them, or one. */
const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const SCHEMA_LISTS = ["anyOf", "allOf", "oneOf", "prefixItems", "items"];
const SCHEMA_ONE = ["items", "additionalProperties", "not", "if", "then", "else", "contains"];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A copy of `schema` whose objects with declared properties say `additionalProperties: false` unless they say otherwise. */
export function closeObjects(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const copy: Record<string, unknown> = { ...schema };
  for (const key of SCHEMA_MAPS) {
    const map = copy[key];
    if (isObject(map)) copy[key] = Object.fromEntries(Object.entries(map).map(([name, sub]) => [name, closeObjects(sub)]));
  }
  for (const key of SCHEMA_LISTS) if (Array.isArray(copy[key])) copy[key] = (copy[key] as unknown[]).map(closeObjects);
  for (const key of SCHEMA_ONE) if (isObject(copy[key])) copy[key] = closeObjects(copy[key]);
  if (isObject(copy.properties) && !Object.hasOwn(copy, "additionalProperties")) copy.additionalProperties = false;
  return copy;
}
