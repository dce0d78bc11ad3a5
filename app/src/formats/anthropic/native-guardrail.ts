import type { Guardrail } from "../../resilience/guardrail-schema";
import { GUARDRAIL_INTERVENED } from "../../resilience/setup";

/**
 * A guardrail on Claude's native path (InvokeModel, InvokeModelWithResponseStream). The call names it in
 * `guardrailIdentifier` / `guardrailVersion` (the `X-Amzn-Bedrock-Guardrail*` headers); a stream's processing mode
 * goes in the body as `amazon-bedrock-guardrailConfig.streamProcessingMode` (user guide, "Configure streaming
 * response behavior"), written only for `async` since synchronous is Bedrock's default. No Bedrock trace is asked
 * for: its assessments would travel in the reply and nothing here reads them.
 *
 * Bedrock reports an intervention in the body, beside Anthropic's fields: `"amazon-bedrock-guardrailAction":
 * "INTERVENED"` (InvokeModel API reference, "Use a guardrail" example response) on InvokeModel's message, and on a
 * chunk's event when streamed; the stop reason may stay `end_turn`. Some report `stop_reason: guardrail_intervened`
 * instead; either one counts. These are Bedrock's fields, not Anthropic's, so they are removed before the client
 * sees the event, and the reply ends with Anthropic's `refusal`.
 */
export const GUARDRAIL_ACTION_FIELD = "amazon-bedrock-guardrailAction";
const TRACE_FIELD = "amazon-bedrock-trace";
const GUARDRAIL_CONFIG_FIELD = "amazon-bedrock-guardrailConfig";
/** Whether a chunk's JSON may carry Bedrock's guardrail fields (checked before the relay's no-parse fast path). */
export const BEDROCK_FIELD_MARK = '"amazon-bedrock-';

/** Anthropic's stop reason for a reply a guardrail stopped. */
export const REFUSAL = "refusal";

/** The invoke command's guardrail parameters, when a guardrail applies. */
export function guardrailParameters(guardrail: Guardrail | undefined): { guardrailIdentifier?: string; guardrailVersion?: string } {
  return guardrail ? { guardrailIdentifier: guardrail.identifier, guardrailVersion: guardrail.version } : {};
}

/** The body with the guardrail's stream mode, when the call streams under an `async` guardrail. */
export function withStreamMode<T extends Record<string, unknown>>(body: T, guardrail: Guardrail | undefined, streamed: boolean): T {
  if (!streamed || guardrail?.streamProcessingMode !== "async") return body;
  return { ...body, [GUARDRAIL_CONFIG_FIELD]: { streamProcessingMode: "ASYNCHRONOUS" } };
}

/** Whether an action value says the guardrail stepped in (`INTERVENED`; some report `GUARDRAIL_INTERVENED`). */
const intervenes = (action: unknown) => typeof action === "string" && /INTERVENED$/i.test(action);

/**
 * Removes Bedrock's guardrail fields from one event (a streamed chunk's, or InvokeModel's message) and says
 * whether it reports an intervention.
 */
export function takeIntervention(event: Record<string, any>): boolean {
  const intervened = intervenes(event[GUARDRAIL_ACTION_FIELD]) ||
    event.stop_reason === GUARDRAIL_INTERVENED || event.delta?.stop_reason === GUARDRAIL_INTERVENED;
  delete event[GUARDRAIL_ACTION_FIELD];
  delete event[TRACE_FIELD];
  return intervened;
}
