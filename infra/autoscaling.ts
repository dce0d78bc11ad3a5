import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * Target-tracking autoscaling of the ECS service's task count, on two signals:
 * - CPU: streaming is mostly waiting on Bedrock, so CPU rises late and only catches bursts of heavy traffic;
 * - ALB requests per task: the load a streaming relay actually feels (each request holds a stream open).
 * Application Auto Scaling scales out when either is above target and in only when both are below.
 */

/** Average CPU the service scales out above. */
export const CPU_TARGET_PERCENT = 60;
/**
 * Requests per task per minute the service scales out above: ~10 new streams a second per task, far below what the
 * event loop of a 0.25 vCPU task relays, so a task never queues streams behind each other.
 */
export const REQUESTS_PER_TASK_PER_MINUTE = 600;
/** Scale out fast; scale in slowly, since every removed task first drains its streams. */
const SCALE_OUT_COOLDOWN_SECONDS = 60;
const SCALE_IN_COOLDOWN_SECONDS = 300;

type PredefinedMetric =
  aws.types.input.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification;

export interface ServiceAutoscalingArgs {
  /** `service/<cluster name>/<service name>` */
  readonly resourceId: pulumi.Input<string>;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /** `<load balancer ARN suffix>/<target group ARN suffix>`, the label of ALBRequestCountPerTarget. */
  readonly requestCountLabel: pulumi.Input<string>;
}

export class ServiceAutoscaling extends pulumi.ComponentResource {
  constructor(name: string, args: ServiceAutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:service:ServiceAutoscaling", name, {}, opts);
    const target = new aws.appautoscaling.Target(`${name}-target`, {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: args.resourceId,
      minCapacity: args.minCapacity,
      maxCapacity: args.maxCapacity,
    }, { parent: this });

    const track = (suffix: string, targetValue: number, metric: PredefinedMetric) =>
      new aws.appautoscaling.Policy(`${name}-${suffix}`, {
        policyType: "TargetTrackingScaling",
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue,
          predefinedMetricSpecification: metric,
          scaleOutCooldown: SCALE_OUT_COOLDOWN_SECONDS,
          scaleInCooldown: SCALE_IN_COOLDOWN_SECONDS,
        },
      }, { parent: this });
    track("cpu", CPU_TARGET_PERCENT, { predefinedMetricType: "ECSServiceAverageCPUUtilization" });
    track("requests", REQUESTS_PER_TASK_PER_MINUTE, {
      predefinedMetricType: "ALBRequestCountPerTarget",
      resourceLabel: args.requestCountLabel,
    });
    this.registerOutputs({});
  }
}
