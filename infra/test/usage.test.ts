import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { ENV, GATEWAY_API_KEY_ID_HEADER } from "../../app/src/runtime-contract";
import { USAGE_TABLE } from "../../app/src/usage/table-schema";
import { legacyKeyAliases } from "../api-access";
import { ALARMS } from "../monitoring";
import { DYNAMODB_PREFIX_LIST_ID, programError, ProgramRun, runProgram } from "./program-under-mocks";
import { ENDPOINT, EGRESS, ALARM } from "./resource-types";

const TABLE = "aws:dynamodb/table:Table";
const PLAN = "aws:apigateway/usagePlan:UsagePlan";
const PLAN_KEY = "aws:apigateway/usagePlanKey:UsagePlanKey";
const API_KEY = "aws:apigateway/apiKey:ApiKey";
const TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/chat-usage-table";
/** The dev stack's own metrics namespace (a stack that sets none gets one of its own). */
const NAMESPACE = "BedrockStreamApi/bedrock-stream-api-dev";

const containerEnv = (run: ProgramRun): Record<string, string> => {
  const service = run.one("awsx:ecs:FargateService", "chat-service").inputs;
  return Object.fromEntries(service.taskDefinitionArgs.container.environment.map((e: any) => [e.name, e.value]));
};

describe("usage store", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("is an on-demand, encrypted table with TTL and point-in-time recovery, keyed as the app's schema says", () => {
    assert.deepEqual(run.one(TABLE, "chat-usage-table").inputs, {
      billingMode: "PAY_PER_REQUEST",
      hashKey: USAGE_TABLE.partitionKey,
      rangeKey: USAGE_TABLE.sortKey,
      attributes: [
        { name: USAGE_TABLE.partitionKey, type: "S" },
        { name: USAGE_TABLE.sortKey, type: "S" },
      ],
      ttl: { attributeName: USAGE_TABLE.ttlAttribute, enabled: true },
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      deletionProtectionEnabled: false,
    });
  });

  it("is reached through a DynamoDB gateway endpoint on the isolated route tables", () => {
    const endpoint = run.one(ENDPOINT, "chat-usage-dynamodb-endpoint").inputs;
    assert.equal(endpoint.vpcEndpointType, "Gateway");
    assert.equal(endpoint.serviceName, "com.amazonaws.us-east-1.dynamodb");
    assert.deepEqual(endpoint.routeTableIds, ["rtb-iso-a", "rtb-iso-b"]);
    assert.equal(endpoint.vpcId, "vpc-0a1b2c3d");
    assert.equal(run.ofType(ENDPOINT).filter((e) => e.inputs.serviceName.endsWith(".dynamodb")).length, 1);
  });

  it("lets the tasks open HTTPS to its prefix list only", () => {
    const rule = run.one(EGRESS, "chat-usage-task-to-dynamodb").inputs;
    assert.deepEqual(
      [rule.securityGroupId, rule.prefixListId, rule.ipProtocol, rule.fromPort, rule.toPort, rule.cidrIpv4],
      ["sg-chat-task-sg", DYNAMODB_PREFIX_LIST_ID, "tcp", 443, 443, undefined],
    );
  });

  it("is what the task role may read and update, exactly: GetItem and UpdateItem on this table", () => {
    const policy = JSON.parse(run.one("aws:iam/rolePolicy:RolePolicy", "chat-roles-task-bedrock").inputs.policy);
    const dynamo = policy.Statement.filter((s: any) => s.Action.some((a: string) => a.startsWith("dynamodb:")));
    assert.deepEqual(dynamo, [
      { Sid: "UsageCounters", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"], Resource: [TABLE_ARN] },
    ]);
    assert.ok(policy.Statement.every((s: any) => !s.Resource.includes("*")), "no wildcard resource");
  });

  it("reaches the app: the table's name, the keys' ids with names and token limits, never a key value", async () => {
    const keys = JSON.stringify([{ name: "ops" }, { name: "alice", tokensPerDay: 1000, tokensPerMonth: 20000, rateLimit: 2 }]);
    const env = containerEnv(await runProgram({ keys }));
    assert.equal(env[ENV.usageTableName], "chat-usage-table");
    assert.deepEqual(JSON.parse(env[ENV.apiKeys]), {
      "chat-key-ops-id": { name: "ops" },
      "chat-key-alice-id": { name: "alice", tokensPerDay: 1000, tokensPerMonth: 20000 },
    });
    assert.ok(!env[ENV.apiKeys].includes("generated-api-key-value"));
    assert.deepEqual(JSON.parse(containerEnv(await runProgram({ apiKeyRequired: "false" }))[ENV.apiKeys]), {});
  });

  it("passes a key's models patterns to the app; refuses a bad pattern and models on an open API at preview", async () => {
    const keys = JSON.stringify([{ name: "ops" }, { name: "intern", models: ["*haiku*", "amazon.titan-embed-*"], usdPerDay: 5 }]);
    assert.deepEqual(JSON.parse(containerEnv(await runProgram({ keys }))[ENV.apiKeys])["chat-key-intern-id"], {
      name: "intern", models: ["*haiku*", "amazon.titan-embed-*"], usdPerDay: 5,
    });
    const bad = await programError({ keys: JSON.stringify([{ name: "ops", models: ["claude haiku"] }]) });
    assert.match(bad.message, /keys\[0\]\.models\[0\]: must be a model ID pattern/);
    const open = await programError({ apiKeyRequired: "false", keys: JSON.stringify([{ name: "ops", models: ["*haiku*"] }]) });
    assert.match(open.message, /limits set in keys would never apply: keys\[0\] "ops" \(models\)/);
    const typo = await programError({ keys: JSON.stringify([{ name: "ops" }, { name: "intern", models: ["*haiku"] }]) });
    assert.match(typo.message, /:keys\[1\]\.models: key "intern" may call none of the served models \(global\.anthropic\.claude-haiku-4-5-20251001-v1:0\): every request/);
  });

  it("passes budgetReadMaxAgeMs to the tasks: 500 by default, the stack's value when set (0: exact checks)", async () => {
    assert.equal(containerEnv(run)[ENV.budgetReadMaxAgeMs], "500");
    assert.equal(containerEnv(await runProgram({ budgetReadMaxAgeMs: "0" }))[ENV.budgetReadMaxAgeMs], "0");
  });

  it("is set up before the tasks start (endpoint and egress rule)", () => {
    const service = run.one("awsx:ecs:FargateService", "chat-service");
    assert.ok(service);
    assert.equal(containerEnv(run)[ENV.usageStoreFailurePolicy], "serve");
  });
});

