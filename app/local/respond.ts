import { createHash } from "node:crypto";
import { detectLanguage, PHRASES } from "./language";
import type { OfferedTool, PromptView } from "./prompt";
import { defaultReply, delayBefore, type Pacing, tokenize } from "./reply";
import type { Scenario, Step } from "./scenario";
import { schemaInstance } from "./schema-instance";

/**
 * The stand-in's behaviour when a scenario scripts no steps: what a model would do with this request, made
 * deterministic so clients can be driven through a whole tool round.
 * - After a tool result: a final answer that quotes the result.
 * - A tool call when one is forced (`toolChoice` tool/any), when the scenario's `toolCall` names an offered tool,
 *   when the prompt names an offered tool ("use get_weather"), or asks to run a `backticked` command and a tool
 *   takes a command (`cmd`/`command`). Its input is the JSON object written after the tool's
 *   name in the prompt, else an instance of the tool's schema with the prompt's first `backticked` text in its
 *   first string field (so "use shell to run `echo hello`" asks for that command).
 * - With a structured-output schema: a JSON instance of it. Otherwise the plain reply, in the prompt's language.
 * - With thinking on, a short reasoning block and its signature first. Everything stops at max tokens (stop reason
 *   `max_tokens`), counting one token per step as usage does.
 */

export interface Plan {
  steps: Step[];
  stopReason: string;
}

/** Bracketed context blocks clients add to user turns (Claude Code's `<system-reminder>`, Codex's `<environment_context>`). */
const CONTEXT_BLOCK = /<([A-Za-z][\w-]*)>[\s\S]*?<\/\1>/g;

/** What the user asked in the latest turn that has text, without the context blocks clients wrap around it. */
export function promptText(view: PromptView): string {
  for (const turn of [...view.turns].reverse()) {
    const text = turn.role === "user" ? turn.text.replace(CONTEXT_BLOCK, "").trim() : "";
    if (text) return text;
  }
  return "";
}

/** JSON text in pieces of about four tokens' worth, as a model streams it. */
const jsonPieces = (json: string) => json.match(/[\s\S]{1,12}/g) ?? [];

/** The first JSON object that parses in `text` from `from` on (an explicit tool input written in the prompt). */
function jsonObjectAfter(text: string, from: number): Record<string, unknown> | undefined {
  const start = text.indexOf("{", from);
  if (start < 0) return undefined;
  for (let end = text.indexOf("}", start); end >= 0; end = text.indexOf("}", end + 1)) {
    try {
      const value = JSON.parse(text.slice(start, end + 1));
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return value;
    } catch {
      // not yet a whole object: try the next closing brace
    }
  }
  return undefined;
}

/** Properties that hold a shell command (Codex's `exec_command.cmd`, a `shell` tool's `command` list). */
const COMMAND_KEY = /^(command|cmd|argv)$/i;

