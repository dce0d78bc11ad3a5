import type { StreamSummary } from "../../bedrock/chat-events";
import type { ResultBlock } from "../../bedrock/collect";
import { ApiError } from "../../http/errors";
import type { ReplyInfo, WireFormat } from "../wire-format";
import { ANTHROPIC_ERROR_SHAPE } from "./errors";
import { messageHead, stopReason, stopSequence, usageOf } from "./reply";
import { parseMessagesRequest } from "./request";
import { SSE_CONTENT_TYPE } from "./sse";
import { AnthropicStreamWriter } from "./stream-writer";

/** A tool call's input as the API gives it: an object. Text the model left unparseable is an upstream failure. */
function toolInput(json: string): unknown {
  if (json.trim() === "") return {};
  try {
    return JSON.parse(json);
  } catch {
    throw new ApiError(502, "model_error", "The model produced tool input that is not valid JSON", { logLevel: "warn" });
  }
}

function contentBlock(block: ResultBlock): Record<string, unknown> {
  switch (block.type) {
    case "text":
      return { type: "text", text: block.text, citations: null };
    case "reasoning":
      return { type: "thinking", thinking: block.text, signature: block.signature ?? "" };
    case "redacted_reasoning":
      return { type: "redacted_thinking", data: Buffer.from(block.data).toString("base64") };
    case "tool_use":
      return { type: "tool_use", id: block.id, name: block.name, input: toolInput(block.inputJson) };
  }
}

/**
 * Anthropic Messages (`POST /v1/messages`): server-sent events with Anthropic's names when `stream` is true, else
 * one `message` object; errors `{"type":"error","error":{type,message}}` as the body or an `event: error` frame.
 */
export const anthropicFormat: WireFormat = {
  name: "anthropic",
  parseRequest: parseMessagesRequest,
  ...ANTHROPIC_ERROR_SHAPE,
  streamContentType: SSE_CONTENT_TYPE,
  streamWriter: (reply) => new AnthropicStreamWriter(reply),
  completeBody: (reply: ReplyInfo, blocks: ResultBlock[], summary: StreamSummary) => ({
    ...messageHead(reply),
    content: blocks.map(contentBlock),
    stop_reason: stopReason(summary),
    stop_sequence: stopSequence(summary, reply.request),
    usage: usageOf(summary),
  }),
};
