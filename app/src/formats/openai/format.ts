import type { ChatRequest } from "../../bedrock/chat-request";
import type { WireFormat } from "../wire-format";
import { openAiErrorBody, openAiErrorFrame } from "./errors";
import { completionBody } from "./reply";
import { parseOpenAiRequest } from "./request";
import { type ChunkExtras, ChunkWriter } from "./stream-writer";
import { ESTIMATED_COST_HEADER } from "../../route-paths";

export const SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8";

export interface OpenAiFormatOptions {
  /** The deployment's default `maxTokens`: with extended thinking the budget is added on top of it. */
  defaultMaxTokens: number;
  /** The deployment's default model: what a request without `model` is shaped for. */
  defaultModel: string;
}

/**
 * OpenAI Chat Completions (`POST /chat/completions`): server-sent `chat.completion.chunk` events or one
 * `chat.completion`, errors as `{"error":{"message","type","param","code"}}`.
 */
export function openaiFormat(options: OpenAiFormatOptions): WireFormat {
  /** `include_usage` (and the cost header) of each parsed request, for its writer: the internal request has no place for them. */
  const includeUsage = new WeakMap<ChatRequest, ChunkExtras>();
  return {
    name: "openai",
    parseRequest(body, headers) {
      const parsed = parseOpenAiRequest(body, options.defaultMaxTokens, options.defaultModel);
      includeUsage.set(parsed.chat, { usage: parsed.includeUsage, cost: headers[ESTIMATED_COST_HEADER] === "true" });
      return parsed.chat;
    },
    errorBody: openAiErrorBody,
    errorFrame: openAiErrorFrame,
    streamContentType: SSE_CONTENT_TYPE,
    streamWriter: (reply) => new ChunkWriter(reply, includeUsage.get(reply.request) ?? { usage: false, cost: false }),
    completeBody: completionBody,
  };
}
