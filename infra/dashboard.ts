import { BUDGET_EXCEEDED_CODE, DIMENSION, METRIC, SPEND_BUDGET_EXCEEDED_CODE } from "../app/src/metrics/service-metrics";
import { featureWidgets } from "./dashboard-features";
import { type Widget, widgetKit } from "./dashboard-widgets";

/**
 * The body of the operator's dashboard (Monitoring, monitoring.ts, creates it): pure data from the names of what it
 * shows, so its layout can change without touching the alarms.
 */

export interface DashboardNames {
  region: string;
  ns: string;
  api: string;
  stage: string;
  lb: string;
  tg: string;
  cluster: string;
  service: string;
}

/**
 * The dashboard, 24 units wide: the edge, the service's health, its own metrics, then spend and the resilience
 * features (dashboard-features.ts).
 */
export function dashboardBody(n: DashboardNames): { widgets: Widget[] } {
  const api = ["ApiName", n.api, "Stage", n.stage];
  const alb = ["LoadBalancer", n.lb, "TargetGroup", n.tg];
  const ecs = ["ClusterName", n.cluster, "ServiceName", n.service];
  const kit = widgetKit(n.region, n.ns);
  const { own, search, widget } = kit;
  return {
    widgets: [
      widget("API Gateway: requests, 4xx, 5xx", [
        ["AWS/ApiGateway", "Count", ...api, { stat: "Sum" }],
        ["AWS/ApiGateway", "4XXError", ...api, { stat: "Sum" }],
        ["AWS/ApiGateway", "5XXError", ...api, { stat: "Sum" }],
      ], 0, 0),
      widget("API Gateway: latency (ms)", [
        ["AWS/ApiGateway", "Latency", ...api, { stat: "p50" }],
        ["AWS/ApiGateway", "Latency", ...api, { stat: "p90" }],
        ["AWS/ApiGateway", "IntegrationLatency", ...api, { stat: "p90" }],
      ], 8, 0),
      widget("ALB: target health and 5xx", [
        ["AWS/ApplicationELB", "HealthyHostCount", ...alb, { stat: "Minimum" }],
        ["AWS/ApplicationELB", "UnHealthyHostCount", ...alb, { stat: "Maximum" }],
        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ...alb, { stat: "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", n.lb, { stat: "Sum" }],
      ], 16, 0),
      widget("ECS: CPU and memory (%)", [
        ["AWS/ECS", "CPUUtilization", ...ecs, { stat: "Average" }],
        ["AWS/ECS", "MemoryUtilization", ...ecs, { stat: "Average" }],
      ], 0, 6),
      widget("ECS: running tasks; open streams per task", [
        ["ECS/ContainerInsights", "RunningTaskCount", ...ecs, { stat: "Average" }],
        search([DIMENSION.task], METRIC.openStreams, "perTask", "Maximum"),
        own(METRIC.openStreams, "Maximum", "open streams, busiest task"),
      ], 8, 6),
      widget("Errors by code", [search([DIMENSION.errorCode], METRIC.errors, "errors")], 16, 6),
      widget("Time to first token and stream duration (ms)", [
        own(METRIC.timeToFirstToken, "p50"),
        own(METRIC.timeToFirstToken, "p90"),
        own(METRIC.timeToFirstToken, "p99"),
        own(METRIC.streamDuration, "p90"),
      ], 0, 12),
      widget("Tokens (all keys) and output tokens per second", [
        own(METRIC.inputTokens, "Sum"),
        own(METRIC.outputTokens, "Sum"),
        own(METRIC.cacheReadTokens, "Sum"),
        own(METRIC.cacheWriteTokens, "Sum"),
        [n.ns, METRIC.outputTokensPerSecond, { stat: "p50", yAxis: "right", label: "output tokens/s p50" }],
      ], 8, 12),
      widget("Tokens by API key and model", [
        search([DIMENSION.key, DIMENSION.model], METRIC.outputTokens, "out"),
        search([DIMENSION.key, DIMENSION.model], METRIC.inputTokens, "in"),
      ], 16, 12),
      widget(`Budget refusals (${BUDGET_EXCEEDED_CODE}, ${SPEND_BUDGET_EXCEEDED_CODE}), usage-store failures, throttles`, [
        search([DIMENSION.key], METRIC.budgetRefusals, "refusals"),
        own(METRIC.usageStoreFailures, "Sum"),
        [n.ns, METRIC.errors, DIMENSION.errorCode, "throttled", { stat: "Sum", label: "Bedrock throttles" }],
      ], 0, 18),
      widget("Requests by API key", [
        search([DIMENSION.key, DIMENSION.model], METRIC.requests, "requests"),
      ], 8, 18),
      ...featureWidgets(kit, n.ns),
    ],
  };
}
