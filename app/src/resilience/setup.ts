import type { ConverseStreamCommandInput } from "@aws-sdk/client-bedrock-runtime";
import type { ChatRequest } from "../bedrock/chat-request";
import type { AppConfig } from "../config";
import { ResilienceMetrics } from "../metrics/resilience-metrics";
import type { ServiceMetrics } from "../metrics/service-metrics";
import type { Caller } from "../usage/keys";
import { Circuits } from "./circuit";
import { type Guardrail, guardrailOf } from "./guardrail-schema";
import { UpstreamStarter } from "./upstream-start";

/** The resilience features of one task, built once from the configuration (docs/resilience.md). */
export interface Resilience {
  starter: UpstreamStarter;
  metrics: ResilienceMetrics;
  /** The guardrail a caller's chat calls apply: the key's own, else the deployment's, else none. */
  guardrailFor(caller: Caller): Guardrail | undefined;
}

export function createResilience(config: AppConfig, serviceMetrics: ServiceMetrics): Resilience {
  const metrics = new ResilienceMetrics(serviceMetrics.emf);
  const circuits = new Circuits({
    throttles: config.circuitThrottles,
    windowMs: config.circuitWindowMs,
    coolOffMs: config.circuitCoolOffMs,
    changed: (model, state) => metrics.circuit(model, state),
  });
  const starter = new UpstreamStarter({
    maxAttempts: config.upstreamMaxAttempts,
    retryBudgetMs: config.upstreamRetryBudgetMs,
    fallbacks: config.modelFallbacks,
    strictModels: config.strictModels,
    circuits,
    metrics,
  });
  const deployment = guardrailOf(config.guardrail);
  return { starter, metrics, guardrailFor: (caller) => caller.guardrail ?? deployment };
}

/** Whether a request named its model (then `strictModels` keeps it there). */
export const namesModel = (request: ChatRequest): boolean => request.model !== undefined && request.model !== "";

/** Converse's stop reason when a guardrail stopped the reply (OpenAI `content_filter`, Anthropic `refusal`). */
export const GUARDRAIL_INTERVENED = "guardrail_intervened";

/** Converse's `guardrailConfig` for a call, when a guardrail applies. */
export function withGuardrail<T extends ConverseStreamCommandInput>(input: T, guardrail: Guardrail | undefined): T {
  if (!guardrail) return input;
  const { identifier, version, streamProcessingMode } = guardrail;
  return { ...input, guardrailConfig: { guardrailIdentifier: identifier, guardrailVersion: version, streamProcessingMode } };
}
