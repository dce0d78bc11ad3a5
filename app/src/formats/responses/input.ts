import type { ContentBlock, Message, SystemContentBlock } from "@aws-sdk/client-bedrock-runtime";
import { type ConverseConversation, imageBlock, invalid, isBlank } from "../openai/messages";
import { reasoningBlock } from "./reasoning-token";
import type { ContentPart, InputItem } from "./schema";
import { bedrockToolName, LOCAL_SHELL } from "./tools";

/**
 * Responses `instructions` and `input` -> Converse `system` and `messages`.
 *
 * - `instructions`, and `system` and `developer` messages wherever they stand, become the system blocks, in order.
 * - Assistant messages, reasoning items and tool calls join the assistant turn; tool outputs and user messages the
 *   user turn: Converse wants strictly alternating roles, and each tool round's results in one user turn.
 * - A reasoning item goes back to Bedrock only with its `encrypted_content` (Bedrock needs the signature).
 * - Blank text is dropped (Bedrock rejects blank blocks); a user message left with nothing is a 400 naming it.
 * - Item kinds Bedrock has no use for (web_search_call, ...) are skipped; an `item_reference` is a 400, since
 *   this gateway stores no items to refer to.
 */


function blocks(parts: readonly ContentPart[], path: readonly PropertyKey[]): ContentBlock[] {
  return parts.flatMap((part, index): ContentBlock[] => {
    if (part.type === "input_image") return [imageBlock(part.image_url, [...path, index, "image_url"])];
    const text = part.type === "refusal" ? part.refusal : part.text;
    return isBlank(text) ? [] : [{ text }];
  });
}

function jsonObject(text: string, path: readonly PropertyKey[]): object {
  let value: unknown;
  try {
    value = JSON.parse(text || "{}");
  } catch {
    throw invalid(path, "must be a JSON object text");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(path, "must be a JSON object text");
  return value;
}

/** The assistant-side block an item stands for (undefined: nothing to send), or a user-side tool result. */
function toolBlock(item: InputItem, path: PropertyKey[], calls: Set<string>): { role: "user" | "assistant"; block?: ContentBlock } {
  const use = (toolUseId: string, name: string, input: object) => {
    calls.add(toolUseId);
    return { role: "assistant" as const, block: { toolUse: { toolUseId, name, input: input as Record<string, never> } } };
  };
  const result = (toolUseId: string | undefined, content: ContentBlock[], idField: string) => {
    if (!toolUseId || !calls.has(toolUseId)) throw invalid([...path, idField], "does not match a tool call earlier in input");
    return { role: "user" as const, block: { toolResult: { toolUseId, content: content as never } } };
  };
  switch (item.type) {
    case "function_call":
      return use(item.call_id, bedrockToolName(item.name, item.namespace), jsonObject(item.arguments, [...path, "arguments"]));
    case "custom_tool_call":
      return use(item.call_id, bedrockToolName(item.name, item.namespace), { input: item.input });
    case "local_shell_call": {
      const { type: _type, ...action } = item.action;
      return use(item.call_id, LOCAL_SHELL, action);
    }
    case "function_call_output":
    case "custom_tool_call_output":
      return result(item.call_id, blocks(item.output, [...path, "output"]), "call_id");
    case "local_shell_call_output":
      return result(item.call_id ?? item.id, isBlank(item.output) ? [] : [{ text: item.output }], item.call_id ? "call_id" : "id");
    case "reasoning": {
      const block = item.encrypted_content ? reasoningBlock(item.encrypted_content) : undefined;
      return { role: "assistant", block };
    }
    default:
      return { role: "assistant" };
  }
}

/** Converts validated input; throws a 400 {@link ApiError} naming the item at fault. */
export function toConversation(instructions: string | undefined, items: readonly InputItem[]): ConverseConversation {
  const system: SystemContentBlock[] = instructions && !isBlank(instructions) ? [{ text: instructions }] : [];
  const turns: Message[] = [];
  const calls = new Set<string>();
  const append = (role: "user" | "assistant", content: ContentBlock[]) => {
    if (content.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content!.push(...content);
    else turns.push({ role, content });
  };

  items.forEach((item, index) => {
    const path = ["input", index];
    if (item.type === "item_reference") throw invalid(path, "item references need stored items, and this gateway stores none: send the item itself");
    if (item.type !== "message") {
      const { role, block } = toolBlock(item, path, calls);
      if (block) append(role, [block]);
      return;
    }
    const content = blocks(item.content, [...path, "content"]);
    if (item.role === "system" || item.role === "developer") {
      system.push(...content.filter((block): block is { text: string } => block.text !== undefined));
    } else if (item.role === "user") {
      if (content.length === 0) throw invalid([...path, "content"], "must not be empty");
      append("user", content);
    } else append("assistant", content);
  });

  if (turns.length === 0) throw invalid(["input"], "must hold at least one user message");
  if (turns[0].role !== "user") throw invalid(["input"], "the conversation must start with a user message (after any system or developer messages)");
  return { system: system.length > 0 ? system : undefined, messages: turns };
}
