import type { ContentBlock, ImageFormat, Message, SystemContentBlock } from "@aws-sdk/client-bedrock-runtime";
import { ApiError } from "../../http/errors";
import { assertJsonDepth } from "../../http/json-depth";
import { fieldName } from "../schema-errors";
import type { OpenAiMessage } from "./schema";

/**
 * OpenAI messages -> Converse `system` and `messages`.
 *
 * - `system` and `developer` messages, wherever they stand, become the system blocks, in order.
 * - `tool` messages become `toolResult` blocks of a user turn; consecutive turns of one role are merged into one,
 *   because Converse requires strictly alternating roles (and all results of one tool round in one user turn).
 * - Blank text is dropped (Bedrock rejects blank text blocks): an assistant message left with nothing is skipped, a
 *   user message left with nothing is a 400 naming it.
 */

const IMAGE_FORMATS: Readonly<Record<string, ImageFormat>> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};
const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+);base64,/i;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface ConverseConversation {
  system?: SystemContentBlock[];
  messages: Message[];
}

export const invalid = (path: readonly PropertyKey[], rule: string) => {
  const field = fieldName(path);
  return new ApiError(400, "invalid_request", `${field}: ${rule}`, { param: field });
};

export const isBlank = (text: string) => text.trim().length === 0;

/** The non-blank texts of a message's content (a refusal the assistant gave counts as its text). */
function texts(content: ReadonlyArray<{ text?: string; refusal?: string }>): string[] {
  return content.map((part) => part.text ?? part.refusal ?? "").filter((text) => !isBlank(text));
}

/** A `data:` URL -> a Converse image block; anything else is a 400 (the tasks cannot fetch remote images). */
export function imageBlock(url: string, path: readonly PropertyKey[]): ContentBlock {
  const match = DATA_URL.exec(url);
  if (!match) {
    const rule = url.startsWith("data:")
      ? "must be a base64 data: URL (data:image/png;base64,...)"
      : "must be a data: URL (remote image URLs are not fetched)";
    throw invalid(path, rule);
  }
  const format = IMAGE_FORMATS[match[1].toLowerCase()];
  if (!format) throw invalid(path, "must be a PNG, JPEG, GIF or WebP image");
  const data = url.slice(match[0].length);
  if (data.length === 0 || !BASE64.test(data)) throw invalid(path, "must carry valid base64 image data");
  return { image: { format, source: { bytes: Buffer.from(data, "base64") } } };
}

function toolUseBlocks(message: Extract<OpenAiMessage, { role: "assistant" }>, path: PropertyKey[]): ContentBlock[] {
  return (message.tool_calls ?? []).map((call, index) => {
    const argumentsPath = [...path, "tool_calls", index, "function", "arguments"];
    let input: unknown;
    try {
      input = JSON.parse(call.function.arguments || "{}");
    } catch {
      throw invalid(argumentsPath, "must be a JSON object text");
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) throw invalid(argumentsPath, "must be a JSON object text");
    assertJsonDepth(input, argumentsPath);
    return { toolUse: { toolUseId: call.id, name: call.function.name, input: input as Record<string, never> } };
  });
}

/** Converts validated messages; throws a 400 {@link ApiError} naming the message at fault. */
export function toConverse(messages: readonly OpenAiMessage[]): ConverseConversation {
  const system: SystemContentBlock[] = [];
  const turns: Message[] = [];
  const toolCallIds = new Set<string>();
  const append = (role: "user" | "assistant", content: ContentBlock[]) => {
    const last = turns.at(-1);
    if (last?.role === role) last.content!.push(...content);
    else turns.push({ role, content });
  };

  messages.forEach((message, index) => {
    const path = ["messages", index];
    switch (message.role) {
      case "system":
      case "developer":
        system.push(...texts(message.content).map((text) => ({ text })));
        return;
      case "user": {
        const content = message.content.flatMap((part, partIndex): ContentBlock[] =>
          part.type === "text"
            ? texts([part]).map((text) => ({ text }))
            : [imageBlock(part.image_url.url, [...path, "content", partIndex, "image_url", "url"])],
        );
        if (content.length === 0) throw invalid([...path, "content"], "must not be empty");
        append("user", content);
        return;
      }
      case "assistant": {
        const text = message.content == null ? [] : texts(message.content);
        const content: ContentBlock[] = [...text.map((value) => ({ text: value })), ...toolUseBlocks(message, path)];
        message.tool_calls?.forEach((call) => toolCallIds.add(call.id));
        // An empty assistant turn (a reply that was cut off, or only reasoning) says nothing Bedrock could take.
        if (content.length > 0) append("assistant", content);
        return;
      }
      case "tool": {
        if (!toolCallIds.has(message.tool_call_id)) {
          throw invalid([...path, "tool_call_id"], "does not match a tool call of an earlier assistant message");
        }
        const content = texts(message.content).map((text) => ({ text }));
        append("user", [{ toolResult: { toolUseId: message.tool_call_id, content } }]);
        return;
      }
    }
  });

  if (turns.length === 0) throw invalid(["messages"], "must hold at least one user message");
  if (turns[0].role !== "user") {
    const first = messages.findIndex((message) => message.role !== "system" && message.role !== "developer");
    throw invalid(["messages", first, "role"], 'the conversation must start with a "user" message (after any system messages)');
  }
  return { system: system.length > 0 ? system : undefined, messages: turns };
}
