import { createHash } from "node:crypto";
import type { Tool as BedrockTool, ToolChoice as BedrockToolChoice, ToolConfiguration } from "@aws-sdk/client-bedrock-runtime";
import { ApiError } from "../../http/errors";
import type { CustomTool, FunctionTool, Tool, ToolChoice } from "./schema";

/**
 * Responses tools -> Converse tools, and back. Every kind becomes a Bedrock tool with a JSON input; what the model
 * calls is given back as the item the client expects:
 * - `function` -> `function_call` (arguments: the input JSON);
 * - `custom` (free-form text) -> a tool whose input is `{"input": "<text>"}`, called back as `custom_tool_call`;
 * - `local_shell` -> a tool taking `{"command": [...]}`, called back as `local_shell_call`;
 * - `namespace` -> its functions and custom tools, flattened as `<namespace>__<name>` and called back under the name
 *   and namespace the client sent.
 * Hosted tools Bedrock cannot serve (web_search, file_search, ...) are not offered to the model.
 */

export type ToolKind = "function" | "custom" | "local_shell";
/** What a Bedrock tool name stands for in the client's terms. */
export interface ToolTarget {
  kind: ToolKind;
  name: string;
  namespace?: string;
}

export const LOCAL_SHELL = "local_shell";
const BEDROCK_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** The Bedrock name of a client tool: as sent when Bedrock allows it, else made to fit (stable, so history maps too). */
export function bedrockToolName(name: string, namespace?: string): string {
  const joined = namespace ? `${namespace}__${name}` : name;
  if (BEDROCK_NAME.test(joined)) return joined;
  const hash = createHash("sha256").update(joined).digest("hex").slice(0, 8);
  return `${joined.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 55)}_${hash}`;
}

const CUSTOM_INPUT_SCHEMA = (tool: CustomTool) => ({
  type: "object",
  properties: {
    input: {
      type: "string",
      description: tool.format?.definition
        ? `The tool's raw input, in this ${tool.format.syntax ?? ""} grammar:\n${tool.format.definition}`
        : "The tool's raw input text",
    },
  },
  required: ["input"],
});

const LOCAL_SHELL_SPEC = {
  name: LOCAL_SHELL,
  description: "Runs a command on the user's machine and returns its output.",
  inputSchema: {
    json: {
      type: "object",
      properties: {
        command: { type: "array", items: { type: "string" }, description: 'The program and its arguments, e.g. ["bash", "-lc", "ls"]' },
        working_directory: { type: "string" },
        timeout_ms: { type: "integer" },
      },
      required: ["command"],
    },
  },
};

function spec(tool: FunctionTool | CustomTool, name: string): BedrockTool {
  const json = tool.type === "custom" ? CUSTOM_INPUT_SCHEMA(tool) : (tool.parameters ?? { type: "object", properties: {} });
  return { toolSpec: { name, description: tool.description ?? undefined, inputSchema: { json: json as Record<string, never> } } };
}

export interface OfferedTools {
  toolConfig?: ToolConfiguration;
  targets: Map<string, ToolTarget>;
}

const badParam = (param: string, rule: string) => new ApiError(400, "invalid_request", `${param}: ${rule}`, { param });

/** Every tool the client sent that Bedrock can take, by Bedrock name; a name given twice is a 400. */
function collect(tools: readonly Tool[]): Map<string, { target: ToolTarget; spec: BedrockTool }> {
  const out = new Map<string, { target: ToolTarget; spec: BedrockTool }>();
  const add = (path: string, target: ToolTarget, make: (name: string) => BedrockTool) => {
    const name = target.kind === "local_shell" ? LOCAL_SHELL : bedrockToolName(target.name, target.namespace);
    if (out.has(name)) throw badParam(path, "must be unique");
    out.set(name, { target, spec: make(name) });
  };
  tools.forEach((tool, index) => {
    if (tool.type === "function" || tool.type === "custom") {
      add(`tools[${index}].name`, { kind: tool.type, name: tool.name }, (name) => spec(tool, name));
    } else if (tool.type === "namespace") {
      tool.tools.forEach((inner, innerIndex) => {
        const target = { kind: inner.type, name: inner.name, namespace: tool.name };
        add(`tools[${index}].tools[${innerIndex}].name`, target, (name) => spec(inner, name));
      });
    } else if (tool.type === "local_shell") {
      add(`tools[${index}]`, { kind: "local_shell", name: LOCAL_SHELL }, () => ({ toolSpec: LOCAL_SHELL_SPEC }));
    }
  });
  return out;
}

type Named = { type: string; name?: string; namespace?: string };
const nameOf = (choice: Named) => (choice.type === "local_shell" ? LOCAL_SHELL : bedrockToolName(choice.name ?? "", choice.namespace));

/**
 * The tool configuration for the request. `historyHasToolCalls`: Bedrock needs the definitions of tools the input
 * already used, so tools cannot be left out (nor forbidden with "none") then.
 */
export function offeredTools(tools: readonly Tool[], choice: ToolChoice | undefined, historyHasToolCalls: boolean): OfferedTools {
  let offered = collect(tools);
  let mode = choice;
  if (typeof choice === "object" && choice.type === "allowed_tools") {
    const allowed = new Set(choice.tools.map(nameOf));
    offered = new Map([...offered].filter(([name]) => allowed.has(name)));
    mode = choice.mode;
  }
  const targets = new Map([...offered].map(([name, entry]) => [name, entry.target]));
  if (offered.size === 0 || mode === "none") {
    if (mode === "required" || (typeof mode === "object" && mode !== null)) throw badParam("tool_choice", "requires tools");
    if (historyHasToolCalls) {
      throw badParam(offered.size === 0 ? "tools" : "tool_choice", "input carries tool calls, so their tools must be offered (Bedrock needs their definitions)");
    }
    return { targets: new Map() };
  }
  let toolChoice: BedrockToolChoice = { auto: {} };
  if (mode === "required") toolChoice = { any: {} };
  else if (typeof mode === "object" && mode !== null) {
    const name = nameOf(mode);
    if (!offered.has(name)) throw badParam("tool_choice", "must name one of the tools");
    toolChoice = { tool: { name } };
  }
  return { toolConfig: { tools: [...offered.values()].map((entry) => entry.spec), toolChoice }, targets };
}
