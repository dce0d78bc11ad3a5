import type { EmfWriter, MetricDirective } from "./emf";
import { DIMENSION } from "./service-metrics";

/**
 * Metrics of the resilience features (docs/resilience.md names which to watch), written only when something
 * happened (a retry, a fallback, a circuit change, a refusal, an intervention): a request served on its first
 * attempt adds no line. Names are shared with the dashboard and alarms (infra/dashboard.ts, infra/monitoring.ts).
 */
export const RESILIENCE_METRIC = {
  retries: "UpstreamRetries",
  fallbacks: "ModelFallbacks",
  circuitOpened: "CircuitOpened",
  circuitClosed: "CircuitClosed",
  concurrencyRefusals: "ConcurrencyRefusals",
  guardrailInterventions: "GuardrailInterventions",
} as const;

export const RESILIENCE_DIMENSION = { fromModel: "FromModel", toModel: "ToModel" } as const;

const directive = (name: string, dimensions: string[][]): MetricDirective => ({
  dimensions,
  metrics: [{ name, unit: "Count" }],
});
const RETRIES = directive(RESILIENCE_METRIC.retries, [[DIMENSION.model], []]);
const FALLBACKS = directive(RESILIENCE_METRIC.fallbacks, [[RESILIENCE_DIMENSION.fromModel, RESILIENCE_DIMENSION.toModel], []]);
const OPENED = directive(RESILIENCE_METRIC.circuitOpened, [[DIMENSION.model], []]);
const CLOSED = directive(RESILIENCE_METRIC.circuitClosed, [[DIMENSION.model], []]);
const CONCURRENCY = directive(RESILIENCE_METRIC.concurrencyRefusals, [[DIMENSION.key], []]);
const INTERVENTIONS = directive(RESILIENCE_METRIC.guardrailInterventions, [[DIMENSION.key], []]);

export class ResilienceMetrics {
  constructor(private readonly emf: EmfWriter) {}

  /** Attempts beyond the first that one request made before a stream started (or it failed), per model. */
  retries(model: string, count: number): void {
    this.emf.write([RETRIES], { [DIMENSION.model]: model, [RESILIENCE_METRIC.retries]: count });
  }

  /** A request that was to use `from` was answered by `to`. */
  fallback(from: string, to: string): void {
    this.emf.write([FALLBACKS], {
      [RESILIENCE_DIMENSION.fromModel]: from, [RESILIENCE_DIMENSION.toModel]: to, [RESILIENCE_METRIC.fallbacks]: 1,
    });
  }

  circuit(model: string, state: "open" | "closed"): void {
    const name = state === "open" ? RESILIENCE_METRIC.circuitOpened : RESILIENCE_METRIC.circuitClosed;
    this.emf.write([state === "open" ? OPENED : CLOSED], { [DIMENSION.model]: model, [name]: 1 });
  }

  concurrencyRefusal(keyName: string): void {
    this.emf.write([CONCURRENCY], { [DIMENSION.key]: keyName, [RESILIENCE_METRIC.concurrencyRefusals]: 1 });
  }

  guardrailIntervention(keyName: string): void {
    this.emf.write([INTERVENTIONS], { [DIMENSION.key]: keyName, [RESILIENCE_METRIC.guardrailInterventions]: 1 });
  }
}
