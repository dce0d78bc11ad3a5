import { randomUUID } from "node:crypto";
import { type BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import type { Context, Middleware } from "koa";
import type { ActiveStreams } from "../bedrock/active-streams";
import { type ChatEvent, chatEvents, type StreamSummary } from "../bedrock/chat-events";
import { type ChatRequest, converseInput, estimateInputTokens } from "../bedrock/chat-request";
import { ReplyCollector } from "../bedrock/collect";
import { converseBatches } from "../bedrock/event-stream-decoder";
import { UpstreamCall } from "../bedrock/upstream-call";
import type { AppConfig } from "../config";
import { internalError } from "../http/errors";
import { modelInfo, resolutionContext, resolveModel } from "../models";
import { nativeUpstream, usesNativePath } from "./anthropic/native";
import type { UpstreamRun } from "./upstream-run";
import { type AppState, noteDelta } from "../http/request-record";
import { FrameSink, openStream } from "../http/stream-response";
import { adaptRequest, fitsModel } from "../resilience/adapt";
import { GUARDRAIL_INTERVENED, namesModel, type Resilience, withGuardrail } from "../resilience/setup";
import type { UsageMeter } from "../usage/meter";
import { shownCostMicroUsd } from "../usage/cost";
import { contextFor, mayCall, requireAccess } from "../usage/model-access";
import type { ReplyInfo, WireFormat } from "./wire-format";
import { refuseOtherKind } from "./model-kinds";

export interface ChatDependencies {
  config: AppConfig;
  bedrock: BedrockRuntimeClient;
  activeStreams: ActiveStreams;
  /** Every chat model the deployment serves, the default first. */
  models: readonly string[];
  /** The embedding models `POST /embeddings` serves (`EMBEDDING_MODEL_IDS`). */
  embeddingModels: readonly string[];
  /** Who is calling, their token budgets, and what each request is charged. */
  usage: UsageMeter;
  /** Retries, fallbacks, circuits, guardrails (app/src/resilience). */
  resilience: Resilience;
}

/**
 * The one chat handler behind every wire format: validate (the format's schema), resolve the model, admit against
 * the budget, call upstream, then either stream the format's frames as each event arrives or collect the reply
 * and answer once. Upstream is ConverseStream, or Claude's native Messages path when the Anthropic format asks for
 * it and a Claude model answers (anthropic/native.ts): two kinds of upstream sharing this handler's abort, idle
 * timeout, metering and error sink. Headers go out as soon as Bedrock accepts the call, so failures before that are real HTTP statuses and
 * failures after it are one final error frame; both come from the one error sink, which asks the request's format
 * for its error shape. This handler only throws (the abort reason, when the call was aborted).
 */
export function chatHandler(format: WireFormat, deps: ChatDependencies): Middleware<AppState> {
  return async (ctx) => {
    const record = ctx.state.record;
    const caller = deps.usage.identify(ctx.headers, record);
    const request = format.parseRequest(ctx.request.body, ctx.headers);
    record.userTag = request.userTag;
    refuseOtherKind(request.model, deps.embeddingModels, "embedding");
    const model = resolveModel(request.model, contextFor(caller, resolutionContext(deps.config, deps.models)));
    record.model = model;
    requireAccess(caller, model);
    const call = new UpstreamCall(ctx.res, deps.activeStreams, deps.config.upstreamIdleTimeoutMs);
    const summary: StreamSummary = {};
    let admitted = false;
    let accepted = false;
    // A call sent and then cut by us (client gone, timeout, shutdown) before Bedrock's first frame: the prompt reached
    // Bedrock, which may bill it, so it is charged like an accepted call cut early (the input estimate).
    let sent = false;
    // Before Bedrock is called, a key over its token budget or at its limit of streams in flight gets a 429 (in its
    // format). Awaited as a step of the call, so a client that leaves during the check never gets a Bedrock call
    // started for it; the stream's lease (if its key has a limit) is released in `finally`, whatever the ending.
    const admission = deps.usage.admitStream(caller);
    try {
      await call.upstream(admission);
      admitted = true;
      const native = usesNativePath(request.native, modelInfo(model));
      // The models that may answer (retries and fallbacks: app/src/resilience), each able to take the request the
      // way it goes: natively (Claude models only) or through Converse.
      // A fallback never moves the request to a model the key may not call.
      const chain = deps.resilience.starter.chain(model, namesModel(request)).filter((m) =>
        m === model || (mayCall(caller, m) && (native ? usesNativePath(request.native, modelInfo(m)) : fitsModel(request, m))));
      const run: UpstreamRun = {
        ctx, format, request, model, chain, guardrail: deps.resilience.guardrailFor(caller), call, deps, summary,
        accepted: () => void (accepted = true),
        sent: () => void (sent = true),
      };
      await (native ? nativeUpstream(run) : converseUpstream(run));
    } catch (err) {
      accepted ||= sent && call.signal.aborted;
      throw call.explain(err);
    } finally {
      call.dispose();
      if (summary.stopReason === GUARDRAIL_INTERVENED) deps.resilience.metrics.guardrailIntervention(caller.name);
      // Every ending (done, error, client gone, shutdown) is charged; the write does not hold up the response.
      if (admitted) deps.usage.settle(record, caller, { request, summary, accepted });
      admission.then((lease) => lease?.release(), () => undefined);
    }
  };
}

/** The Converse kind of upstream: ConverseStream (with retries and fallbacks), its events turned into the format's frames. */
async function converseUpstream(run: UpstreamRun): Promise<void> {
  const { ctx, format, request, model, call, deps, summary } = run;
  const record = ctx.state.record;
  // Converse takes no anthropic-beta: every one the request named is dropped (and logged, names only).
  if (request.native?.betas.length) record.betasDropped = [...request.native.betas];
  const started = await deps.resilience.starter.start(call, model, run.chain, (modelId) => {
    const adapted = adaptRequest(request, model, modelId, deps.config.defaultMaxTokens);
    const input = withGuardrail(converseInput(adapted, modelId, deps.config.defaultMaxTokens), run.guardrail);
    run.sent();
    return deps.bedrock.send(new ConverseStreamCommand(input), { abortSignal: call.signal });
  }, record);
  const response = started.value;
  record.model = started.model;
  run.accepted();
  if (!response.stream) throw internalError(new Error("ConverseStream returned no stream"));
  const reply = replyInfo(request, started.model, response.$metadata.requestId, record.startedAt);
  // Priced like the charge (usage/meter.ts): the model that answered, on its route.
  reply.estimatedCost = (usage) => shownCostMicroUsd(started.model, usage, deps.config.modelPrices);
  const events = chatEvents(call.events(converseBatches(deps.bedrock, response)), summary);
  if (request.stream) await streamReply(ctx, format, reply, events, summary, call.signal);
  else await completeReply(ctx, format, reply, events, summary);
}

function replyInfo(request: ChatRequest, model: string, upstreamRequestId: string | undefined, startedAt: number): ReplyInfo {
  return {
    id: (upstreamRequestId ?? randomUUID()).replace(/-/g, ""),
    model,
    created: Math.floor(Date.now() / 1000),
    startedAt,
    request,
    estimatedInputTokens: estimateInputTokens(request),
  };
}

/** The reply's events, one array per upstream read: every frame of an array is written in the same turn. */
type Events = AsyncIterable<ChatEvent[]>;

function noteEvent(record: AppState["record"], event: ChatEvent): void {
  if (event.type === "delta") noteDelta(record);
}

async function streamReply(
  ctx: Context & { state: AppState },
  format: WireFormat,
  reply: ReplyInfo,
  events: Events,
  summary: StreamSummary,
  signal: AbortSignal,
): Promise<void> {
  const record = ctx.state.record;
  const writer = format.streamWriter(reply);
  if (writer.errorFrame) ctx.state.errorShape = { errorBody: format.errorBody, errorFrame: writer.errorFrame.bind(writer) };
  const sink = new FrameSink(openStream(ctx, format.streamContentType), signal, writer.ping?.bind(writer));
  try {
    await sink.write(writer.open());
    for await (const batch of events) {
      let frames = "";
      for (const event of batch) {
        noteEvent(record, event);
        frames += writer.event(event);
      }
      // One write per batch, awaited only under backpressure: a promise per delta would cost every token more jobs.
      const full = sink.write(frames);
      if (full) await full;
    }
    finishRecord(record, summary);
    sink.end(writer.end(summary));
  } finally {
    sink.close();
  }
}

async function completeReply(
  ctx: Context & { state: AppState },
  format: WireFormat,
  reply: ReplyInfo,
  events: Events,
  summary: StreamSummary,
): Promise<void> {
  const record = ctx.state.record;
  const collector = new ReplyCollector();
  for await (const batch of events) {
    for (const event of batch) {
      noteEvent(record, event);
      collector.add(event);
    }
  }
  finishRecord(record, summary);
  ctx.body = format.completeBody(reply, collector.result(), summary);
}

function finishRecord(record: AppState["record"], summary: StreamSummary): void {
  record.stopReason = summary.stopReason;
  record.usage = summary.usage;
}
