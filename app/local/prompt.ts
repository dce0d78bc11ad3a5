/**
 * One reading of a request, whatever its wire form: the Converse body (`messages[].content[].text`, `toolConfig`,
 * `inferenceConfig.maxTokens`, `outputConfig.textFormat`) or Anthropic's native Messages body (`content` strings or
 * typed blocks, `tools[].input_schema`, `tool_choice`, `max_tokens`, `output_config.format`). The reply engine and
 * the token estimate look only at this view, so one scenario or one default behaviour serves both operations.
 */

export interface ToolResult {
  toolUseId: string;
  text: string;
  isError: boolean;
}

export interface Turn {
  role: string;
  /** The turn's text blocks joined. */
  text: string;
  toolResults: ToolResult[];
  /** Names of the tools the assistant called in this turn. */
  toolUses: string[];
}

export interface OfferedTool {
  name: string;
  /** The tool's JSON Schema (undefined for server tools that carry none, e.g. Anthropic's `bash_*`). */
  schema: unknown;
}

export interface ToolChoice {
  type: "auto" | "any" | "tool" | "none";
  name?: string;
}

export interface PromptView {
  system: string;
  turns: Turn[];
  tools: OfferedTool[];
  toolChoice: ToolChoice;
  /** JSON Schema the reply text must be an instance of (structured output), if asked for. */
  outputSchema?: unknown;
  maxTokens?: number;
  /** The native `thinking` or Converse `additionalModelRequestFields.thinking`, as sent. */
  thinking?: { type?: string; budget_tokens?: number };
}

const isObject = (value: unknown): value is Record<string, any> => typeof value === "object" && value !== null;
const array = (value: unknown): any[] => (Array.isArray(value) ? value : []);

/** Text of a native `content` (string or blocks) or of a tool result's content. */
function nativeText(content: unknown): string {
  if (typeof content === "string") return content;
  return array(content)
    .map((block) => (block?.type === "text" && typeof block.text === "string" ? block.text : ""))
    .join("");
}

function converseText(blocks: unknown): string {
  return array(blocks)
    .map((block) => (typeof block?.text === "string" ? block.text : isObject(block?.json) ? JSON.stringify(block.json) : ""))
    .join("");
}

function nativeTurn(message: any): Turn {
  const blocks = typeof message?.content === "string" ? [] : array(message?.content);
  return {
    role: String(message?.role ?? ""),
    text: nativeText(message?.content),
    toolResults: blocks
      .filter((block) => block?.type === "tool_result")
      .map((block) => ({ toolUseId: String(block.tool_use_id ?? ""), text: nativeText(block.content), isError: block.is_error === true })),
    toolUses: blocks.filter((block) => block?.type === "tool_use").map((block) => String(block.name)),
  };
}

function converseTurn(message: any): Turn {
  const blocks = array(message?.content);
  return {
    role: String(message?.role ?? ""),
    text: converseText(blocks),
    toolResults: blocks
      .filter((block) => isObject(block?.toolResult))
      .map(({ toolResult }) => ({
        toolUseId: String(toolResult.toolUseId ?? ""),
        text: converseText(toolResult.content),
        isError: toolResult.status === "error",
      })),
    toolUses: blocks.filter((block) => isObject(block?.toolUse)).map((block) => String(block.toolUse.name)),
  };
}

function parseSchema(text: unknown): unknown {
  if (typeof text !== "string") return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A native Messages body: the one with `anthropic_version` (Bedrock requires it on the native path). */
export function isNativeBody(body: unknown): boolean {
  return isObject(body) && typeof body.anthropic_version === "string";
}

function nativeView(body: Record<string, any>): PromptView {
  const choice = isObject(body.tool_choice) ? body.tool_choice : {};
  const format = body.output_config?.format;
  return {
    system: typeof body.system === "string" ? body.system : nativeText(body.system),
    turns: array(body.messages).map(nativeTurn),
    tools: array(body.tools).map((tool) => ({ name: String(tool?.name ?? ""), schema: tool?.input_schema })),
    toolChoice: { type: ["any", "tool", "none"].includes(choice.type) ? choice.type : "auto", name: choice.name },
    outputSchema: format?.type === "json_schema" ? format.schema : undefined,
    maxTokens: typeof body.max_tokens === "number" ? body.max_tokens : undefined,
    thinking: isObject(body.thinking) ? body.thinking : undefined,
  };
}

function converseView(body: Record<string, any>): PromptView {
  const config = isObject(body.toolConfig) ? body.toolConfig : {};
  const choice = isObject(config.toolChoice) ? config.toolChoice : {};
  const format = body.outputConfig?.textFormat;
  const thinking = body.additionalModelRequestFields?.thinking;
  return {
    system: converseText(body.system),
    turns: array(body.messages).map(converseTurn),
    tools: array(config.tools)
      .filter((tool) => isObject(tool?.toolSpec))
      .map(({ toolSpec }) => ({ name: String(toolSpec.name ?? ""), schema: toolSpec.inputSchema?.json })),
    toolChoice: choice.tool ? { type: "tool", name: choice.tool.name } : choice.any ? { type: "any" } : { type: "auto" },
    outputSchema: format?.type === "json_schema" ? parseSchema(format.structure?.jsonSchema?.schema) : undefined,
    maxTokens: typeof body.inferenceConfig?.maxTokens === "number" ? body.inferenceConfig.maxTokens : undefined,
    thinking: isObject(thinking) ? thinking : undefined,
  };
}

/** The view of a Converse or native body (anything else reads as an empty prompt). */
export function promptView(body: unknown): PromptView {
  if (!isObject(body)) return { system: "", turns: [], tools: [], toolChoice: { type: "auto" } };
  return isNativeBody(body) ? nativeView(body) : converseView(body);
}

/** The text of the last user turn (what the default reply responds to). */
export function lastUserText(view: PromptView): string {
  return [...view.turns].reverse().find((turn) => turn.role === "user")?.text ?? "";
}

/**
 * Rough token estimate (4 characters a token) of the system prompt and the last user turn, for a plausible default
 * `inputTokens`; the app's tests compute expected usage with the same rule.
 */
export function estimateInputTokens(body: unknown): number {
  const view = promptView(body);
  return Math.max(1, Math.ceil((view.system.length + lastUserText(view).length) / 4));
}
