import type { ToolConfiguration } from "@aws-sdk/client-bedrock-runtime";
import { isClaudeModel } from "../../bedrock/model-ids";
import { ApiError } from "../../http/errors";
import type { ChatCompletionBody } from "./schema";

const badParam = (param: string, rule: string) =>
  new ApiError(400, "invalid_request", `${param}: ${rule}`, { param });

export interface OpenAiTools {
  toolConfig?: ToolConfiguration;
  /** Merged into `additionalModelRequestFields` (Claude's `tool_choice` with `disable_parallel_tool_use`). */
  modelFields?: Record<string, unknown>;
}

/**
 * `tools`, `tool_choice` and `parallel_tool_calls` -> Converse's tool configuration (none: no tools offered).
 * `parallel_tool_calls: false` reaches Claude as its own `tool_choice` with `disable_parallel_tool_use` (Converse's
 * tool choice has no such flag, and Bedrock passes the model's field through); other models have no way to say it,
 * so there it is accepted and ignored.
 */
export function toolsOf(data: ChatCompletionBody, modelId: string, historyHasToolCalls: boolean): OpenAiTools {
  const tools = data.tools ?? [];
  const choice = data.tool_choice ?? undefined;
  if (tools.length === 0) {
    if (choice === "required" || typeof choice === "object") throw badParam("tool_choice", "requires tools");
    if (historyHasToolCalls) throw badParam("tools", "are required when messages carry tool calls (Bedrock needs their definitions)");
    return {};
  }
  if (choice === "none") {
    // Converse has no "none": offering no tools is how to forbid calls, which Bedrock allows only without tool history.
    if (historyHasToolCalls) throw badParam("tool_choice", '"none" is not supported once messages carry tool calls');
    return {};
  }
  const names = new Set<string>();
  tools.forEach((tool, index) => {
    if (names.has(tool.function.name)) throw badParam(`tools[${index}].function.name`, "must be unique");
    names.add(tool.function.name);
  });
  if (typeof choice === "object" && !names.has(choice.function.name)) {
    throw badParam("tool_choice.function.name", "must name one of the tools");
  }
  const toolConfig: ToolConfiguration = {
    tools: tools.map((tool) => ({
      toolSpec: {
        name: tool.function.name,
        description: tool.function.description,
        inputSchema: { json: (tool.function.parameters ?? { type: "object", properties: {} }) as Record<string, never> },
        ...(tool.function.strict === true ? { strict: true } : {}),
      },
    })),
    toolChoice:
      choice === "required" ? { any: {} } : typeof choice === "object" ? { tool: { name: choice.function.name } } : { auto: {} },
  };
  if (data.parallel_tool_calls !== false || !isClaudeModel(modelId)) return { toolConfig };
  const claudeChoice =
    choice === "required" ? { type: "any" } : typeof choice === "object" ? { type: "tool", name: choice.function.name } : { type: "auto" };
  return { toolConfig, modelFields: { tool_choice: { ...claudeChoice, disable_parallel_tool_use: true } } };
}
