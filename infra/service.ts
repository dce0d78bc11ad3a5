import { guardrailOf } from "../app/src/resilience/guardrail-schema";
import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import {
  ALB_IDLE_TIMEOUT_SECONDS, CONTAINER_NAME, CONTAINER_PORT, DEREGISTRATION_DELAY_SECONDS, HEALTH_CHECK, HEALTH_PATH,
} from "../app/src/runtime-contract";
import type { StackConfig } from "./config";
import { type ContainerSettings, containerDefinition, type UsageEnvironment } from "./container";
import { ServiceAutoscaling } from "./autoscaling";
import { invokedModels } from "./bedrock-grants";
import { ServiceRoles } from "./iam";
import { ALB_LISTENER_PORT } from "./network";

/**
 * The chat service: an internal ALB in the isolated subnets in front of a Fargate service that scales on load.
 */

export type ServiceSettings = ContainerSettings & Pick<StackConfig,
  "modelId" | "region" | "partition" | "desiredCount" | "minCapacity" | "maxCapacity" | "cpu" |
  "memory" | "cpuArchitecture" | "logRetentionDays" | "keys" | "guardrail">;

export interface ChatServiceArgs {
  readonly settings: ServiceSettings;
  readonly vpcId: pulumi.Input<string>;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly albSecurityGroupId: pulumi.Input<string>;
  readonly taskSecurityGroupId: pulumi.Input<string>;
  readonly imageRef: pulumi.Input<string>;
  readonly repositoryArn: pulumi.Input<string>;
  /**
   * What must exist before a task starts: in isolated subnets the image pull, the log driver and Bedrock all go
   * through the VPC endpoints and their security group rules, so tasks started earlier fail to pull.
   */
  readonly networkReady: pulumi.Resource;
  /** Per-key token budgets: the usage table (its name and the keys reach the app's environment). */
  readonly usage?: ServiceUsageArgs;
  /** The bedrock-runtime interface endpoint: its policy follows the task role's Bedrock statements. */
  readonly bedrockEndpointId?: pulumi.Input<string>;
}

/** The usage table's name and the keys (container.ts, for the environment), and what the task role needs. */
export interface ServiceUsageArgs extends UsageEnvironment {
  readonly tableArn: pulumi.Input<string>;
  /** The table's endpoint and egress rule: tasks must not start before they can reach it. */
  readonly networkReady: pulumi.Resource[];
}

export class ChatService extends pulumi.ComponentResource {
  public readonly loadBalancerArn: pulumi.Output<string>;
  public readonly loadBalancerDnsName: pulumi.Output<string>;
  /** Dimensions of the service's CloudWatch metrics (monitoring.ts). */
  public readonly clusterName: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  public readonly loadBalancerArnSuffix: pulumi.Output<string>;
  public readonly targetGroupArnSuffix: pulumi.Output<string>;

