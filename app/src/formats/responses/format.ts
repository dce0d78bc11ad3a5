import type { StreamSummary } from "../../bedrock/chat-events";
import type { ChatRequest } from "../../bedrock/chat-request";
import type { ResultBlock } from "../../bedrock/collect";
import { openAiErrorBody } from "../openai/errors";
import { SSE_CONTENT_TYPE } from "../openai/format";
import type { ReplyInfo, WireFormat } from "../wire-format";
import {
  ending, ITEM_PREFIX, type Item, itemId, messageItem, presented, reasoningItem, responseJson, targetOf, toolCallItem, usageOf,
} from "./reply";
import { parseResponsesRequest, type ResponsesContext, type ResponsesOptions } from "./request";
import { ResponsesStreamWriter } from "./stream-writer";

function outputItem(block: ResultBlock, reply: ReplyInfo, context: ResponsesContext, index: number): Item {
  if (block.type === "text") return messageItem(itemId(ITEM_PREFIX.text, reply, index), block.text, "completed");
  if (block.type === "tool_use") {
    const target = targetOf(context, block.name);
    return toolCallItem(itemId(ITEM_PREFIX[target.kind], reply, index), block.id, target, block.inputJson || "{}", "completed");
  }
  return reasoningItem(itemId(ITEM_PREFIX.reasoning, reply, index), block, context);
}

/**
 * OpenAI Responses (`POST /responses`): the `response.*` server-sent events when `stream` is true, else one
 * `response` object; errors in OpenAI's shape, and a failure after the stream began as `response.failed`.
 */
export function responsesFormat(options: ResponsesOptions): WireFormat {
  /** Each parsed request's presentation settings, for its writer: the internal request has no place for them. */
  const contexts = new WeakMap<ChatRequest, ResponsesContext>();
  const contextOf = (reply: ReplyInfo) => contexts.get(reply.request)!;
  const remember = ({ chat, context }: ReturnType<typeof parseResponsesRequest>) => contexts.set(chat, context) && chat;
  return {
    name: "responses",
    parseRequest: (body) => remember(parseResponsesRequest(body, options)),
    errorBody: openAiErrorBody,
    // Used only if a stream fails before its writer exists; the writer's own frame is numbered in its sequence.
    errorFrame: (error) => `event: error\ndata: ${JSON.stringify({ type: "error", sequence_number: 0, code: error.code, message: error.message, param: error.param ?? null })}\n\n`,
    streamContentType: SSE_CONTENT_TYPE,
    streamWriter: (reply) => new ResponsesStreamWriter(reply, contextOf(reply)),
    completeBody(reply, blocks, summary: StreamSummary) {
      const context = contextOf(reply);
      const output = presented(blocks, context).map((block, index) => JSON.stringify(outputItem(block, reply, context, index)));
      const reasoning = blocks.reduce((sum, block) => sum + (block.type === "reasoning" ? block.text.length : 0), 0);
      const json = responseJson(reply, context, { ...ending(summary), usage: usageOf(summary, reasoning) }, output.join(","));
      return JSON.parse(json);
    },
  };
}
