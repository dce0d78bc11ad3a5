import { type BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import type { Middleware } from "koa";
import type { ActiveStreams } from "../../bedrock/active-streams";
import { parseChatRequest } from "./chat-request";
import type { AppConfig } from "../../config";
import { internalError } from "../../http/errors";
import { converseInput, type StreamSummary, textDeltas } from "../../bedrock/model-stream";
import { endWithLine, openNdjsonStream, writeLine } from "./ndjson-response";
import type { AppState } from "../../http/request-record";
import { UpstreamCall } from "../../bedrock/upstream-call";

export interface StreamDependencies {
  config: AppConfig;
  bedrock: BedrockRuntimeClient;
  activeStreams: ActiveStreams;
}

/**
 * `POST /stream`: validates the body, calls ConverseStream, and relays each text delta as one JSON line the moment
 * it arrives. Headers go out as soon as Bedrock accepts the call, so failures before that point become real HTTP
 * statuses, and failures after it become one final `{"error":...}` line. Both are produced by the one error
 * middleware: this handler only throws (the abort reason, when the call was aborted).
 */
export function streamHandler(deps: StreamDependencies): Middleware<AppState> {
  return async (ctx) => {
    const request = parseChatRequest(ctx.request.body);
    const record = ctx.state.record;
    const call = new UpstreamCall(ctx.res, deps.activeStreams, deps.config.upstreamIdleTimeoutMs);
    try {
      const command = new ConverseStreamCommand(converseInput(request, deps.config));
      const response = await call.upstream(deps.bedrock.send(command, { abortSignal: call.signal }));
      if (!response.stream) throw internalError(new Error("ConverseStream returned no stream"));
      const res = openNdjsonStream(ctx);
      const summary: StreamSummary = {};
      for await (const text of textDeltas(call.events(response.stream), summary)) {
        record.firstTokenAt ??= performance.now();
        record.deltas += 1;
        await writeLine(res, { data: text }, call.signal);
      }
      record.stopReason = summary.stopReason;
      record.usage = summary.usage;
      endWithLine(res, {
        done: true,
        stopReason: summary.stopReason ?? null,
        usage: summary.usage ?? null,
        latencyMs: summary.latencyMs ?? Math.round(performance.now() - record.startedAt),
      });
    } catch (err) {
      throw call.explain(err);
    } finally {
      call.dispose();
    }
  };
}
