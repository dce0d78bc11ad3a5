import type { ConverseStreamCommandInput, ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import type { ChatRequest } from "../formats/ndjson/chat-request";
import type { AppConfig } from "../config";
import { UpstreamIncompleteError } from "../http/errors";

/** Token counts as the final line and the log report them. */
export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

/** What the stream's last events said; filled in while the text deltas are consumed. */
export interface StreamSummary {
  stopReason?: string;
  usage?: TokenUsage;
  /** Bedrock's own latency metric (`metadata.metrics.latencyMs`). */
  latencyMs?: number;
}

/**
 * The ConverseStream input for a validated request. The model is always the server's: callers cannot pick one.
 */
export function converseInput(
  request: ChatRequest,
  config: Pick<AppConfig, "modelId" | "defaultMaxTokens">,
): ConverseStreamCommandInput {
  return {
    modelId: config.modelId,
    messages: request.messages.map((turn) => ({ role: turn.role, content: [{ text: turn.content }] })),
    system: request.system === undefined ? undefined : [{ text: request.system }],
    inferenceConfig: {
      maxTokens: request.maxTokens ?? config.defaultMaxTokens,
      temperature: request.temperature,
      topP: request.topP,
      stopSequences: request.stopSequences,
    },
  };
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * Yields the text of each `contentBlockDelta` as it arrives and records stop reason, usage and latency.
 *
 * A delta that ends in the first half of a UTF-16 surrogate pair (an emoji cut between two deltas) keeps that
 * half back and sends it with the next delta, so every line a client receives is well-formed Unicode on its own.
 *
 * Throws {@link UpstreamIncompleteError} when the stream ends without `messageStop`: the reply was cut short.
 */
export async function* textDeltas(
  events: AsyncIterable<ConverseStreamOutput>,
  summary: StreamSummary,
): AsyncGenerator<string> {
  let heldBack = "";
  let stopped = false;
  for await (const event of events) {
    const text = event.contentBlockDelta?.delta?.text;
    if (text) {
      const joined = heldBack + text;
      const cut = isHighSurrogate(joined.charCodeAt(joined.length - 1)) ? joined.length - 1 : joined.length;
      heldBack = joined.slice(cut);
      if (cut > 0) yield joined.slice(0, cut);
    } else if (event.messageStop) {
      stopped = true;
      summary.stopReason = event.messageStop.stopReason;
    } else if (event.metadata) {
      const usage = event.metadata.usage;
      summary.usage = {
        inputTokens: usage?.inputTokens ?? 0,
        outputTokens: usage?.outputTokens ?? 0,
        totalTokens: usage?.totalTokens ?? (usage?.inputTokens ?? 0) + (usage?.outputTokens ?? 0),
      };
      summary.latencyMs = event.metadata.metrics?.latencyMs;
    }
  }
  if (heldBack) yield heldBack;
  if (!stopped) throw new UpstreamIncompleteError();
}
