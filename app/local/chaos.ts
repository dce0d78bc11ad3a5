import { createHash } from "node:crypto";
import { GUARDRAIL_HEADER } from "./render-anthropic";
import type { RecordedRequest, Scenario, ScenarioSource, Step } from "./scenario";

/**
 * Failure scenarios for the resilience features (docs/resilience.md), layered over any other scenario: throttling
 * of a share of first attempts or of every attempt, a model that throttles for a time window, an HTTP/2 session
 * reset before the stream's first byte, and a guardrail intervention mid-stream. It also counts, per model, the
 * streams that were retried after their first byte: a request whose conversation (`messages` and `system`) matches
 * one that already received stream bytes. That must stay 0; it needs distinct prompts per caller to mean anything.
 */
export interface ChaosOptions {
  /** Share (0-1) of first attempts (a conversation not seen before) answered with a ThrottlingException. */
  throttleFirstAttempts?: number;
  /** Model id (or "*" for any) -> share (0-1) of every attempt throttled: a quota that is exhausted. */
  throttleEveryAttempt?: Record<string, number>;
  /** Every call to `model` is throttled from `fromMs` until `untilMs` after the chaos was created. */
  throttleWindows?: Array<{ model: string; fromMs: number; untilMs: number }>;
  /** Share (0-1) of first attempts whose connection is reset after the 200, before the first event frame. */
  resetFirstAttempts?: number;
  /**
   * Calls that apply a guardrail (Converse's `guardrailConfig`, or the native invoke's guardrail header) are stopped
   * by it after this many content steps: Converse streams `stopReason: guardrail_intervened`, Claude's native path
   * Bedrock's `amazon-bedrock-guardrailAction: INTERVENED` (render-anthropic.ts).
   */
  guardrailIntervention?: { afterSteps: number; message?: string };
  /** Injectable for exact shares in tests. */
  random?: () => number;
}

export const GUARDRAIL_BLOCKED_MESSAGE = "Sorry, the model cannot answer this request.";
const THROTTLED: Scenario = { error: { type: "ThrottlingException", message: "Too many requests, please wait before trying again." } };

export interface Chaos {
  /** The scenario source to give the stand-in: this chaos over `base`. */
  source(base?: ScenarioSource): (req: RecordedRequest) => Scenario;
  /** Per model: streams retried after they had sent their first byte (must be 0). */
  readonly retriedAfterFirstByte: Record<string, number>;
  /** Per model: calls answered with a throttle, and with a stream. */
  readonly throttled: Record<string, number>;
  readonly streamed: Record<string, number>;
}

export function createChaos(options: ChaosOptions): Chaos {
  const random = options.random ?? Math.random;
  const createdAt = Date.now();
  const seen = new Set<string>();
  /** Conversations that received stream bytes, and from which model. */
  const started = new Map<string, string>();
  const chaos: Chaos = {
    retriedAfterFirstByte: {},
    throttled: {},
    streamed: {},
    source: (base = {}) => (req) => {
      const scenario = typeof base === "function" ? base(req) : base;
      // Every model call, Converse or Claude's native InvokeModel(WithResponseStream); token counts are left alone.
      if (req.operation === "count-tokens") return scenario;
      const key = conversationOf(req.body);
      const firstAttempt = !seen.has(key);
      seen.add(key);
      const startedOn = started.get(key);
      if (startedOn !== undefined) bump(chaos.retriedAfterFirstByte, startedOn);
      const decided = decide(req, scenario, firstAttempt);
      if (decided.error) {
        if (decided.error.type === "ThrottlingException") bump(chaos.throttled, req.modelId);
      } else if (decided !== RESET_BEFORE_FIRST_BYTE) {
        started.set(key, req.modelId);
        bump(chaos.streamed, req.modelId);
      }
      return decided;
    },
  };

  function decide(req: RecordedRequest, scenario: Scenario, firstAttempt: boolean): Scenario {
    const elapsed = Date.now() - createdAt;
    const windowed = options.throttleWindows?.some((w) => w.model === req.modelId && elapsed >= w.fromMs && elapsed < w.untilMs);
    if (windowed) return THROTTLED;
    const share = options.throttleEveryAttempt?.[req.modelId] ?? options.throttleEveryAttempt?.["*"] ?? 0;
    if (share > 0 && random() < share) return THROTTLED;
    if (firstAttempt && (options.throttleFirstAttempts ?? 0) > 0 && random() < options.throttleFirstAttempts!) return THROTTLED;
    if (firstAttempt && (options.resetFirstAttempts ?? 0) > 0 && random() < options.resetFirstAttempts!) return RESET_BEFORE_FIRST_BYTE;
    const intervention = options.guardrailIntervention;
    if (intervention && (req.body?.guardrailConfig || req.headers[GUARDRAIL_HEADER] !== undefined)) return intervene(scenario, intervention.afterSteps, intervention.message);
    return scenario;
  }
  return chaos;
}

/** The 200 and its headers, then the connection is reset before any event frame: the SDK's `send()` fails. */
const RESET_BEFORE_FIRST_BYTE: Scenario = { messageStart: false, steps: [{ reset: true, scope: "connection" }] };

/**
 * What Bedrock streams when a guardrail stops an output: the content so far, the guardrail's blocked-output
 * message, and `stopReason: guardrail_intervened`.
 */
function intervene(scenario: Scenario, afterSteps: number, message = GUARDRAIL_BLOCKED_MESSAGE): Scenario {
  const steps: Step[] = (scenario.steps ?? [{ text: "Here is" }, { text: " what" }, { text: " you asked" }]).slice(0, afterSteps);
  return { ...scenario, steps: [...steps, { text: message }], stopReason: "guardrail_intervened" };
}

/** A digest of what makes two calls the same caller's request: the conversation, not the model or the limits. */
function conversationOf(body: any): string {
  return createHash("sha256").update(JSON.stringify([body?.messages, body?.system])).digest("base64");
}

function bump(counts: Record<string, number>, model: string): void {
  counts[model] = (counts[model] ?? 0) + 1;
}
