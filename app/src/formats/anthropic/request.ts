import type { IncomingHttpHeaders } from "node:http";
import type { ContentBlock, Message, SystemContentBlock, Tool, ToolConfiguration } from "@aws-sdk/client-bedrock-runtime";
import * as z from "zod";
import type { ChatRequest } from "../../bedrock/chat-request";
import { ApiError } from "../../http/errors";
import { maxTokensField } from "../max-tokens";
import { invalidRequest } from "../schema-errors";
import { forwardedBetas } from "./betas";
import { converseBlocks, DocumentCounter, messageBlock, textBlock, textOrBlocks, withCachePoint } from "./blocks";

/**
 * The Anthropic Messages request (`POST /v1/messages`) and its token-counting twin (`/v1/messages/count_tokens`),
 * validated into the internal Converse-shaped request. Strict objects: a field this gateway does not carry
 * (`container`, `mcp_servers`, server tools) is a 400 naming it, never silently dropped.
 */

const message = z.strictObject({
  role: z.enum(["user", "assistant"]),
  content: textOrBlocks(z.array(messageBlock).min(1, "must not be empty")),
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
});

/** Converse cannot forbid parallel tool calls, so asking for that is refused rather than ignored. */
const parallel = z.literal(false, { error: "disable_parallel_tool_use is not supported by this gateway" }).optional();
const toolChoice = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("auto"), disable_parallel_tool_use: parallel }),
  z.strictObject({ type: z.literal("any"), disable_parallel_tool_use: parallel }),
  z.strictObject({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: parallel }),
  z.strictObject({ type: z.literal("none") }),
]);

const thinking = z.discriminatedUnion(
  "type",
  [
    z.strictObject({
      type: z.literal("enabled"),
      budget_tokens: z.number().int().min(1024),
      display: z.literal("summarized", { error: 'only "summarized" thinking is available on Bedrock' }).nullish(),
    }),
    z.strictObject({ type: z.literal("disabled") }),
  ],
  { error: (issue) => (issue.code === "invalid_union" ? 'must be "enabled" (with budget_tokens) or "disabled" on Bedrock' : undefined) },
);

/** What both routes read: the conversation, and what the model is told about it. */
const context = {
  model: z.string().min(1).max(2048).optional(),
  messages: z.array(message).min(1, "must hold at least one message"),
  system: textOrBlocks(z.array(textBlock)).optional(),
  tools: z.array(tool).optional(),
  tool_choice: toolChoice.optional(),
  thinking: thinking.optional(),
};

const messagesBody = z
  .strictObject(
    {
      ...context,
      max_tokens: maxTokensField("is required (an integer, at least 1)"),
      metadata: z.strictObject({ user_id: z.string().max(256).nullish() }).nullish(),
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
  for (const turn of messages) {
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
  if (!body.tools?.length) return undefined;
  const tools = body.tools.flatMap((spec) =>
    withCachePoint<Tool>(
      { toolSpec: { name: spec.name, description: spec.description, inputSchema: { json: spec.input_schema as never } } },
      spec.cache_control,
    ),
  );
  const toolChoice =
    choice === undefined ? undefined : choice.type === "tool" ? { tool: { name: choice.name } } : { [choice.type]: {} };
  return { tools, ...(toolChoice ? { toolChoice: toolChoice as ToolConfiguration["toolChoice"] } : {}) };
}

/** Claude's own request fields that Converse passes through: sampling's `top_k`, `thinking` and betas. */
function modelFields(body: Context & { top_k?: number }, betas: string[]): ChatRequest["additionalModelRequestFields"] {
  const fields: Record<string, NonNullable<ChatRequest["additionalModelRequestFields"]>> = {};
  if (body.top_k !== undefined) fields.top_k = body.top_k;
  if (body.thinking?.type === "enabled") fields.thinking = { type: "enabled", budget_tokens: body.thinking.budget_tokens };
  if (betas.length > 0) fields.anthropic_beta = betas;
  return Object.keys(fields).length > 0 ? fields : undefined;
}

function contextRequest(body: Context & { top_k?: number }, headers: IncomingHttpHeaders) {
  return {
    model: body.model,
    messages: converseMessages(body.messages),
    system: converseSystem(body.system),
    toolConfig: toolConfig(body),
    additionalModelRequestFields: modelFields(body, forwardedBetas(headers)),
  };
}

/** `POST /v1/messages` -> the internal request. Throws a 400 naming the offending field. */
export function parseMessagesRequest(body: unknown, headers: IncomingHttpHeaders): ChatRequest {
  const parsed = parse(messagesBody, body);
  const context = contextRequest(parsed, headers);
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
  return { ...contextRequest(parse(countTokensBody, body), headers), stream: false };
}
