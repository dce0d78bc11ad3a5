import { hostname } from "node:os";
import type { RequestRecord } from "../http/request-record";
import { EmfWriter, type MetricDirective, type MetricsSink } from "./emf";

/**
 * The service's own metrics (names shared with the dashboard and alarms, infra/dashboard.ts and infra/monitoring.ts):
 * per API key name and model, and service-wide (no dimension) for alarms.
 */
export const METRIC = {
  requests: "Requests",
  inputTokens: "InputTokens",
  outputTokens: "OutputTokens",
  cacheReadTokens: "CacheReadInputTokens",
  cacheWriteTokens: "CacheWriteInputTokens",
  timeToFirstToken: "TimeToFirstToken",
  streamDuration: "StreamDuration",
  outputTokensPerSecond: "OutputTokensPerSecond",
  errors: "Errors",
  budgetRefusals: "BudgetRefusals",
  openStreams: "OpenStreams",
  usageStoreFailures: "UsageStoreFailures",
  /** A metered request's estimated cost in micro-dollars: the figure the usage table was charged (usage/cost.ts). */
  costMicroUsd: "CostMicroUsd",
} as const;

/** CostMicroUsd units in a dollar (the dashboard and the runaway-spend alarms convert with it). */
export const MICRO_PER_USD = 1_000_000;

/** Dimension names. */
export const DIMENSION = { key: "ApiKey", model: "Model", errorCode: "ErrorCode", task: "Task" } as const;

/** The code a budget refusal carries; counted as its own metric as well as an error. */
export const BUDGET_EXCEEDED_CODE = "token_budget_exceeded";
/** A dollar budget's refusal (usage/meter.ts), counted with the token budgets' ones. */
export const SPEND_BUDGET_EXCEEDED_CODE = "budget_exceeded";
const isBudgetRefusal = (code: string | undefined) => code === BUDGET_EXCEEDED_CODE || code === SPEND_BUDGET_EXCEEDED_CODE;

const BY_KEY_AND_MODEL = [[DIMENSION.key, DIMENSION.model], [DIMENSION.model], []];

const REQUEST_DIRECTIVE: MetricDirective = {
  dimensions: BY_KEY_AND_MODEL,
  metrics: [
    { name: METRIC.requests, unit: "Count" },
    { name: METRIC.inputTokens, unit: "Count" },
    { name: METRIC.outputTokens, unit: "Count" },
    { name: METRIC.cacheReadTokens, unit: "Count" },
    { name: METRIC.cacheWriteTokens, unit: "Count" },
    { name: METRIC.timeToFirstToken, unit: "Milliseconds" },
    { name: METRIC.streamDuration, unit: "Milliseconds" },
    { name: METRIC.outputTokensPerSecond, unit: "Count/Second" },
  ],
};
/**
 * Spend per key (the runaway alarms), per model, per key and model, and service-wide. CloudWatch bills each name and
 * dimension-value combination that received data in an hour, so K keys and M models cost at most K + M + K*M + 1
 * metrics, and only while they spend (docs/operations.md).
 */
const COST_DIRECTIVE: MetricDirective = {
  dimensions: [[DIMENSION.key], [DIMENSION.model], [DIMENSION.key, DIMENSION.model], []],
  metrics: [{ name: METRIC.costMicroUsd, unit: "None" }],
};
const ERROR_DIRECTIVE: MetricDirective = {
  dimensions: [[DIMENSION.errorCode], [DIMENSION.key, DIMENSION.errorCode]],
  metrics: [{ name: METRIC.errors, unit: "Count" }],
};
const REFUSAL_DIRECTIVE: MetricDirective = {
  dimensions: [[DIMENSION.key], []],
  metrics: [{ name: METRIC.budgetRefusals, unit: "Count" }],
};
const OPEN_STREAMS_DIRECTIVE: MetricDirective = {
  // Per task (its host name; CloudWatch prorates a metric by the hour, so a task's series costs only while it runs),
  // and service-wide: Maximum over a period is the busiest task, Average the mean per task.
  dimensions: [[DIMENSION.task], []],
  metrics: [{ name: METRIC.openStreams, unit: "Count" }],
};
const STORE_FAILURE_DIRECTIVE: MetricDirective = {
  dimensions: [[]],
  metrics: [{ name: METRIC.usageStoreFailures, unit: "Count" }],
};

const round = (value: number) => Math.round(value * 10) / 10;

export class ServiceMetrics {
  /** Shared with the metrics of other modules (resilience-metrics.ts), so every line goes one way. */
  readonly emf: EmfWriter;

  constructor(
    sink: MetricsSink,
    namespace: string,
    now?: () => number,
    /** This task's name in the open-streams metric: the host name, unique per Fargate task. */
    private readonly task: string = hostname(),
  ) {
    this.emf = new EmfWriter(sink, namespace, now);
  }

  /** One chat request, when it ended (streamed or refused). */
  request(record: RequestRecord, endedAt = performance.now()): void {
    const usage = record.usage ?? record.estimatedUsage;
    const ttft = record.firstTokenAt === undefined ? undefined : record.firstTokenAt - record.startedAt;
    const generating = record.firstTokenAt === undefined ? 0 : (endedAt - record.firstTokenAt) / 1000;
    const code = record.error?.code;
    const refused = isBudgetRefusal(code);
    // The cost directive is left out when no cost was computed (a request refused before Bedrock is not metered).
    const directives = [REQUEST_DIRECTIVE, COST_DIRECTIVE];
    if (code) directives.push(ERROR_DIRECTIVE);
    if (refused) directives.push(REFUSAL_DIRECTIVE);
    this.emf.write(directives, {
      [DIMENSION.key]: record.apiKeyName ?? "unidentified",
      [DIMENSION.model]: record.model ?? "unresolved",
      [DIMENSION.errorCode]: code,
      [METRIC.requests]: 1,
      [METRIC.inputTokens]: usage?.inputTokens,
      [METRIC.outputTokens]: usage?.outputTokens,
      [METRIC.cacheReadTokens]: usage?.cacheReadInputTokens,
      [METRIC.cacheWriteTokens]: usage?.cacheWriteInputTokens,
      [METRIC.timeToFirstToken]: ttft === undefined ? undefined : round(ttft),
      [METRIC.streamDuration]: round(endedAt - record.startedAt),
      [METRIC.outputTokensPerSecond]:
        usage && generating > 0 ? round(usage.outputTokens / generating) : undefined,
      [METRIC.costMicroUsd]: record.costMicroUsd,
      [METRIC.errors]: code ? 1 : undefined,
      [METRIC.budgetRefusals]: refused ? 1 : undefined,
    });
  }

  openStreams(count: number): void {
    this.emf.write([OPEN_STREAMS_DIRECTIVE], { [DIMENSION.task]: this.task, [METRIC.openStreams]: count });
  }

  usageStoreFailure(operation: "read" | "write"): void {
    this.emf.write([STORE_FAILURE_DIRECTIVE], { [METRIC.usageStoreFailures]: 1, operation });
  }

  /** Reports `count()` every `intervalMs` until the returned function is called. */
  startOpenStreamsGauge(count: () => number, intervalMs: number): () => void {
    const timer = setInterval(() => this.openStreams(count()), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
