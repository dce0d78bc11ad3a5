import type { IncomingHttpHeaders } from "node:http";
import type { ContentBlock, Message, SystemContentBlock, Tool, ToolConfiguration } from "@aws-sdk/client-bedrock-runtime";
import * as z from "zod";
import type { ChatRequest } from "../../bedrock/chat-request";
import { ApiError } from "../../http/errors";
import { maxTokensField } from "../max-tokens";
import { invalidRequest } from "../schema-errors";
import { deferLoading, turnOutputConfig } from "./beta-fields";
import { requestedBetas } from "./betas";
import { converseBlocks, DocumentCounter, messageBlock, textBlock, textOrBlocks, withCachePoint } from "./blocks";
import { contextManagement, outputConfig, refusedFields, systemMessage, thinking, typedTool } from "./request-fields";
import { foldSystemTurns } from "./system-turns";

/**
 * The Anthropic Messages request (`POST /v1/messages`) and its token-counting twin (`/v1/messages/count_tokens`),
 * validated into the internal Converse-shaped request. Strict objects: a field this gateway does not carry
 * (`container`, `mcp_servers`, server tools) is a 400 naming it, never silently dropped.
 */

const conversationTurn = z.strictObject({
  role: z.enum(["user", "assistant"]),
  content: textOrBlocks(z.array(messageBlock).min(1, "must not be empty")),
  output_config: turnOutputConfig,
});
type Turn = z.infer<typeof conversationTurn>;
const message = z.discriminatedUnion("role", [conversationTurn, systemMessage], {
  error: (issue) => (issue.code === "invalid_union" ? 'must be "user", "assistant" or "system"' : undefined),
});

const tool = z.strictObject({
  type: z
    .literal("custom", { error: 'must be "custom": server tools (web search, code execution, ...) are not supported' })
    .nullish(),
  name: z.string().min(1).max(128),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.literal("object") }),
  cache_control: textBlock.shape.cache_control,
  // Tool input is relayed as Bedrock streams it, so asking for eager streaming changes nothing.
  eager_input_streaming: z.boolean().nullish(),
  defer_loading: deferLoading,
});

/** Which kind of tool a bad entry meant: a server tool is named as such; anything else gets the shapes allowed. */
function toolError(issue: { code: string; input?: unknown }): string | undefined {
  if (issue.code !== "invalid_union") return undefined;
  const type = (issue.input as { type?: unknown } | undefined)?.type;
  if (typeof type === "string" && type !== "custom") return `type "${type.slice(0, 64)}" is a server tool, which Bedrock does not run`;
  return "must be a tool {name, input_schema} or a Claude client tool type (computer, bash, text_editor, memory)";
}

/** Converse cannot forbid parallel tool calls, so asking for that is refused rather than ignored. */
const parallel = z.literal(false, { error: "disable_parallel_tool_use is not supported by this gateway" }).optional();
const toolChoice = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("auto"), disable_parallel_tool_use: parallel }),
  z.strictObject({ type: z.literal("any"), disable_parallel_tool_use: parallel }),
  z.strictObject({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: parallel }),
  z.strictObject({ type: z.literal("none") }),
]);

/** What both routes read: the conversation, and what the model is told about it. */
const context = {
  model: z.string().min(1).max(2048).optional(),
  messages: z.array(message).min(1, "must hold at least one message"),
  system: textOrBlocks(z.array(textBlock)).optional(),
  tools: z.array(z.union([tool, typedTool], { error: toolError })).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.optional(),
  output_config: outputConfig.optional(),
  context_management: contextManagement.nullish(),
  ...refusedFields,
};

const messagesBody = z
  .strictObject(
    {
      ...context,
      max_tokens: maxTokensField("is required (an integer, at least 1)"),
      // Other fields inside metadata (a newer client's, a gateway's) mean nothing here: ignored, never a 400.
      metadata: z.object({ user_id: z.string().max(256).nullish() }).nullish(),
      stop_sequences: z.array(z.string().min(1)).optional(),
      stream: z.boolean().optional(),
      temperature: z.number().min(0).max(1).optional(),
      top_p: z.number().min(0).max(1).optional(),
      top_k: z.number().int().min(0).optional(),
      // Marks the end of the conversation for caching (the API's automatic caching): the same rule, last block.
      cache_control: textBlock.shape.cache_control,
      // Bedrock serves every request at its standard tier, which both values allow.
      service_tier: z.enum(["auto", "standard_only"]).optional(),
    },
    { error: "must be a JSON object" },
  )
  .superRefine((body, ctx) => {
    if (body.thinking?.type === "enabled" && body.thinking.budget_tokens >= body.max_tokens) {
      ctx.addIssue({ code: "custom", path: ["thinking", "budget_tokens"], message: "must be less than max_tokens" });
    }
  });

const countTokensBody = z.strictObject(context, { error: "must be a JSON object" });

type Context = z.infer<z.ZodObject<typeof context>>;

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalidRequest(parsed.error);
  return parsed.data;
}

/**
 * Converse wants roles to alternate; the Messages API merges consecutive turns of one role into one, so do that.
 */
