/**
 * `system`-role messages inside `messages` (Anthropic's mid-conversation system messages). Bedrock's Claude models
 * take only `user` and `assistant` turns, so each one is carried as a text block in a user turn, marked as the
 * system's, where it stood: appended to the user turn before it, or else put in front of the user turn after it
 * (after that turn's tool results, which must come first), or else a user turn of its own.
 */

type Block = { type: string } & Record<string, unknown>;
export interface Turn {
  role: string;
  content: string | Block[];
}

const blocksOf = (content: Turn["content"]): Block[] =>
  typeof content === "string" ? (content === "" ? [] : [{ type: "text", text: content }]) : content;

function systemBlock(content: Turn["content"]): Block {
  const text = blocksOf(content).map((block) => (typeof block.text === "string" ? block.text : "")).join("\n");
  return { type: "text", text: `<system>\n${text}\n</system>` };
}

/** The turns with every system-role message folded into a user turn; the same array when there is none. */
export function foldSystemTurns<T extends Turn>(messages: readonly T[]): T[] {
  if (!messages.some((turn) => turn.role === "system")) return messages as T[];
  const out: Turn[] = [];
  let carried: Block[] = [];
  for (const turn of messages) {
    if (turn.role === "system") {
      const previous = out.at(-1);
      if (previous?.role === "user") previous.content = [...blocksOf(previous.content), systemBlock(turn.content)];
      else carried.push(systemBlock(turn.content));
      continue;
    }
    if (turn.role === "user" && carried.length > 0) {
      const blocks = blocksOf(turn.content);
      const results = blocks.filter((block) => block.type === "tool_result").length;
      out.push({ ...turn, content: [...blocks.slice(0, results), ...carried, ...blocks.slice(results)] });
      carried = [];
      continue;
    }
    if (carried.length > 0) out.push({ role: "user", content: carried }), (carried = []);
    out.push({ ...turn });
  }
  if (carried.length > 0) out.push({ role: "user", content: carried });
  return out as T[];
}
