import { randomUUID } from "node:crypto";
import { defaultReply, lastUserText, type Pacing } from "./reply";
import type { Outcome, RecordedRequest, Scenario, Step } from "./scenario";
import type { AnyResponse } from "./transport";
import { EVENT_STREAM_CONTENT_TYPE, eventFrame, exceptionFrame, preStreamError } from "./wire";

/** Everything the player needs about one in-flight request. */
export interface PlayContext {
  res: AnyResponse;
  record: RecordedRequest;
  scenario: Scenario;
  pacing: Pacing;
  /** Aborted when the stream closes (client cancel, reset, or the fake shutting down). */
  closed: AbortSignal;
  reset(scope: "connection" | "stream"): void;
}

/**
 * Waits `ms` unless the stream closes first; returns whether the stream is still open.
 * A plain timer rather than `timers/promises` with a signal: at 1,000 streams x 20 tokens/s this runs 20,000
 * times a second, and the abortable promise version costs several times the CPU.
 */
function wait(ms: number | undefined, closed: AbortSignal): Promise<boolean> {
  if (!ms || ms <= 0 || closed.aborted) return Promise.resolve(!closed.aborted);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      closed.removeEventListener("abort", onClose);
      resolve(true);
    }, ms);
    closed.addEventListener("abort", onClose, { once: true });
  });
}

/** Writes with backpressure: 1,000 slow readers must not make the fake buffer without bound. */
async function write(res: AnyResponse, bytes: Uint8Array, closed: AbortSignal): Promise<boolean> {
  if (closed.aborted) return false;
  if (!res.write(bytes)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        closed.removeEventListener("abort", done);
        resolve();
      };
      res.once("drain", done);
      closed.addEventListener("abort", done, { once: true });
    });
  }
  return !closed.aborted;
}

/** Rough token estimate of the prompt (4 characters a token), for a plausible default `inputTokens`. */
function estimateInputTokens(body: unknown): number {
  const system = (body as { system?: { text?: string }[] })?.system;
  const systemText = Array.isArray(system) ? system.map((block) => block?.text ?? "").join("") : "";
  return Math.max(1, Math.ceil((systemText.length + lastUserText(body).length) / 4));
}

function defaultSteps(ctx: PlayContext): Step[] {
  return defaultReply(lastUserText(ctx.record.body), ctx.pacing);
}

/**
 * Plays one scenario onto the response and returns how it ended, or undefined if the stream closed under it
 * (the caller then decides between client-aborted and shutdown).
 */
export async function play(ctx: PlayContext): Promise<Outcome | undefined> {
  const { res, scenario, closed } = ctx;
  const requestId = randomUUID();
  if (scenario.error) {
    const { type, status, message, delayMs } = scenario.error;
    if (!(await wait(delayMs, closed))) return undefined;
    const error = preStreamError(type, message ?? `${type} from the local Bedrock stand-in`, status);
    res.writeHead(error.status, { ...error.headers, "x-amzn-requestid": requestId });
    res.end(error.body);
    return "error";
  }
  if (!(await wait(scenario.headersDelayMs, closed))) return undefined;
  res.writeHead(200, { "content-type": EVENT_STREAM_CONTENT_TYPE, "x-amzn-requestid": requestId });
  res.flushHeaders?.();
  if (scenario.messageStart !== false) {
    if (!(await write(res, eventFrame("messageStart", { role: "assistant" }), closed))) return undefined;
  }

  let outputTokens = 0;
  for (const step of scenario.steps ?? defaultSteps(ctx)) {
    if ("hang" in step) {
      await new Promise((resolve) => closed.addEventListener("abort", resolve, { once: true }));
      return undefined;
    }
    if (!(await wait(step.delayMs, closed))) return undefined;
    if ("reset" in step) {
      ctx.reset(step.scope ?? "connection");
      return "reset";
    }
    if ("exception" in step) {
      const message = step.message ?? `${step.exception} from the local Bedrock stand-in`;
      if (!(await write(res, exceptionFrame(step.exception, message), closed))) return undefined;
      res.end();
      return "error";
    }
    outputTokens += 1;
    const delta = eventFrame("contentBlockDelta", { contentBlockIndex: 0, delta: { text: step.text } });
    if (!(await write(res, delta, closed))) return undefined;
  }

  const usage = scenario.usage ?? { inputTokens: estimateInputTokens(ctx.record.body), outputTokens };
  const trailer = [
    eventFrame("contentBlockStop", { contentBlockIndex: 0 }),
    eventFrame("messageStop", { stopReason: scenario.stopReason ?? "end_turn" }),
    eventFrame("metadata", {
      usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
      metrics: { latencyMs: Date.now() - ctx.record.receivedAt },
    }),
  ];
  for (const frame of trailer) {
    if (!(await write(res, frame, closed))) return undefined;
  }
  res.end();
  return "completed";
}
