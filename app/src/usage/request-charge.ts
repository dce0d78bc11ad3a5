import type { TokenUsage } from "../bedrock/chat-events";
import { estimateInputTokens } from "../bedrock/chat-request";
import type { RequestRecord } from "../http/request-record";
import { costMicroUsd, type ModelPrices } from "./cost";
import type { Outcome } from "./meter";
import { type Counters, zeroCounters } from "./store";

/**
 * What a finished request is charged: Bedrock's reported usage, or when the stream was cut before Bedrock reported
 * it, the input estimate plus the output deltas sent (noted on the record as estimated), priced by the model that
 * answered (a fallback's, when one did) on the route it was called by (noted on the record as its cost).
 */
export function requestCharge(record: RequestRecord, outcome: Outcome, modelPrices: ModelPrices | undefined): Counters {
  const reported = outcome.summary.usage;
  const estimated = outcome.accepted && !reported;
  const usage: TokenUsage | undefined = reported ?? (estimated ? estimate(outcome, record.deltas) : undefined);
  if (estimated) record.estimatedUsage = usage;
  if (usage && record.model) record.costMicroUsd = costMicroUsd(record.model, usage, modelPrices);
  return {
    ...zeroCounters(),
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cacheReadInputTokens: usage?.cacheReadInputTokens ?? 0,
    cacheWriteInputTokens: usage?.cacheWriteInputTokens ?? 0,
    requests: 1,
    estimatedRequests: estimated ? 1 : 0,
    costMicroUsd: record.costMicroUsd ?? 0,
  };
}

/** What a cut stream is charged: the input estimate, and one token per output delta sent. */
function estimate(outcome: Outcome, deltas: number): TokenUsage {
  const inputTokens = estimateInputTokens(outcome.request);
  return { inputTokens, outputTokens: deltas, totalTokens: inputTokens + deltas };
}
