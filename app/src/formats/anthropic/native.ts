import { InvokeModelCommand, InvokeModelWithResponseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import type { StreamSummary } from "../../bedrock/chat-events";
import { unreadableAnswer } from "../../bedrock/bedrock-errors";
import { eventBatches } from "../../bedrock/event-stream-decoder";
import type { AppState } from "../../http/request-record";
import { FrameSink, openStream } from "../../http/stream-response";
import { type ModelInfo, modelInfo } from "../../models";
import type { UpstreamRun } from "../upstream-run";
import { nativeBody } from "./native-body";
import { SSE_CONTENT_TYPE, sseFrame } from "./sse";

/**
 * Claude's native path, the second kind of upstream behind the chat handler: the Messages body goes to Bedrock as
 * it is (InvokeModelWithResponseStream, or InvokeModel when not streamed), and Bedrock's chunks, which are
 * Anthropic's own stream events, are re-emitted as SSE with the same names, order and JSON; only `model` says
 * which served model answered, and Bedrock's invocation metrics stay out. Usage and the stop reason are read on the
 * way for metering and the log. Abort, idle timeout, errors and charging are the handler's, as for Converse.
 */

/** Whether a request goes the native way: the Anthropic format asked for it and a Claude model answers. */
export function usesNativePath(native: unknown, info: ModelInfo): boolean {
  return native !== undefined && info.family.startsWith("claude-");
}

const PING = sseFrame("ping", { type: "ping" });
const decoder = new TextDecoder();

export async function nativeUpstream(run: UpstreamRun): Promise<void> {
  const { ctx, request, call, deps, summary } = run;
  const record = ctx.state.record;
  // Each model of the chain gets the body adapted to it; the one that accepts the call answers.
  const input = (modelId: string) => {
    const { body, dropped } = nativeBody(request.native!, modelInfo(modelId), deps.config.defaultMaxTokens);
    record.betasDropped = dropped.length > 0 ? dropped : undefined;
    const guardrail = run.guardrail ? { guardrailIdentifier: run.guardrail.identifier, guardrailVersion: run.guardrail.version } : {};
    return { modelId, body: Buffer.from(JSON.stringify(body)), contentType: "application/json", accept: "application/json", ...guardrail };
  };
  const options = { abortSignal: call.signal };
  const start = <T>(send: (modelId: string) => Promise<T>) =>
    deps.resilience.starter.start(call, run.model, run.chain, (modelId) => (run.sent(), send(modelId)), record);
  if (!request.stream) {
    const started = await start((modelId) => deps.bedrock.send(new InvokeModelCommand(input(modelId)), options));
    record.model = started.model;
    run.accepted();
    const message = parse(decoder.decode(started.value.body));
    message.model = started.model;
    noteUsage(summary, message.usage);
    summary.stopReason = message.stop_reason ?? undefined;
    finish(record, summary);
    ctx.body = message;
    return;
  }
  const started = await start((modelId) => deps.bedrock.send(new InvokeModelWithResponseStreamCommand(input(modelId)), options));
  const response = started.value;
  record.model = started.model;
  run.accepted();
  const relay = new EventRelay(started.model, summary, record);
  const sink = new FrameSink(openStream(ctx, SSE_CONTENT_TYPE), call.signal, () => PING);
  try {
    for await (const batch of call.events(eventBatches(deps.bedrock, response.body))) {
      let frames = "";
      for (const event of batch) if (event.chunk?.bytes) frames += relay.frame(decoder.decode(event.chunk.bytes));
      const full = sink.write(frames);
      if (full) await full;
    }
    if (!relay.stopped) throw unreadableAnswer("the stream ended before message_stop");
    finish(record, summary);
    sink.end("");
  } finally {
    sink.close();
  }
}

function parse(json: string): Record<string, any> {
  try {
    return JSON.parse(json);
  } catch {
    throw unreadableAnswer("a reply that is not JSON");
  }
}

interface AnthropicUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** Anthropic's usage into the summary; later counts (message_delta) replace earlier ones (message_start). */
function noteUsage(summary: StreamSummary, usage: AnthropicUsage | undefined): void {
  if (!usage) return;
  const now = summary.usage;
  const input = usage.input_tokens ?? now?.inputTokens ?? 0;
  const output = usage.output_tokens ?? now?.outputTokens ?? 0;
  summary.usage = {
    inputTokens: input,
    outputTokens: output,
    totalTokens: input + output,
    cacheReadInputTokens: usage.cache_read_input_tokens ?? now?.cacheReadInputTokens ?? 0,
    cacheWriteInputTokens: usage.cache_creation_input_tokens ?? now?.cacheWriteInputTokens ?? 0,
  };
}

function finish(record: AppState["record"], summary: StreamSummary): void {
  record.stopReason = summary.stopReason;
  record.usage = summary.usage;
}

/** Names the event of a chunk without parsing it: Anthropic's events begin with their `type`. */
const TYPE = /^\{\s*"type"\s*:\s*"([a-z_]+)"/;

/** Re-frames one response's events; only the few that carry the model or usage are parsed. */
class EventRelay {
  stopped = false;

  constructor(
    private readonly model: string,
    private readonly summary: StreamSummary,
    private readonly record: AppState["record"],
  ) {}

  frame(json: string): string {
    const type = TYPE.exec(json)?.[1];
    if (type === "content_block_delta") {
      this.record.firstTokenAt ??= performance.now();
      this.record.deltas += 1;
      return `event: ${type}\ndata: ${json}\n\n`;
    }
    if (type === "content_block_start" || type === "content_block_stop") return `event: ${type}\ndata: ${json}\n\n`;
    const event = parse(json);
    switch (event.type) {
      case "message_start":
        event.message.model = this.model;
        noteUsage(this.summary, event.message.usage);
        return sseFrame("message_start", event) + PING;
      case "message_delta":
        noteUsage(this.summary, event.usage);
        this.summary.stopReason = event.delta?.stop_reason ?? this.summary.stopReason;
        return sseFrame("message_delta", event);
      case "message_stop": {
        this.stopped = true;
        const { "amazon-bedrock-invocationMetrics": metrics, ...rest } = event;
        if (metrics) this.noteMetrics(metrics);
        return sseFrame("message_stop", rest);
      }
      default:
        return sseFrame(String(event.type), event);
    }
  }

  /** Bedrock's own final counts, when it gives them, are what is charged. */
  private noteMetrics(metrics: Record<string, number | undefined>): void {
    noteUsage(this.summary, {
      input_tokens: metrics.inputTokenCount,
      output_tokens: metrics.outputTokenCount,
      cache_read_input_tokens: metrics.cacheReadInputTokenCount,
      cache_creation_input_tokens: metrics.cacheWriteInputTokenCount,
    });
  }
}
