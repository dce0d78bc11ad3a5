import * as z from "zod";
import { EFFORT_LEVELS } from "../../models";
import { maxTokensField } from "../max-tokens";
import { responseFormatSchema } from "./response-format";

/**
 * The OpenAI Chat Completions request body as this gateway accepts it. Strict objects: a field nobody defines is a
 * 400 naming it. The fields OpenAI defines that are not mapped are refused or dropped before this schema runs (see
 * `field-policy.ts`), so a refusal says why rather than "unknown field".
 */

export const MAX_MESSAGES = 1000;
/** OpenAI's own limit on `stop`. */
export const MAX_STOP_SEQUENCES = 4;
export const MAX_TOOLS = 128;
/** Bedrock's (and OpenAI's) rule for tool names. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** Bedrock's rule for `toolUseId`; OpenAI's `call_...` ids satisfy it. */
const TOOL_CALL_ID = /^[a-zA-Z0-9_-]{1,64}$/;

const toolName = z.string().regex(TOOL_NAME, "must be 1-64 letters, digits, '_' or '-'");
const toolCallId = z.string().regex(TOOL_CALL_ID, "must be 1-64 letters, digits, '_' or '-'");
/** An opaque caller tag: logged, so kept short; its content is never interpreted. */
const callerTag = z.string().max(256).nullish();

const textPart = z.strictObject({ type: z.literal("text"), text: z.string() });
const imagePart = z.strictObject({
  type: z.literal("image_url"),
  image_url: z.strictObject({ url: z.string(), detail: z.enum(["auto", "low", "high"]).optional() }),
});
const refusalPart = z.strictObject({ type: z.literal("refusal"), refusal: z.string() });

/** A string is shorthand for one text part: normalised here, so the conversion sees lists of parts only. */
const asParts = (value: unknown) => (typeof value === "string" ? [{ type: "text", text: value }] : value);
const textContent = z.preprocess(asParts, z.array(textPart, { error: "must be a string or a list of text parts" }));
const userContent = z.preprocess(
  asParts,
  z.array(
    z.discriminatedUnion("type", [textPart, imagePart], {
      error: "must be a text or image_url part (input_audio and file parts are not supported)",
    }),
    { error: "must be a string or a list of content parts" },
  ),
);
const assistantContent = z.preprocess(
  asParts,
  z.array(z.discriminatedUnion("type", [textPart, refusalPart]), { error: "must be a string or a list of text parts" }),
);

export const toolCallSchema = z.strictObject({
  id: toolCallId,
  type: z.literal("function"),
  function: z.strictObject({ name: toolName, arguments: z.string() }),
});

const messageSchema = z.discriminatedUnion(
  "role",
  [
    z.strictObject({ role: z.enum(["system", "developer"]), content: textContent, name: z.string().optional() }),
    z.strictObject({ role: z.literal("user"), content: userContent, name: z.string().optional() }),
    z.strictObject({
      role: z.literal("assistant"),
      content: assistantContent.nullish(),
      name: z.string().optional(),
      tool_calls: z.array(toolCallSchema).nullish(),
      refusal: z.string().nullish(),
      // Clients echo the reasoning they were shown; without Bedrock's signature it cannot be sent back (docs).
      reasoning_content: z.string().nullish(),
      // Echoed from an earlier reply; they say nothing the model needs (this gateway never answers with audio).
      annotations: z.array(z.unknown()).nullish(),
      audio: z.unknown().optional(),
      function_call: z.null().optional(),
    }),
    // `name` on any message is accepted and ignored: Converse has no field for it (LangChain's tool messages carry it).
    z.strictObject({ role: z.literal("tool"), tool_call_id: toolCallId, content: textContent, name: z.string().optional() }),
  ],
  { error: 'must be "system", "developer", "user", "assistant" or "tool"' },
);
export type OpenAiMessage = z.output<typeof messageSchema>;

const toolSchema = z.strictObject({
  type: z.literal("function", { error: 'must be "function" (the only tool type supported)' }),
  function: z.strictObject({
    name: toolName,
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    // true: Bedrock's strict tool use (the call's input is constrained to the schema).
    strict: z.boolean().nullish(),
  }),
});
export type OpenAiTool = z.output<typeof toolSchema>;

const toolChoiceSchema = z.union(
  [
    z.enum(["auto", "required", "none"]),
    z.strictObject({ type: z.literal("function"), function: z.strictObject({ name: toolName }) }),
  ],
  { error: 'must be "auto", "required", "none" or {"type":"function","function":{"name":...}}' },
);
export type OpenAiToolChoice = z.output<typeof toolChoiceSchema>;

const maxTokens = maxTokensField().nullish();

export const chatCompletionSchema = z.strictObject(
  {
    // Empty or absent: the deployment's default model.
    model: z.string().max(2048).nullish(),
    messages: z.array(messageSchema).min(1, "must hold at least one message").max(MAX_MESSAGES),
    stream: z.boolean().nullish(),
    stream_options: z
      .strictObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() })
      .nullish(),
    max_tokens: maxTokens,
    max_completion_tokens: maxTokens,
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    stop: z
      .union([z.string().min(1), z.array(z.string().min(1)).max(MAX_STOP_SEQUENCES)], {
        error: `must be a string or a list of at most ${MAX_STOP_SEQUENCES} non-empty strings`,
      })
      .nullish(),
    tools: z.array(toolSchema).max(MAX_TOOLS).nullish(),
    tool_choice: toolChoiceSchema.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    reasoning_effort: z.enum(EFFORT_LEVELS).nullish(),
    response_format: responseFormatSchema.nullish(),
    user: callerTag,
    safety_identifier: callerTag,
  },
  { error: "must be a JSON object" },
);
export type ChatCompletionBody = z.output<typeof chatCompletionSchema>;
