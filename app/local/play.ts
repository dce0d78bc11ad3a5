import { randomUUID } from "node:crypto";
import type { Output } from "./output";
import type { Renderer, ReplyUsage } from "./render";
import type { Outcome, RecordedRequest, Scenario, Step } from "./scenario";
import type { AnyResponse } from "./transport";
import { preStreamError } from "./wire";
import { estimateInputTokens } from "./prompt";

/** Everything the player needs about one in-flight request. */
export interface PlayContext<Event> {
  res: AnyResponse;
  record: RecordedRequest;
  scenario: Scenario;
  /** The reply when the scenario scripts no steps (see reply.ts). */
  defaultSteps: () => { steps: Step[]; stopReason?: string };
  renderer: Renderer<Event>;
  output: Output<Event>;
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

const untilClosed = (closed: AbortSignal) => new Promise((resolve) => closed.addEventListener("abort", resolve, { once: true }));

/**
 * The reply engine: plays one scenario through a renderer (which names the events of the operation) onto an output
 * (frames as they come, or one message at the end), and returns how it ended, or undefined if the stream closed
 * under it (the caller then decides between client-aborted and shutdown).
 */
export async function play<Event>(ctx: PlayContext<Event>): Promise<Outcome | undefined> {
  const { res, scenario, closed, renderer, output } = ctx;
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
  output.open(requestId);
  const usage: ReplyUsage = { outputTokens: 0, ...scenario.usage, inputTokens: scenario.usage?.inputTokens ?? estimateInputTokens(ctx.record.body) };
  if (scenario.messageStart !== false && !(await output.send(renderer.start(usage)))) return undefined;

  const planned = scenario.steps ? { steps: scenario.steps } : ctx.defaultSteps();
  let outputTokens = 0;
  let firstByteMs: number | undefined;
  for (const step of planned.steps) {
    if ("hang" in step) {
      await untilClosed(closed);
      return undefined;
    }
    if (!(await wait(step.delayMs, closed))) return undefined;
    if ("reset" in step) {
      ctx.reset(step.scope ?? "connection");
      return "reset";
    }
    if ("exception" in step) {
      await output.fail(step.exception, step.message ?? `${step.exception} from the local Bedrock stand-in`);
      return closed.aborted ? undefined : "error";
    }
    outputTokens += 1;
    firstByteMs ??= Date.now() - ctx.record.receivedAt;
    if (!(await output.send(renderer.content(step)))) return undefined;
  }

  const stopReason = scenario.stopReason ?? planned.stopReason ?? "end_turn";
  const total = { ...usage, outputTokens: scenario.usage?.outputTokens ?? outputTokens };
  if (!(await output.send(renderer.stop(stopReason, total.outputTokens)))) return undefined;
  if (scenario.afterStop === "silence") {
    await untilClosed(closed);
    return undefined;
  }
  const totalMs = Date.now() - ctx.record.receivedAt;
  if (!(await output.send(renderer.end(total, { totalMs, firstByteMs: firstByteMs ?? totalMs })))) return undefined;
  output.finish();
  return "completed";
}
