import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DIMENSION, METRIC } from "../app/src/metrics/service-metrics";
import { dashboardBody } from "./dashboard";
import { PERIOD } from "./dashboard-widgets";
import { runawayAlarmSpec, type RunawayRule } from "./runaway-spend";

/**
 * The operator's view: one CloudWatch dashboard (API Gateway, ALB, ECS and the service's own embedded metrics; its
 * body is dashboard.ts) and the alarms that need a person, all publishing to one SNS topic (with an optional email
 * subscription). Metric names come from the app's own definitions (app/src/metrics/service-metrics.ts), so dashboard,
 * alarms and emitter cannot drift.
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
  /** The names requests are metered under (the configured keys, or the anonymous caller): one runaway alarm each. */
  readonly keyNames: readonly string[];
  readonly runawaySpend: RunawayRule;
}

/** The alarms, by the suffix of their logical names (tests and docs/operations.md refer to these). */
export const ALARMS = {
  upstreamMisconfigured: "upstream-misconfigured",
  fiveXxRate: "5xx-rate",
  ttftP90: "ttft-p90",
  tasksAtMaximum: "tasks-at-maximum",
  usageStoreFailures: "usage-store-failures",
  /** One per key: `runaway-spend-<key name>` (runaway-spend.ts). */
  runawaySpend: "runaway-spend",
} as const;

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

    for (const keyName of args.runawaySpend.factor > 0 ? args.keyNames : []) {
      const { factor, floorUsd } = args.runawaySpend;
      alarm(`${ALARMS.runawaySpend}-${keyName}`,
        `Key ${keyName} spent over $${floorUsd} and ${factor}x its mean hourly spend of the trailing day in one hour: a runaway agent?`,
        runawayAlarmSpec(ns, keyName, args.runawaySpend));
    }

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
