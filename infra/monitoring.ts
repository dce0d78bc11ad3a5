import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUDGET_EXCEEDED_CODE, DIMENSION, METRIC } from "../app/src/metrics/service-metrics";

/**
 * The operator's view: one CloudWatch dashboard (API Gateway, ALB, ECS and the service's own embedded metrics) and
 * the alarms that need a person, all publishing to one SNS topic (with an optional email subscription). Metric names
 * come from the app's own definitions (app/src/metrics/service-metrics.ts), so dashboard and emitter cannot drift.
 */

export interface MonitoringArgs {
  readonly region: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`). */
  readonly partition: string;
  /** The app's metrics namespace (METRICS_NAMESPACE). */
  readonly namespace: string;
  readonly apiName: pulumi.Input<string>;
  readonly stageName: pulumi.Input<string>;
  readonly loadBalancerArnSuffix: pulumi.Input<string>;
  readonly targetGroupArnSuffix: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  readonly serviceName: pulumi.Input<string>;
  /** Autoscaling's maximum: running at it for 15 minutes means demand exceeds what the stack may scale to. */
  readonly maxCapacity: number;
  readonly alarmEmail: string;
  readonly fiveXxRatePercent: number;
  readonly ttftP90Ms: number;
}

/** The alarms, by the suffix of their logical names (tests and the README refer to these). */
export const ALARMS = {
  upstreamMisconfigured: "upstream-misconfigured",
  fiveXxRate: "5xx-rate",
  ttftP90: "ttft-p90",
  tasksAtMaximum: "tasks-at-maximum",
  usageStoreFailures: "usage-store-failures",
} as const;

const PERIOD = 300;

export class Monitoring extends pulumi.ComponentResource {
  public readonly topicArn: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;
  public readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:monitoring:Monitoring", name, {}, opts);
    const ns = args.namespace;

    // CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key (aws/sns): its key policy
    // cannot be changed to let the alarm service use it, so every notification would be dropped silently. A key of
    // the stack's own grants exactly that (sns-key-management, "compatibility with AWS services").
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    const key = new aws.kms.Key(`${name}-alarms-key`, {
      description: "Encrypts the alarm topic; lets this account's CloudWatch alarms publish to it",
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: accountId.apply((account) => JSON.stringify(alarmTopicKeyPolicy(args.partition, account))),
    }, { parent: this });
    const topic = new aws.sns.Topic(`${name}-alarms`, { kmsMasterKeyId: key.arn }, { parent: this });
    if (args.alarmEmail) {
      new aws.sns.TopicSubscription(`${name}-alarm-email`, {
        topic: topic.arn,
        protocol: "email",
        endpoint: args.alarmEmail,
      }, { parent: this });
    }

    const alarm = (suffix: string, description: string, spec: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions">) =>
      new aws.cloudwatch.MetricAlarm(`${name}-${suffix}`, {
        alarmDescription: description,
        alarmActions: [topic.arn],
        okActions: [topic.arn],
        treatMissingData: "notBreaching",
        ...spec,
      }, { parent: this });

    alarm(ALARMS.upstreamMisconfigured, "Bedrock refused the service's own call (IAM policy, model id, region): fix the deployment", {
      namespace: ns,
      metricName: METRIC.errors,
      dimensions: { [DIMENSION.errorCode]: "upstream_misconfigured" },
      statistic: "Sum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });
    alarm(ALARMS.fiveXxRate, `More than ${args.fiveXxRatePercent}% of API requests answered 5xx over 5 minutes`, {
      namespace: "AWS/ApiGateway",
      metricName: "5XXError",
      dimensions: { ApiName: args.apiName, Stage: args.stageName },
      // 5XXError is 0 or 1 per request: its average is the 5xx rate.
      statistic: "Average",
      period: PERIOD,
      evaluationPeriods: 1,
      threshold: args.fiveXxRatePercent / 100,
      comparisonOperator: "GreaterThanThreshold",
    });
    alarm(ALARMS.ttftP90, `p90 time to first token above ${args.ttftP90Ms} ms for 10 minutes`, {
      namespace: ns,
      metricName: METRIC.timeToFirstToken,
      extendedStatistic: "p90",
      period: PERIOD,
      evaluationPeriods: 2,
      threshold: args.ttftP90Ms,
      comparisonOperator: "GreaterThanThreshold",
    });
    alarm(ALARMS.tasksAtMaximum, `The service has run at its autoscaling maximum (${args.maxCapacity} tasks) for 15 minutes`, {
      namespace: "ECS/ContainerInsights",
      metricName: "RunningTaskCount",
      dimensions: { ClusterName: args.clusterName, ServiceName: args.serviceName },
      statistic: "Minimum",
      period: PERIOD,
      evaluationPeriods: 3,
      threshold: args.maxCapacity,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    alarm(ALARMS.usageStoreFailures, "The usage table could not be read or written: budgets unchecked or charges lost", {
      namespace: ns,
      metricName: METRIC.usageStoreFailures,
      statistic: "Sum",
      period: 60,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
    });

    const dashboard = new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
      dashboardName: pulumi.interpolate`${args.apiName}-${args.stageName}`,
      dashboardBody: pulumi
        .all([args.apiName, args.stageName, args.loadBalancerArnSuffix, args.targetGroupArnSuffix, args.clusterName, args.serviceName])
        .apply(([api, stage, lb, tg, cluster, service]) =>
          JSON.stringify(dashboardBody({ region: args.region, ns, api, stage, lb, tg, cluster, service }))),
    }, { parent: this });

    this.topicArn = topic.arn;
    this.dashboardName = dashboard.dashboardName;
    this.dashboardUrl = pulumi.interpolate`https://${args.region}.console.aws.amazon.com/cloudwatch/home?region=${args.region}#dashboards/dashboard/${dashboard.dashboardName}`;
    this.registerOutputs({ topicArn: this.topicArn, dashboardUrl: this.dashboardUrl });
  }
}

