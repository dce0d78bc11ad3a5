import * as z from "zod";
import { turnOutputConfig, thinkingDisplay } from "./beta-fields";
import { textBlock, textOrBlocks } from "./blocks";

/**
 * The Messages fields the API accepts today beyond the conversation itself: thinking in its three forms,
 * `output_config`, `context_management`, system-role messages, Bedrock's client-side tool types, and the fields
 * Bedrock cannot serve at all (a 400 naming them). Each is adapted per model by the upstream that serves it
 * (native-body.ts for Claude, request.ts for Converse).
 */

const display = thinkingDisplay;

export const thinking = z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("enabled"), budget_tokens: z.number().int().min(1024), display }),
    z.strictObject({ type: z.literal("adaptive"), display }),
    z.strictObject({ type: z.literal("disabled") }),
  ],
  { error: (issue) => (issue.code === "invalid_union" ? 'must be "enabled" (with budget_tokens), "adaptive" or "disabled"' : undefined) },
);

/** Structured output (a JSON schema the reply follows) and the effort level. */
export const outputConfig = z.strictObject({
  effort: z.enum(["low", "medium", "high", "xhigh", "max"]).optional(),
  format: z.strictObject({ type: z.literal("json_schema"), schema: z.record(z.string(), z.unknown()) }).nullish(),
});

/** Context editing (e.g. clearing old thinking): passed to Claude as sent. */
export const contextManagement = z.looseObject({ edits: z.array(z.looseObject({ type: z.string().min(1) })).optional() });

/** A system-role message inside `messages` (text only), carried as the model accepts it (system-turns.ts). */
export const systemMessage = z.strictObject({
  role: z.literal("system"),
  content: textOrBlocks(z.array(textBlock).min(1, "must not be empty")),
  output_config: turnOutputConfig,
});

/**
 * Tool types Claude runs on the client's side, which Bedrock serves (computer use, bash, text editor, memory):
 * passed as sent. Server tools (web search, web fetch, code execution, MCP toolsets) run at Anthropic: refused.
 */
const CLIENT_TOOL_TYPE = /^(computer|bash|text_editor|memory)_\d{8}$/;
export const typedTool = z.looseObject({
  type: z.string().regex(CLIENT_TOOL_TYPE, "is a server tool, which Bedrock does not run (client tools, computer, bash, text_editor and memory tools are served)"),
  name: z.string().min(1).max(128),
});

const notOnBedrock = (what: string) =>
  z.unknown().refine((value) => value === undefined, `${what} are not available on Bedrock`).optional();

/** Fields whose features Bedrock lacks entirely: a 400 naming them, never a silent change. */
export const refusedFields = {
  mcp_servers: notOnBedrock("MCP servers (the MCP connector)"),
  container: notOnBedrock("containers (code execution, skills)"),
};
