import type { Context } from "koa";
import type { StreamSummary } from "../bedrock/chat-events";
import type { ChatRequest } from "../bedrock/chat-request";
import type { UpstreamCall } from "../bedrock/upstream-call";
import type { AppState } from "../http/request-record";
import type { Guardrail } from "../resilience/guardrail-schema";
import type { ChatDependencies } from "./chat-handler";
import type { WireFormat } from "./wire-format";

/**
 * One admitted request as a kind of upstream serves it (Converse, or Claude's native Messages path): everything
 * the chat handler shares with it. The upstream calls Bedrock through `call` (abort, idle timeout), marks the call
 * `accepted` once Bedrock took it, fills `summary` (what is charged) and answers, streamed or whole; failures are
 * thrown to the handler's one error sink.
 */
export interface UpstreamRun {
  ctx: Context & { state: AppState };
  format: WireFormat;
  request: ChatRequest;
  /** The resolved model. */
  model: string;
  /** The models that may answer, in the order to try them (`model` first; retries and fallbacks). */
  chain: readonly string[];
  /** The guardrail the call applies, if any. */
  guardrail: Guardrail | undefined;
  call: UpstreamCall;
  deps: ChatDependencies;
  summary: StreamSummary;
  accepted(): void;
  /** Called as each attempt is sent to Bedrock (a call cut after this is charged: chat-handler.ts). */
  sent(): void;
}
