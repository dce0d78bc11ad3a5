import * as z from "zod";
import { EFFORT_LEVELS } from "../../models";
import { maxTokensField } from "../max-tokens";

/**
 * The OpenAI Responses request body as this gateway accepts it. Objects are not strict: a field nobody maps here
 * (`store`, `metadata`, `prompt_cache_key`, `client_metadata`, an item's `id` or `status`, ...) is accepted and
 * ignored, as docs/openai.md lists. Fields that would silently change a result are refused before this schema runs
 * (`refused.ts`). Item and tool kinds Bedrock cannot serve are let through as `other` and dropped by the conversion.
 */

export const MAX_INPUT_ITEMS = 2000;
export const MAX_TOOLS = 256;
/** OpenAI's rule for function names; flattened namespace names are checked again against Bedrock's. */
const toolName = z.string().regex(/^[a-zA-Z0-9_.:-]{1,128}$/, "must be 1-128 letters, digits, '_', '-', '.' or ':'");
/** Bedrock's rule for `toolUseId`; OpenAI's `call_...` ids satisfy it. */
const callId = z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '_' or '-'");

const textPart = z.object({ type: z.enum(["input_text", "output_text"]), text: z.string() });
const refusalPart = z.object({ type: z.literal("refusal"), refusal: z.string() });
const imagePart = z.object({
  type: z.literal("input_image"),
  image_url: z.string({ error: "must be a data: URL (file ids are not supported)" }),
});
const contentPart = z.discriminatedUnion("type", [textPart, refusalPart, imagePart], {
  error: "must be an input_text, output_text, refusal or input_image part (input_file is not supported)",
});
export type ContentPart = z.output<typeof contentPart>;
const asParts = (value: unknown) => (typeof value === "string" ? [{ type: "input_text", text: value }] : value);
const content = z.preprocess(asParts, z.array(contentPart, { error: "must be a string or a list of content parts" }));
/** A tool's output: a string, or parts (text and images). */
const toolOutput = z.preprocess(asParts, z.array(contentPart, { error: "must be a string or a list of content parts" }));

const messageItem = z.object({
  type: z.literal("message"),
  role: z.enum(["user", "assistant", "system", "developer"], { error: 'must be "user", "assistant", "system" or "developer"' }),
  content,
});
const functionCall = z.object({
  type: z.literal("function_call"),
  call_id: callId,
  name: toolName,
  namespace: toolName.optional(),
  arguments: z.string(),
});
const customCall = z.object({
  type: z.literal("custom_tool_call"),
  call_id: callId,
  name: toolName,
  namespace: toolName.optional(),
  input: z.string(),
});
const shellCall = z.object({
  type: z.literal("local_shell_call"),
  call_id: callId,
  action: z.object({ command: z.array(z.string()) }).loose(),
});
const callOutput = z.object({
  type: z.enum(["function_call_output", "custom_tool_call_output"]),
  call_id: callId,
  output: toolOutput,
});
/** OpenAI names the call by `id` on this one; `call_id` is accepted too. */
const shellOutput = z.object({ type: z.literal("local_shell_call_output"), call_id: callId.optional(), id: callId.optional(), output: z.string() });
const reasoningItem = z.object({
  type: z.literal("reasoning"),
  summary: z.array(z.object({ text: z.string() })).optional(),
  encrypted_content: z.string().nullish(),
});
const itemReference = z.object({ type: z.literal("item_reference"), id: z.string() });
/** Any other kind (a web_search_call item, a web_search tool, ...): nothing Bedrock could be given or serve. */
const ignored = z.object({ type: z.literal("ignored") });

/**
 * Dispatches on `type` so a malformed known item is a 400 naming its field, while a kind this gateway does not know
 * becomes `ignored` (a message may leave its `type` out).
 */