/** "run `echo hello`": a request to run a command, which a tool with a command property serves. */
const RUN_REQUEST = /\b(run|execute|exec)\b[^`]*`[^`]+`/i;

/** The schema instance, with the prompt's first backticked text in the first string (or string-list) property. */
function hintedInput(tool: OfferedTool, prompt: string): Record<string, unknown> {
  const input = schemaInstance(tool.schema);
  const record = typeof input === "object" && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  const hint = /`([^`]+)`/.exec(prompt)?.[1];
  if (hint === undefined) return record;
  const textual = (k: string) => typeof record[k] === "string" || (Array.isArray(record[k]) && typeof (record[k] as unknown[])[0] === "string");
  const key = Object.keys(record).find((k) => COMMAND_KEY.test(k) && textual(k)) ?? Object.keys(record).find(textual);
  if (key) record[key] = typeof record[key] === "string" ? hint : COMMAND_KEY.test(key) ? ["bash", "-lc", hint] : [hint];
  return record;
}

function chooseTool(view: PromptView, prompt: string, scenario: Scenario): OfferedTool | undefined {
  const { tools, toolChoice } = view;
  if (tools.length === 0 || toolChoice.type === "none") return undefined;
  const named = (name: string | undefined) => tools.find((tool) => tool.name === name);
  const mentioned = [...tools]
    .sort((a, b) => b.name.length - a.name.length)
    .find((tool) => new RegExp(`(^|[^\\w])${tool.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}($|[^\\w])`).test(prompt));
  const runner = RUN_REQUEST.test(prompt)
    ? tools.find((tool) => Object.keys((tool.schema as { properties?: object } | undefined)?.properties ?? {}).some((key) => COMMAND_KEY.test(key)))
    : undefined;
  if (toolChoice.type === "tool") return named(toolChoice.name) ?? tools[0];
  return named(scenario.toolCall?.name) ?? mentioned ?? runner ?? (toolChoice.type === "any" ? tools[0] : undefined);
}

function toolCallSteps(view: PromptView, tool: OfferedTool, prompt: string, scenario: Scenario): Step[] {
  const at = prompt.indexOf(tool.name);
  const written = at >= 0 ? jsonObjectAfter(prompt, at + tool.name.length) : undefined;
  const scripted = scenario.toolCall?.name === tool.name ? scenario.toolCall.input : undefined;
  const input = scripted ?? written ?? hintedInput(tool, prompt);
  // Deterministic per conversation, so a replayed session asks with the same id.
  const id = `tooluse_${createHash("sha256").update(`${tool.name}|${view.turns.length}|${prompt}`).digest("base64url").slice(0, 22)}`;
  return [{ toolUse: { id, name: tool.name } }, ...jsonPieces(JSON.stringify(input)).map((toolInput) => ({ toolInput }))];
}

/** Text after a tool result: what the tool returned, quoted and shortened. */
function afterToolResult(view: PromptView, prompt: string): string {
  const last = view.turns.at(-1)!;
  const previous = view.turns.at(-2);
  const tool = previous?.toolUses[0] ?? "requested";
  const result = last.toolResults.map((r) => r.text).join(" ").replace(/\s+/g, " ").trim();
  const quoted = result.length > 200 ? `${result.slice(0, 200)}…` : result || "(empty)";
  return PHRASES[detectLanguage(prompt)].toolResult(tool, quoted);
}

function thinkingSteps(view: PromptView): Step[] {
  if (view.thinking?.type !== "enabled" && view.thinking?.type !== "adaptive") return [];
  const signature = createHash("sha256").update(`signature|${view.turns.length}`).digest("base64");
  return [...tokenize("The user asked something; I will answer plainly.", "en").map((reasoning) => ({ reasoning })), { signature }];
}

export function modelReply(view: PromptView, pacing: Pacing, scenario: Scenario): Plan {
  const prompt = promptText(view);
  const language = detectLanguage(prompt);
  const last = view.turns.at(-1);
  let body: Step[];
  let stopReason = "end_turn";
  const tool = last?.toolResults.length ? undefined : chooseTool(view, prompt, scenario);
  if (tool) {
    body = toolCallSteps(view, tool, prompt, scenario);
    stopReason = "tool_use";
  } else if (view.outputSchema !== undefined) {
    body = jsonPieces(JSON.stringify(schemaInstance(view.outputSchema))).map((text) => ({ text }));
  } else if (last?.toolResults.length) {
    body = tokenize(afterToolResult(view, prompt), language).map((text) => ({ text }));
  } else {
    body = defaultReply(prompt, pacing);
  }
  const steps = [...thinkingSteps(view), ...body];
  const limit = view.maxTokens ?? Infinity;
  const kept = steps.slice(0, limit).map((step, i) => ({ ...step, delayMs: delayBefore(i, pacing) }) as Step);
  return { steps: kept, stopReason: steps.length > limit ? "max_tokens" : stopReason };
}
