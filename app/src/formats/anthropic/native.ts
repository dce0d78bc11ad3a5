import { InvokeModelCommand, InvokeModelWithResponseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import type { StreamSummary } from "../../bedrock/chat-events";
import { unreadableAnswer } from "../../bedrock/bedrock-errors";
import { eventBatches } from "../../bedrock/event-stream-decoder";
import type { AppState } from "../../http/request-record";
import { FrameSink, openStream } from "../../http/stream-response";
import { type ModelInfo, modelInfo } from "../../models";
import type { UpstreamRun } from "../upstream-run";
import { nativeBody } from "./native-body";
import { guardrailParameters, withStreamMode } from "./native-guardrail";
import { EventRelay, PING, relayMessage } from "./native-relay";
import { SSE_CONTENT_TYPE } from "./sse";

/**
 * Claude's native path, the second kind of upstream behind the chat handler: the Messages body goes to Bedrock as
 * it is (InvokeModelWithResponseStream, or InvokeModel when not streamed), and Bedrock's chunks, which are
 * Anthropic's own stream events, are re-emitted as SSE with the same names, order and JSON; only `model` says
 * which served model answered, and Bedrock's invocation metrics stay out. Usage and the stop reason are read on the
 * way for metering and the log. The caller's guardrail applies here too, and its intervention ends the reply with
 * `refusal` (native-guardrail.ts). Abort, idle timeout, errors and charging are the handler's, as for Converse.
 */

/** Whether a request goes the native way: the Anthropic format asked for it and a Claude model answers. */
export function usesNativePath(native: unknown, info: ModelInfo): boolean {
  return native !== undefined && info.family.startsWith("claude-");
}

const decoder = new TextDecoder();

export async function nativeUpstream(run: UpstreamRun): Promise<void> {
  const { ctx, request, call, deps, summary } = run;
  const record = ctx.state.record;
  // Each model of the chain gets the body adapted to it; the one that accepts the call answers.
  const input = (modelId: string) => {
    const { body, dropped } = nativeBody(request.native!, modelInfo(modelId), deps.config.defaultMaxTokens);
    record.betasDropped = dropped.length > 0 ? dropped : undefined;
    const json = JSON.stringify(withStreamMode(body, run.guardrail, request.stream));
    return { modelId, body: Buffer.from(json), contentType: "application/json", accept: "application/json", ...guardrailParameters(run.guardrail) };
  };
  const options = { abortSignal: call.signal };
  const start = <T>(send: (modelId: string) => Promise<T>) =>
    deps.resilience.starter.start(call, run.model, run.chain, (modelId) => (run.sent(), send(modelId)), record);
  if (!request.stream) {
    const started = await start((modelId) => deps.bedrock.send(new InvokeModelCommand(input(modelId)), options));
    record.model = started.model;
    run.accepted();
    const message = relayMessage(decoder.decode(started.value.body), started.model, summary);
    finish(record, summary);
    ctx.body = message;
    return;
  }
  const started = await start((modelId) => deps.bedrock.send(new InvokeModelWithResponseStreamCommand(input(modelId)), options));
  const response = started.value;
  record.model = started.model;
  run.accepted();
  const relay = new EventRelay(started.model, summary, record, run.guardrail !== undefined);
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

function finish(record: AppState["record"], summary: StreamSummary): void {
  record.stopReason = summary.stopReason;
  record.usage = summary.usage;
}