function byType(known: readonly string[], untyped?: string) {
  return (value: unknown) => {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
    const type = (value as { type?: unknown }).type;
    if (type === undefined && untyped) return { ...value, type: untyped };
    return typeof type === "string" && !known.includes(type) ? { type: "ignored" } : value;
  };
}
const ITEM_TYPES = [
  "message", "function_call", "custom_tool_call", "local_shell_call", "function_call_output", "custom_tool_call_output",
  "local_shell_call_output", "reasoning", "item_reference",
];
const inputItem = z.preprocess(
  byType(ITEM_TYPES, "message"),
  z.discriminatedUnion(
    "type",
    [messageItem, functionCall, customCall, shellCall, callOutput, shellOutput, reasoningItem, itemReference, ignored],
    { error: "must be a message or an item object" },
  ),
);
export type InputItem = z.output<typeof inputItem>;

const functionTool = z.object({
  type: z.literal("function"),
  name: toolName,
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
});
const customTool = z.object({
  type: z.literal("custom"),
  name: toolName,
  description: z.string().nullish(),
  format: z.object({ type: z.string(), syntax: z.string().optional(), definition: z.string().optional() }).nullish(),
});
const namespaceTool = z.object({
  type: z.literal("namespace"),
  name: toolName,
  description: z.string().nullish(),
  tools: z.array(z.discriminatedUnion("type", [functionTool, customTool])),
});
const localShellTool = z.object({ type: z.literal("local_shell") });
const tool = z.preprocess(
  byType(["function", "custom", "namespace", "local_shell"]),
  z.discriminatedUnion("type", [functionTool, customTool, namespaceTool, localShellTool, ignored], { error: "must be a tool object" }),
);
export type Tool = z.output<typeof tool>;
export type FunctionTool = z.output<typeof functionTool>;
export type CustomTool = z.output<typeof customTool>;

const namedChoice = z.object({ type: z.enum(["function", "custom"]), name: toolName, namespace: toolName.optional() });
const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  namedChoice,
  z.object({ type: z.literal("local_shell") }),
  z.object({
    type: z.literal("allowed_tools"),
    mode: z.enum(["auto", "required"]),
    tools: z.array(z.object({ type: z.string(), name: toolName.optional(), namespace: toolName.optional() }).loose()),
  }),
], { error: 'must be "none", "auto", "required", a function, custom or local_shell tool, or allowed_tools' });
export type ToolChoice = z.output<typeof toolChoice>;

const textFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be 1-64 letters, digits, '_' or '-'"),
    description: z.string().optional(),
    schema: z.record(z.string(), z.unknown()),
  }),
], { error: 'must be {"type":"text"}, {"type":"json_object"} or {"type":"json_schema",...}' });
export type TextFormat = z.output<typeof textFormat>;

export const responsesSchema = z.object(
  {
    // Empty or absent: the deployment's default model.
    model: z.string().max(2048).nullish(),
    // A string is one user message: normalised here, so the conversion sees items only.
    input: z.preprocess(
      (value) => (typeof value === "string" ? [{ type: "message", role: "user", content: value }] : value),
      z.array(inputItem, { error: "must be a string or a list of items" }).max(MAX_INPUT_ITEMS),
    ),
    instructions: z.string().nullish(),
    stream: z.boolean().nullish(),
    max_output_tokens: maxTokensField().nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    tools: z.array(tool).max(MAX_TOOLS).nullish(),
    tool_choice: toolChoice.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    reasoning: z
      .object({
        effort: z.enum(EFFORT_LEVELS).nullish(),
        summary: z.enum(["auto", "concise", "detailed", "none"]).nullish(),
      })
      .nullish(),
    text: z.object({ format: textFormat.nullish(), verbosity: z.enum(["low", "medium", "high"]).nullish() }).nullish(),
    include: z.array(z.string()).nullish(),
    user: z.string().max(256).nullish(),
    safety_identifier: z.string().max(256).nullish(),
  },
  { error: "must be a JSON object" },
);
export type ResponsesBody = z.output<typeof responsesSchema>;
