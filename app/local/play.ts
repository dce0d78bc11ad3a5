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

type ContentStep = Exclude<Step, { hang: true } | { reset: true } | { exception: unknown }>;

/**
 * Numbers content into blocks the way Bedrock does: consecutive deltas of one kind share a block, a new kind or a
 * tool call opens the next index (closing the previous block with `contentBlockStop`). Only tool calls are
 * announced with `contentBlockStart`; text and reasoning blocks begin with their first delta.
 */
class BlockNumbering {
  private index = -1;
  private kind: "text" | "reasoning" | "tool" | undefined;

  frames(step: ContentStep): Uint8Array[] {
    if ("toolUse" in step) {
      const frames = this.close();
      this.index += 1;
      this.kind = "tool";
      const start = { toolUse: { toolUseId: step.toolUse.id, name: step.toolUse.name } };
      return [...frames, eventFrame("contentBlockStart", { contentBlockIndex: this.index, start })];
    }
    if ("toolInput" in step) return [this.delta({ toolUse: { input: step.toolInput } })];
    if ("text" in step) return [...this.enter("text"), this.delta({ text: step.text })];
    const reasoning =
      "reasoning" in step ? { text: step.reasoning } : "signature" in step ? { signature: step.signature } : { redactedContent: step.redacted };
    return [...this.enter("reasoning"), this.delta({ reasoningContent: reasoning })];
  }

  /** `contentBlockStop` for the open block, if any. */
  close(): Uint8Array[] {
    if (this.kind === undefined) return [];
    this.kind = undefined;
    return [eventFrame("contentBlockStop", { contentBlockIndex: this.index })];
  }

  private enter(kind: "text" | "reasoning"): Uint8Array[] {
    if (this.kind === kind) return [];
    const frames = this.close();
    this.index += 1;
    this.kind = kind;
    return frames;
  }

  private delta(delta: Record<string, unknown>): Uint8Array {
    return eventFrame("contentBlockDelta", { contentBlockIndex: Math.max(this.index, 0), delta });
  }
}

/** Rough token estimate of the prompt (4 characters a token), for a plausible default `inputTokens`. */
export function estimateInputTokens(body: unknown): number {
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
  ctx.record.responseRequestId = requestId;
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

  const blocks = new BlockNumbering();
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
    for (const frame of blocks.frames(step)) {
      if (!(await write(res, frame, closed))) return undefined;
    }
  }

  const usage = scenario.usage ?? { inputTokens: estimateInputTokens(ctx.record.body), outputTokens };
  const trailer = [...blocks.close(), eventFrame("messageStop", { stopReason: scenario.stopReason ?? "end_turn" })];
  if (scenario.afterStop !== "silence") {
    trailer.push(
      eventFrame("metadata", {
        usage: { ...usage, totalTokens: usage.inputTokens + usage.outputTokens },
        metrics: { latencyMs: Date.now() - ctx.record.receivedAt },
      }),
    );
  }
  for (const frame of trailer) {
    if (!(await write(res, frame, closed))) return undefined;
  }
  if (scenario.afterStop === "silence") {
    await new Promise((resolve) => closed.addEventListener("abort", resolve, { once: true }));
    return undefined;
  }
  res.end();
  return "completed";
}
