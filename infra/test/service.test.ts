import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import {
  ALB_IDLE_TIMEOUT_SECONDS, CONTAINER_NAME, CONTAINER_PORT, CONTAINER_USER, DEREGISTRATION_DELAY_SECONDS, ENV,
  HEALTH_CHECK, HEALTH_PATH, SHUTDOWN_GRACE_SECONDS, STOP_TIMEOUT_SECONDS,
} from "../../app/src/runtime-contract";
import { CPU_TARGET_PERCENT, REQUESTS_PER_TASK_PER_MINUTE } from "../autoscaling";
import { clusterNameOf } from "../service";
import { ProgramRun, REGION, runProgram } from "./program-under-mocks";

const SERVICE = "awsx:ecs:FargateService";
const ALB = "awsx:lb:ApplicationLoadBalancer";
const LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup";

const taskDefinition = (run: ProgramRun) => run.one(SERVICE, "chat-service").inputs.taskDefinitionArgs;
const container = (run: ProgramRun) => taskDefinition(run).container;

describe("service", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  describe("internal ALB", () => {
    it("is internal, uses only the program's security group and idles as long as API Gateway streams may", () => {
      const alb = run.one(ALB, "chat-alb").inputs;
      assert.equal(alb.internal, true);
      assert.deepEqual(alb.defaultSecurityGroup, { skip: true }, "no awsx default group open to the world");
      assert.deepEqual(alb.securityGroups, ["sg-chat-alb-sg"]);
      assert.equal(alb.idleTimeout, ALB_IDLE_TIMEOUT_SECONDS);
      assert.deepEqual(alb.listener, { port: 80, protocol: "HTTP" });
    });

    it("targets task IPs on the container port, checks /health and drains for the app's shutdown grace", () => {
      const group = run.one(ALB, "chat-alb").inputs.defaultTargetGroup;
      assert.equal(group.port, CONTAINER_PORT);
      assert.equal(group.protocol, "HTTP");
      assert.equal(group.targetType, "ip");
      assert.equal(group.vpcId, "vpc-0a1b2c3d");
      assert.equal(group.healthCheck.path, HEALTH_PATH);
      assert.equal(group.healthCheck.matcher, "200");
      assert.equal(group.deregistrationDelay, DEREGISTRATION_DELAY_SECONDS);
      assert.ok(group.deregistrationDelay <= SHUTDOWN_GRACE_SECONDS);
    });
  });

  it("runs on a cluster with Container Insights, whose log group the stack owns", () => {
    const cluster = run.one("aws:ecs/cluster:Cluster", "chat-cluster");
    assert.deepEqual(cluster.inputs.settings, [{ name: "containerInsights", value: "enabled" }]);
    const insights = run.one(LOG_GROUP, "chat-insights-logs");
    assert.equal(insights.inputs.name, `/aws/ecs/containerinsights/${cluster.inputs.name}/performance`);
    assert.equal(insights.inputs.retentionInDays, 30);
  });

  it("names the cluster up front and creates its Container Insights log group before it (and deletes it after)", () => {
    const cluster = run.one("aws:ecs/cluster:Cluster", "chat-cluster");
    assert.equal(cluster.inputs.name, "bedrock-stream-api-dev", "<project>-<stack>, known before the cluster exists");
    const insights = run.one(LOG_GROUP, "chat-insights-logs");
    assert.equal(insights.inputs.name, "/aws/ecs/containerinsights/bedrock-stream-api-dev/performance");
    assert.deepEqual(insights.dependsOn, [], "the group's name does not wait for the cluster");
    assert.ok(cluster.dependsOn.includes("chat-insights-logs"), `cluster depends on [${cluster.dependsOn.join(", ")}]`);
    assert.ok(run.resources.indexOf(insights) < run.resources.indexOf(cluster));
    assert.equal(clusterNameOf("bedrock-stream-api", "team.prod"), "bedrock-stream-api-team-prod");
    assert.equal(run.one(SERVICE, "chat-service").inputs.cluster, `arn:aws:ecs:${REGION}:123456789012:cluster/${cluster.inputs.name}`);
  });

  describe("task definition matches the runtime contract", () => {
    it("runs the pushed image as the contract's numeric user on a read-only root filesystem", () => {
      const c = container(run);
      assert.equal(c.name, CONTAINER_NAME);
      assert.equal(c.user, CONTAINER_USER);
      assert.equal(c.readonlyRootFilesystem, true);
      assert.equal(c.essential, true);
      const image = run.one("docker-build:index:Image", "chat-image").inputs;
      assert.match(c.image, new RegExp(`^${image.tags[0].replace(/[.]/g, "\\.")}@sha256:[0-9a-f]{64}$`), "pinned to the pushed digest");
    });

    it("maps the container port, probes it with the contract's health check and stops after the contract's timeout", () => {
      const c = container(run);
      assert.deepEqual(c.portMappings, [{ containerPort: CONTAINER_PORT, protocol: "tcp" }]);
      assert.deepEqual(c.healthCheck, {
        command: [...HEALTH_CHECK.command],
        interval: HEALTH_CHECK.intervalSeconds,
        timeout: HEALTH_CHECK.timeoutSeconds,
        retries: HEALTH_CHECK.retries,
        startPeriod: HEALTH_CHECK.startPeriodSeconds,
      });
      assert.equal(c.stopTimeout, STOP_TIMEOUT_SECONDS);
      assert.ok(c.stopTimeout > SHUTDOWN_GRACE_SECONDS, "ECS must not SIGKILL before the grace is over");
    });

    it("passes the models, region, limits and stage prefix from the configuration", async () => {
      const allowed = ["us.amazon.nova-lite-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"];
      const embedding = ["amazon.titan-embed-text-v2:0", "cohere.embed-v4:0"];
      const custom = await runProgram({
        modelId: "amazon.nova-pro-v1:0", allowedModelIds: JSON.stringify(allowed), maxTokens: "2048", stageName: "prod",
        embeddingModelIds: JSON.stringify(embedding),
      });
      const env = (r: ProgramRun) => Object.fromEntries(container(r).environment.map((e: any) => [e.name, e.value]));
      assert.deepEqual(env(custom), {
        [ENV.port]: String(CONTAINER_PORT),
        [ENV.modelId]: "amazon.nova-pro-v1:0",
        [ENV.allowedModelIds]: JSON.stringify(allowed),
        [ENV.embeddingModelIds]: JSON.stringify(embedding),
        [ENV.modelCatalog]: "{}",
        [ENV.modelAliases]: "{}",
        [ENV.strictModels]: "false",
        [ENV.upstreamMaxAttempts]: "3",
        [ENV.upstreamRetryBudgetMs]: "10000",
        [ENV.modelFallbacks]: "{}",
        [ENV.circuitThrottles]: "5",
        [ENV.circuitWindowMs]: "10000",
        [ENV.circuitCoolOffMs]: "30000",
        [ENV.guardrail]: "{}",
        [ENV.modelPrices]: "{}",
        [ENV.region]: REGION,
        [ENV.defaultMaxTokens]: "2048",
        [ENV.stagePrefix]: "prod",
        [ENV.shutdownGraceMs]: String(SHUTDOWN_GRACE_SECONDS * 1000),
        [ENV.nodeOptions]: "--enable-source-maps --max-old-space-size=256 --max-semi-space-size=16",
        [ENV.usageStoreFailurePolicy]: "serve",
        [ENV.budgetReadMaxAgeMs]: "500",
        [ENV.metricsNamespace]: "BedrockStreamApi/bedrock-stream-api-dev",
        [ENV.usageTableName]: "chat-usage-table",
        [ENV.apiKeys]: JSON.stringify({ "chat-key-default-id": { name: "default" } }),
      });
      assert.equal(env(run)[ENV.defaultMaxTokens], "1024");
      assert.equal(env(run)[ENV.stagePrefix], "v1");
      assert.equal(env(run)[ENV.allowedModelIds], "[]");
      assert.equal(env(run)[ENV.embeddingModelIds], "[]");
    });

    it("logs to the service's log group, whose retention comes from logRetentionDays", async () => {
      const c = container(run);
      const logs = run.one(LOG_GROUP, "chat-logs");
      assert.deepEqual(c.logConfiguration, {
        logDriver: "awslogs",
        options: { "awslogs-group": logs.name, "awslogs-region": REGION, "awslogs-stream-prefix": CONTAINER_NAME },
      });
      assert.deepEqual(taskDefinition(run).logGroup, { skip: true });
      const weekly = await runProgram({ logRetentionDays: "7" });
      const retentions = weekly.ofType(LOG_GROUP).map((g) => g.inputs.retentionInDays);
      assert.deepEqual(retentions, retentions.map(() => 7), "every log group of the stack");
      assert.ok(run.ofType(LOG_GROUP).every((g) => g.inputs.retentionInDays === 30));
    });

    it("sizes the task from cpu/memory and runs it on the configured architecture", async () => {
      assert.deepEqual([taskDefinition(run).cpu, taskDefinition(run).memory], ["256", "512"]);
      assert.deepEqual(taskDefinition(run).runtimePlatform, { operatingSystemFamily: "LINUX", cpuArchitecture: "ARM64" });
      const x86 = await runProgram({ cpuArchitecture: "X86_64" });
      assert.equal(taskDefinition(x86).runtimePlatform.cpuArchitecture, "X86_64");
    });
  });

  it("registers the container with the ALB's target group and rolls back failed deployments", () => {
    const service = run.one(SERVICE, "chat-service").inputs;
    assert.deepEqual(service.loadBalancers, [{
      targetGroupArn: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/chat-alb/73e2d6bc24d8a067",
      containerName: CONTAINER_NAME,
      containerPort: CONTAINER_PORT,
    }]);
    assert.deepEqual(service.deploymentCircuitBreaker, { enable: true, rollback: true });
    assert.equal(service.desiredCount, 2);
  });

  describe("autoscaling", () => {
    it("tracks CPU and ALB requests per task between minCapacity and maxCapacity", () => {
      const target = run.one("aws:appautoscaling/target:Target", "chat-scaling-target").inputs;
      assert.equal(target.resourceId, "service/bedrock-stream-api-dev/chat-service-svc");
      assert.equal(target.scalableDimension, "ecs:service:DesiredCount");
      assert.deepEqual([target.minCapacity, target.maxCapacity], [2, 6]);
      const policies = run.ofType("aws:appautoscaling/policy:Policy").map((p) => p.inputs);
      assert.deepEqual(policies.map((p) => p.policyType), ["TargetTrackingScaling", "TargetTrackingScaling"]);
      assert.ok(policies.every((p) => p.resourceId === target.resourceId));
      const tracking = policies.map((p) => p.targetTrackingScalingPolicyConfiguration);
      assert.deepEqual(tracking.map((t) => t.targetValue), [CPU_TARGET_PERCENT, REQUESTS_PER_TASK_PER_MINUTE]);
      assert.ok(tracking.every((t) => t.scaleInCooldown > t.scaleOutCooldown), "scale in slower than out");
      const metrics = tracking.map((t) => t.predefinedMetricSpecification);
      assert.deepEqual(metrics, [
        { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
        {
          predefinedMetricType: "ALBRequestCountPerTarget",
          resourceLabel: "app/chat-alb/50dc6c495c0c9188/targetgroup/chat-alb/73e2d6bc24d8a067",
        },
      ]);
    });

    it("leaves the running task count to autoscaling on later deployments", async () => {
      const [transform] = run.one(SERVICE, "chat-service").transforms;
      const service = await transform({ type: "aws:ecs/service:Service", name: "chat-service", props: {}, opts: {} } as pulumi.ResourceTransformArgs);
      assert.deepEqual(service?.opts.ignoreChanges, ["desiredCount"]);
      const other = await transform({ type: "aws:ecs/taskDefinition:TaskDefinition", name: "x", props: {}, opts: {} } as pulumi.ResourceTransformArgs);
      assert.equal(other, undefined);
    });
  });
});