describe("the caller's identity", () => {
  it("reaches the app from every integration: the validated key's id in x-api-key-id, overwriting a client's", async () => {
    const run = await runProgram();
    // Every integration that reaches the app (a turned-off route's 404 reaches nothing).
    const integrations = run.ofType("aws:apigateway/integration:Integration").filter((i) => i.inputs.type !== "MOCK");
    assert.ok(integrations.length >= 2);
    for (const integration of integrations) {
      assert.equal(
        integration.inputs.requestParameters[`integration.request.header.${GATEWAY_API_KEY_ID_HEADER}`],
        "context.identity.apiKeyId",
        integration.name,
      );
    }
  });
});

describe("API keys from the keys list", () => {
  it("creates one key and one usage plan per configured key, with its own limits or the stack's", async () => {
    const keys = JSON.stringify([{ name: "ops" }, { name: "alice", rateLimit: 2, burstLimit: 4, dailyQuota: 50, tokensPerDay: 1000 }]);
    const run = await runProgram({ keys });
    assert.deepEqual(run.ofType(API_KEY).map((k) => k.name).sort(), ["chat-key-alice", "chat-key-ops"]);
    const plan = (key: string) => run.one(PLAN, `chat-plans-${key}`).inputs;
    assert.deepEqual([plan("ops").throttleSettings, plan("ops").quotaSettings], [
      { rateLimit: 10, burstLimit: 20 }, { limit: 1000, period: "DAY" },
    ]);
    assert.deepEqual([plan("alice").throttleSettings, plan("alice").quotaSettings], [
      { rateLimit: 2, burstLimit: 4 }, { limit: 50, period: "DAY" },
    ]);
    for (const name of ["ops", "alice"]) {
      assert.deepEqual(plan(name).apiStages, [{ apiId: "chat-api-id", stage: "v1" }]);
      assert.deepEqual(run.one(PLAN_KEY, `chat-plans-${name}-key`).inputs, {
        keyId: `chat-key-${name}-id`, keyType: "API_KEY", usagePlanId: `chat-plans-${name}-id`,
      });
    }
  });

  it("lets the first key take over the earlier version's single key and plan (aliases), keeping the key's value", async () => {
    await runProgram();
    const legacy = legacyKeyAliases("chat");
    const parent = await new Promise((resolve) => pulumi.output(legacy.key[0].parent as pulumi.Output<string>).apply(resolve));
    assert.equal(parent, "urn:pulumi:dev::bedrock-stream-api::bedrock-stream:api:StreamingApi$bedrock-stream:api:ApiKeyAccess::chat-access");
    assert.deepEqual([legacy.key[0].name, legacy.plan[0].name, legacy.planKey[0].name],
      ["chat-access-key", "chat-access-usage-plan", "chat-access-usage-plan-key"]);
  });

  it("refuses duplicate names, bad names, zero limits and a burst below the key's rate, naming the key path", async () => {
    const cases: Array<[unknown, RegExp]> = [
      [[{ name: "a" }, { name: "a" }], /keys = .*: key names must be unique/],
      // The app meters keyless requests as "anonymous" and refuses a key of that name at start (API_KEYS).
      [[{ name: "anonymous" }], /keys = .*: key names must be unique and not "anonymous"/],
      [[{ name: "has space" }], /keys\[0\]\.name: must be 1-64 letters/],
      [[{ name: "a", tokensPerDay: 0 }], /keys\[0\]\.tokensPerDay/],
      [[{ name: "a", rateLimit: 50 }], /keys\[0\]\.burstLimit: must be at least the key's rate \(50\)/],
      [[], /keys = \[\]: must name at least one key/],
    ];
    for (const [keys, message] of cases) {
      const err = await programError({ keys: JSON.stringify(keys) });
      assert.match(err.message, message);
    }
  });
});

describe("monitoring", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram({ alarmEmail: "ops@example.com", alarmFiveXxRatePercent: "3", alarmTtftP90Ms: "2500", maxCapacity: "8" });
  });
  const alarm = (r: ProgramRun, suffix: string) => r.one(ALARM, `chat-monitoring-${suffix}`).inputs;
  const TOPIC = "arn:aws:sns:us-east-1:123456789012:chat-monitoring-alarms";

  it("sends every alarm to one encrypted SNS topic, with the configured email subscribed", async () => {
    // Not the AWS managed aws/sns key: CloudWatch alarms cannot publish to a topic encrypted with it.
    const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    assert.equal(run.one("aws:sns/topic:Topic", "chat-monitoring-alarms").inputs.kmsMasterKeyId, KEY_ARN);
    const key = run.one("aws:kms/key:Key", "chat-monitoring-alarms-key").inputs;
    assert.equal(key.enableKeyRotation, true);
    assert.deepEqual(JSON.parse(key.policy).Statement, [
      {
        Sid: "AccountAdministersTheKey", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" },
        Action: "kms:*", Resource: "*",
      },
      {
        Sid: "CloudWatchAlarmsPublishToTheTopic", Effect: "Allow", Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"], Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    assert.deepEqual(run.one("aws:sns/topicSubscription:TopicSubscription", "chat-monitoring-alarm-email").inputs, {
      topic: TOPIC, protocol: "email", endpoint: "ops@example.com",
    });
    // The service's alarms, and one runaway-spend alarm for the dev stack's one key (monitoring-spend.test.ts).
    assert.equal(run.ofType(ALARM).length, Object.keys(ALARMS).length - 1 + 1);
    for (const a of run.ofType(ALARM)) {
      assert.deepEqual([a.inputs.alarmActions, a.inputs.okActions], [[TOPIC], [TOPIC]], a.name);
    }
    const plain = await runProgram();
    assert.equal(plain.ofType("aws:sns/topicSubscription:TopicSubscription").length, 0, "no email by default");
  });

  it("alarms on any upstream misconfiguration", () => {
    const a = alarm(run, ALARMS.upstreamMisconfigured);
    assert.deepEqual([a.namespace, a.metricName, a.dimensions, a.statistic, a.threshold, a.comparisonOperator], [
      NAMESPACE, "Errors", { ErrorCode: "upstream_misconfigured" }, "Sum", 0, "GreaterThanThreshold",
    ]);
  });

  it("alarms on the API's 5xx rate above the configured percentage", () => {
    const a = alarm(run, ALARMS.fiveXxRate);
    assert.deepEqual([a.namespace, a.metricName, a.dimensions, a.statistic, a.threshold], [
      "AWS/ApiGateway", "5XXError", { ApiName: "chat-api", Stage: "v1" }, "Average", 0.03,
    ]);
  });

  it("alarms on p90 time to first token above the configured milliseconds", () => {
    const a = alarm(run, ALARMS.ttftP90);
    assert.deepEqual([a.namespace, a.metricName, a.extendedStatistic, a.threshold, a.evaluationPeriods], [
      NAMESPACE, "TimeToFirstToken", "p90", 2500, 2,
    ]);
  });

  it("alarms when the running tasks sit at the autoscaling maximum", () => {
    const a = alarm(run, ALARMS.tasksAtMaximum);
    assert.deepEqual([a.namespace, a.metricName, a.threshold, a.comparisonOperator], [
      "ECS/ContainerInsights", "RunningTaskCount", 8, "GreaterThanOrEqualToThreshold",
    ]);
    assert.equal(a.dimensions.ServiceName, "chat-service-svc");
  });

  it("alarms on any usage-store failure", () => {
    const a = alarm(run, ALARMS.usageStoreFailures);
    assert.deepEqual([a.namespace, a.metricName, a.statistic, a.threshold], [NAMESPACE, "UsageStoreFailures", "Sum", 0]);
  });

  it("creates a dashboard with the edge, the service's health and its own metrics", () => {
    const body = JSON.parse(run.one("aws:cloudwatch/dashboard:Dashboard", "chat-monitoring-dashboard").inputs.dashboardBody);
    const text = JSON.stringify(body);
    for (const expected of [
      "5XXError", "4XXError", "Latency", "HealthyHostCount", "HTTPCode_Target_5XX_Count", "CPUUtilization",
      "MemoryUtilization", "RunningTaskCount", "TimeToFirstToken", "OutputTokens", "OpenStreams", "BudgetRefusals",
      "UsageStoreFailures", "ErrorCode",
    ]) {
      assert.ok(text.includes(expected), expected);
    }
    assert.ok(body.widgets.every((w: any) => w.properties.region === "us-east-1"));
  });

  it("gives each stack its own metrics namespace, so no alarm reads another stack's metrics (issue 20, item 5)", async () => {
    const prod = await runProgram({}, { stack: "prod" });
    const namespaceOf = (r: ProgramRun) => containerEnv(r)[ENV.metricsNamespace];
    assert.equal(namespaceOf(run), NAMESPACE);
    assert.equal(namespaceOf(prod), "BedrockStreamApi/bedrock-stream-api-prod");
    for (const [r, stack] of [[run, "dev"], [prod, "prod"]] as const) {
      for (const { name, inputs: a } of r.ofType(ALARM)) {
        // The service's own metrics: this stack's namespace. AWS's: dimensions naming this stack's own resources.
        // A metric-math alarm (runaway spend) names its metric's namespace in its queries.
        const namespace: string = a.namespace ?? a.metricQueries.find((q: any) => q.metric).metric.namespace;
        if (namespace.startsWith("AWS/") || namespace.startsWith("ECS/")) {
          const own = [a.dimensions?.ApiName, a.dimensions?.ClusterName].filter(Boolean);
          assert.equal(own.length, 1, `${stack} ${name}: dimensions name this stack's API or cluster`);
        } else {
          assert.equal(namespace, namespaceOf(r), `${stack} ${name}`);
        }
      }
      assert.equal(r.one("aws:ecs/cluster:Cluster", "chat-cluster").inputs.name, `bedrock-stream-api-${stack}`);
      const dashboard = r.one("aws:cloudwatch/dashboard:Dashboard", "chat-monitoring-dashboard").inputs.dashboardBody;
      assert.ok(dashboard.includes(`"${namespaceOf(r)}"`), `${stack}: the dashboard reads its own namespace`);
    }
  });

  it("uses the configured metrics namespace, which the tasks also get", async () => {
    const custom = await runProgram({ metricsNamespace: "Chat/Prod" });
    assert.equal(alarm(custom, ALARMS.ttftP90).namespace, "Chat/Prod");
    assert.equal(containerEnv(custom)[ENV.metricsNamespace], "Chat/Prod");
  });
});
