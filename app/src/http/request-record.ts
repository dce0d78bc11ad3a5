import type { ApiError } from "./errors";
import type { TokenUsage } from "../bedrock/model-stream";

/**
 * What one request did, collected while it runs and written as its single log line when it ends.
 * Holds no request or response text: prompts and replies never reach the logs.
 */
export interface RequestRecord {
  requestId: string;
  /** The route template that matched (`/stream`, `/health`), whatever stage prefix the path carried. */
  route?: string;
  /** `performance.now()` at arrival. */
  startedAt: number;
  /** `performance.now()` when the first text line was written. */
  firstTokenAt?: number;
  /** Text lines written. */
  deltas: number;
  stopReason?: string;
  usage?: TokenUsage;
  /** The failure the client saw (status or final error line), if any. */
  error?: ApiError;
}

/** Koa's `ctx.state` in this app. */
export interface AppState {
  record: RequestRecord;
}