function converseMessages(messages: Context["messages"]): Message[] {
  const documents = new DocumentCounter();
  const merged: Message[] = [];
  for (const turn of foldSystemTurns(messages) as Array<Turn>) {
    const content: ContentBlock[] = turn.content.flatMap((block) => converseBlocks(block, documents));
    const last = merged.at(-1);
    if (last?.role === turn.role) last.content!.push(...content);
    else merged.push({ role: turn.role, content });
  }
  return merged;
}

function converseSystem(system: Context["system"]): SystemContentBlock[] | undefined {
  if (!system?.length) return undefined;
  return system.flatMap((block) => withCachePoint<SystemContentBlock>({ text: block.text }, block.cache_control));
}

const usesTools = (messages: Context["messages"]) =>
  messages.some((turn) => turn.content.some((block) => block.type === "tool_use" || block.type === "tool_result"));

function toolConfig(body: Context): ToolConfiguration | undefined {
  const choice = body.tool_choice;
  if (choice?.type === "none") {
    // Converse has no "none": leaving the tools out is how the model is kept from calling them, but Bedrock
    // requires the tool definitions whenever the conversation holds tool calls or results.
    if (usesTools(body.messages)) {
      throw new ApiError(400, "invalid_request", 'tool_choice: "none" cannot be combined with tool_use or tool_result blocks here', {
        param: "tool_choice",
      });
    }
    return undefined;
  }
  const custom = (body.tools ?? []).filter((spec): spec is z.infer<typeof tool> => !isTypedTool(spec));
  if (custom.length === 0) return undefined;
  const tools = custom.flatMap((spec) =>
    withCachePoint<Tool>(
      { toolSpec: { name: spec.name, description: spec.description, inputSchema: { json: spec.input_schema as never } } },
      spec.cache_control,
    ),
  );
  const toolChoice =
    choice === undefined ? undefined : choice.type === "tool" ? { tool: { name: choice.name } } : { [choice.type]: {} };
  return { tools, ...(toolChoice ? { toolChoice: toolChoice as ToolConfiguration["toolChoice"] } : {}) };
}

/** Claude's own request fields that Converse passes through: sampling's `top_k` and `thinking`. */
function modelFields(body: Context & { top_k?: number }): ChatRequest["additionalModelRequestFields"] {
  const fields: Record<string, NonNullable<ChatRequest["additionalModelRequestFields"]>> = {};
  if (body.top_k !== undefined) fields.top_k = body.top_k;
  if (body.thinking?.type === "enabled") fields.thinking = { type: "enabled", budget_tokens: body.thinking.budget_tokens };
  return Object.keys(fields).length > 0 ? fields : undefined;
}

const isTypedTool = (spec: NonNullable<Context["tools"]>[number]) => !("input_schema" in spec) && typeof spec.type === "string";

/**
 * What Converse (a model other than Claude) cannot carry: Claude's client tool types. Known at parse time, thrown
 * only if the request does go to Converse (the chat handler decides once the model is resolved).
 */
function converseRefusal(body: Context): ApiError | undefined {
  const index = (body.tools ?? []).findIndex(isTypedTool);
  if (index < 0) return undefined;
  const param = `tools[${index}].type`;
  return new ApiError(400, "invalid_request", `${param}: is a Claude tool type, served for Claude models only`, { param });
}

/** Structured output: Converse takes the JSON schema as text. */
function converseOutput(body: Context): ChatRequest["outputConfig"] {
  const schema = body.output_config?.format?.schema;
  if (!schema) return undefined;
  return { textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(schema) } } } };
}

/** The Converse request, and the native body as sent (for Claude: native.ts), with the requested betas. */
function contextRequest(body: Context & { top_k?: number }, raw: unknown, headers: IncomingHttpHeaders) {
  return {
    model: body.model,
    messages: converseMessages(body.messages),
    system: converseSystem(body.system),
    toolConfig: toolConfig(body),
    additionalModelRequestFields: modelFields(body),
    outputConfig: converseOutput(body),
    converseRefusal: converseRefusal(body),
    native: { body: raw as Record<string, unknown>, betas: requestedBetas(headers) },
  };
}

/** `POST /v1/messages` -> the internal request. Throws a 400 naming the offending field. */
export function parseMessagesRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest {
  const parsed = parse(messagesBody, body);
  const context = contextRequest(parsed, body, headers);
  const lastTurn = context.messages.at(-1)!.content!;
  if (parsed.cache_control && !lastTurn.at(-1)?.cachePoint) {
    lastTurn.push(...withCachePoint<ContentBlock>(lastTurn.pop()!, parsed.cache_control));
  }
  return {
    ...context,
    inferenceConfig: {
      maxTokens: parsed.max_tokens,
      temperature: parsed.temperature,
      topP: parsed.top_p,
      stopSequences: parsed.stop_sequences,
    },
    stream: parsed.stream ?? false,
    userTag: parsed.metadata?.user_id ?? undefined,
  };
}

/** `POST /v1/messages/count_tokens` -> what CountTokens counts (the same conversion, nothing to generate). */
export function parseCountTokensRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest {
  return { ...contextRequest(parse(countTokensBody, body), body, headers), stream: false };
}