  constructor(name: string, args: ChatServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:service:ChatService", name, {}, opts);
    const { settings } = args;

    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
      retentionInDays: settings.logRetentionDays,
    }, { parent: this });
    const roles = new ServiceRoles(`${name}-roles`, {
      models: invokedModels(settings),
      region: settings.region,
      partition: settings.partition,
      repositoryArn: args.repositoryArn,
      logGroupArn: logGroup.arn,
      usageTableArn: args.usage?.tableArn,
      bedrockEndpointId: args.bedrockEndpointId,
      guardrails: [guardrailOf(settings.guardrail), ...settings.keys.map((key) => key.guardrail)]
        .filter((guardrail) => guardrail !== undefined),
    }, { parent: this });

    // Container Insights writes to a log group named after the cluster, and creates it itself (without retention,
    // beyond `pulumi destroy`) if it is missing when the cluster starts reporting or after the stack deleted it. So
    // the cluster gets a name known up front, the group is created first and the cluster depends on it: on create
    // the group exists before ECS could make it, and on destroy the cluster is gone before the group is deleted.
    const clusterName = clusterNameOf(pulumi.getProject(), pulumi.getStack());
    const insightsLogs = new aws.cloudwatch.LogGroup(`${name}-insights-logs`, {
      name: containerInsightsLogGroup(clusterName),
      retentionInDays: settings.logRetentionDays,
    }, { parent: this });
    const cluster = new aws.ecs.Cluster(`${name}-cluster`, {
      name: clusterName,
      settings: [{ name: "containerInsights", value: "enabled" }],
    }, { parent: this, dependsOn: [insightsLogs] });

    const alb = new awsx.lb.ApplicationLoadBalancer(`${name}-alb`, {
      internal: true,
      subnetIds: args.subnetIds,
      securityGroups: [args.albSecurityGroupId],
      // The groups above are the only ones: no awsx default group (it would admit the world on the listener).
      defaultSecurityGroup: { skip: true },
      // Streams may stay quiet for as long as API Gateway allows (5 minutes); the ALB must not cut them sooner.
      idleTimeout: ALB_IDLE_TIMEOUT_SECONDS,
      dropInvalidHeaderFields: true,
      listener: { port: ALB_LISTENER_PORT, protocol: "HTTP" },
      defaultTargetGroup: {
        vpcId: args.vpcId,
        port: CONTAINER_PORT,
        protocol: "HTTP",
        targetType: "ip",
        // Streams last seconds to minutes: send new ones to the task with the fewest in flight, not round-robin.
        loadBalancingAlgorithmType: "least_outstanding_requests",
        // Draining lasts as long as the app's shutdown grace, so in-flight streams can finish.
        deregistrationDelay: DEREGISTRATION_DELAY_SECONDS,
        healthCheck: {
          path: HEALTH_PATH,
          matcher: "200",
          interval: 15,
          timeout: 5,
          healthyThreshold: 2,
          unhealthyThreshold: 3,
        },
      },
    }, { parent: this });
    const targetGroup = alb.defaultTargetGroup;

    const service = new awsx.ecs.FargateService(`${name}-service`, {
      cluster: cluster.arn,
      desiredCount: settings.desiredCount,
      networkConfiguration: {
        subnets: args.subnetIds,
        securityGroups: [args.taskSecurityGroupId],
        assignPublicIp: false,
      },
      loadBalancers: [{
        targetGroupArn: targetGroup.arn,
        containerName: CONTAINER_NAME,
        containerPort: CONTAINER_PORT,
      }],
      healthCheckGracePeriodSeconds: HEALTH_CHECK.startPeriodSeconds + HEALTH_CHECK.intervalSeconds,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      taskDefinitionArgs: {
        cpu: String(settings.cpu),
        memory: String(settings.memory),
        runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: settings.cpuArchitecture },
        taskRole: { roleArn: roles.taskRoleArn },
        executionRole: { roleArn: roles.executionRoleArn },
        // The log group above (with its retention) is the one; no awsx-made group.
        logGroup: { skip: true },
        container: containerDefinition({
          settings, imageRef: args.imageRef, logGroupName: logGroup.name, usage: args.usage,
        }),
      },
    }, {
      parent: this,
      dependsOn: [alb, insightsLogs, args.networkReady, ...(args.usage?.networkReady ?? [])],
      // Autoscaling owns the task count after the first deployment; `pulumi up` must not reset it.
      transforms: [ignoreDesiredCountChanges],
    });

    new ServiceAutoscaling(`${name}-scaling`, {
      resourceId: pulumi.interpolate`service/${cluster.name}/${service.service.name}`,
      minCapacity: settings.minCapacity,
      maxCapacity: settings.maxCapacity,
      requestCountLabel: pulumi.interpolate`${alb.loadBalancer.arnSuffix}/${targetGroup.arnSuffix}`,
    }, { parent: this });

    this.loadBalancerArn = alb.loadBalancer.arn;
    this.loadBalancerDnsName = alb.loadBalancer.dnsName;
    this.clusterName = cluster.name;
    this.serviceName = service.service.name;
    this.loadBalancerArnSuffix = alb.loadBalancer.arnSuffix;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.registerOutputs({ loadBalancerArn: this.loadBalancerArn, loadBalancerDnsName: this.loadBalancerDnsName });
  }
}

/**
 * The ECS cluster's name: the project and stack, unique per account and region as long as stack names are, and made
 * of the characters ECS allows (letters, digits, `-`, `_`; at most 255).
 */
export function clusterNameOf(project: string, stack: string): string {
  return `${project}-${stack}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 255);
}

/** The log group Container Insights writes a cluster's performance events to. */
export function containerInsightsLogGroup(clusterName: string): string {
  return `/aws/ecs/containerinsights/${clusterName}/performance`;
}

/** Resource transform: the ECS service inside the awsx component ignores drift of `desiredCount`. */
export function ignoreDesiredCountChanges(
  args: pulumi.ResourceTransformArgs,
): pulumi.ResourceTransformResult | undefined {
  if (args.type !== "aws:ecs/service:Service") return undefined;
  return { props: args.props, opts: pulumi.mergeOptions(args.opts, { ignoreChanges: ["desiredCount"] }) };
}