/**
 * The alarm topic's key policy: the account administers the key through IAM as usual; the CloudWatch alarm service
 * may only encrypt for (and decrypt) the topic, on behalf of this account's alarms.
 */
export function alarmTopicKeyPolicy(partition: string, account: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersTheKey",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsPublishToTheTopic",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ],
  };
}

interface Names {
  region: string;
  ns: string;
  api: string;
  stage: string;
  lb: string;
  tg: string;
  cluster: string;
  service: string;
}

type Metric = Array<string | Record<string, unknown>>;

/** The dashboard: three rows (the edge, the service's health, the service's own metrics), 24 units wide. */
export function dashboardBody(n: Names): { widgets: unknown[] } {
  const api = ["ApiName", n.api, "Stage", n.stage];
  const alb = ["LoadBalancer", n.lb, "TargetGroup", n.tg];
  const ecs = ["ClusterName", n.cluster, "ServiceName", n.service];
  const own = (metric: string, stat: string, label = `${metric} ${stat}`): Metric => [n.ns, metric, { stat, label }];
  const search = (expression: string, id: string): Metric => [{ expression, id, period: PERIOD }];
  const widget = (title: string, metrics: Metric[], x: number, y: number, extra: Record<string, unknown> = {}) => ({
    type: "metric",
    x, y, width: 8, height: 6,
    properties: { title, region: n.region, period: PERIOD, view: "timeSeries", stacked: false, metrics, ...extra },
  });
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
        search(`SEARCH('{${n.ns},${DIMENSION.task}} MetricName="${METRIC.openStreams}"', 'Maximum', ${PERIOD})`, "perTask"),
        own(METRIC.openStreams, "Maximum", "open streams, busiest task"),
      ], 8, 6),
      widget("Errors by code", [search(`SEARCH('{${n.ns},${DIMENSION.errorCode}} MetricName="${METRIC.errors}"', 'Sum', ${PERIOD})`, "errors")], 16, 6),
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
        search(`SEARCH('{${n.ns},${DIMENSION.key},${DIMENSION.model}} MetricName="${METRIC.outputTokens}"', 'Sum', ${PERIOD})`, "out"),
        search(`SEARCH('{${n.ns},${DIMENSION.key},${DIMENSION.model}} MetricName="${METRIC.inputTokens}"', 'Sum', ${PERIOD})`, "in"),
      ], 16, 12),
      widget(`Budget refusals (${BUDGET_EXCEEDED_CODE}), usage-store failures, throttles`, [
        search(`SEARCH('{${n.ns},${DIMENSION.key}} MetricName="${METRIC.budgetRefusals}"', 'Sum', ${PERIOD})`, "refusals"),
        own(METRIC.usageStoreFailures, "Sum"),
        [n.ns, METRIC.errors, DIMENSION.errorCode, "throttled", { stat: "Sum", label: "Bedrock throttles" }],
      ], 0, 18),
      widget("Requests by API key", [
        search(`SEARCH('{${n.ns},${DIMENSION.key},${DIMENSION.model}} MetricName="${METRIC.requests}"', 'Sum', ${PERIOD})`, "requests"),
      ], 8, 18),
    ],
  };
}
