import type { TokenUsage } from "../bedrock/chat-events";
import type { ApiError } from "./errors";

/**
 * What one request did, collected while it runs and written as its single log line when it ends.
 * Holds no request or response text: prompts and replies never reach the logs.
 */
export interface RequestRecord {
  requestId: string;
  /** The route template that matched (`/stream`, `/health`), whatever stage prefix the path carried. */
  route?: string;
  /** The wire format that served the request (`ndjson`, `openai`, `anthropic`). */
  format?: string;
  /** The model that answered (resolved). */
  model?: string;
  /** The reply's estimated cost at list prices, in micro-dollars (usage/cost.ts), once it is known. */
  costMicroUsd?: number;
  /** The calling API key's configured name (never its value); `anonymous` when no key was involved. */
  apiKeyName?: string;
  /** What the key was charged when the stream was cut before Bedrock reported usage: an estimate. */
  estimatedUsage?: TokenUsage;
  /** The caller's opaque tag (OpenAI `user`, Anthropic `metadata.user_id`). */
  userTag?: string;
  /** `anthropic-beta` names dropped because Bedrock does not accept them for the model (names only). */
  betasDropped?: string[];
  /** `performance.now()` at arrival. */
  startedAt: number;
  /** `performance.now()` when the first delta was written. */
  firstTokenAt?: number;
  /** Deltas relayed (text, reasoning, tool input pieces). */
  deltas: number;
  stopReason?: string;
  usage?: TokenUsage;
  /** Bedrock calls made before the stream started (retries and fallbacks included); unset when none was made. */
  attempts?: number;
  /** The model the request was to use, when a fallback answered instead (`model` is the one that answered). */
  fallbackFrom?: string;
  /** The failure the client saw (status or final error frame), if any. */
  error?: ApiError;
}

/** A delta written to the client: the first one's time and the count (log line, time-to-first-token metric). */
export function noteDelta(record: RequestRecord): void {
  record.firstTokenAt ??= performance.now();
  record.deltas += 1;
}

/** How a wire format reports errors; routes set it, and the one error sink asks it. */
export interface ErrorShape {
  /** The JSON body of an error answered with an HTTP status. */
  errorBody(error: ApiError): unknown;
  /** The last frame of a stream that fails after it started. */
  errorFrame(error: ApiError): string;
}

/** Koa's `ctx.state` in this app. */
export interface AppState {
  record: RequestRecord;
  /** The matched route's error shape; the native `{"error":{"code","message"}}` when unset. */
  errorShape?: ErrorShape;
}
