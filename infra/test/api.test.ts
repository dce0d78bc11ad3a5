import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import {
  ANTHROPIC_MODEL_PATH, ANTHROPIC_MODELS_PATH, CHAT_COMPLETIONS_PATH, COUNT_TOKENS_PATH, EMBEDDINGS_PATH, ENV, GATEWAY_API_KEY_ID_HEADER, GATEWAY_REQUEST_ID_HEADER, HEALTH_PATH, MESSAGES_PATH, MODEL_PATH, MODELS_PATH,
  RESPONSES_PATH, STREAM_PATH,
  USAGE_PATH,
} from "../../app/src/runtime-contract";
import { RouteDefinition, ROUTES, routeFingerprint } from "../api-routes";
import { REDACTED_KEY_VALUE } from "../route-integrations";
import { PROBE_METHODS, PROBE_PATHS } from "../probe-routes";
import { ProgramRun, runProgram } from "./program-under-mocks";
import { METHOD, INTEGRATION, DEPLOYMENT } from "./resource-types";

const ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/chat-alb/50dc6c495c0c9188";
const ALB_DNS = "internal-chat-alb-1234567890.us-east-1.elb.amazonaws.com";
const ACCESS_TYPES = ["aws:apigateway/apiKey:ApiKey", "aws:apigateway/usagePlan:UsagePlan", "aws:apigateway/usagePlanKey:UsagePlanKey"];

/** What every proxy integration maps: ids from API Gateway's context, and a constant over each raw key header. */
const GATEWAY_HEADERS = {
  [`integration.request.header.${GATEWAY_REQUEST_ID_HEADER}`]: "context.requestId",
  [`integration.request.header.${GATEWAY_API_KEY_ID_HEADER}`]: "context.identity.apiKeyId",
  "integration.request.header.x-api-key": `'${REDACTED_KEY_VALUE}'`,
  "integration.request.header.Authorization": `'${REDACTED_KEY_VALUE}'`,
};

const trigger = (run: ProgramRun) => run.one(DEPLOYMENT, "chat-deployment").inputs.triggers.redeployment;

describe("API", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("is a Regional REST API reaching the VPC over its own VPC link", () => {
    assert.deepEqual(run.one("aws:apigateway/restApi:RestApi", "chat-api").inputs.endpointConfiguration, { types: "REGIONAL" });
    const link = run.one("aws:apigatewayv2/vpcLink:VpcLink", "chat-vpc-link").inputs;
    assert.deepEqual(link.securityGroupIds, ["sg-chat-vpc-link-sg"]);
  });

  it("has every route, one resource per path segment (nested routes share their parents)", () => {
    const resources = run.ofType("aws:apigateway/resource:Resource").map((r) => [r.name, r.inputs.parentId, r.inputs.pathPart]);
    assert.deepEqual(resources.sort(), [
      // Probed by clients, answered at the edge (probes.test.ts).
      ["chat-api", "root-resource-id", "api"],
      ["chat-api-hello", "chat-api-id", "hello"],
      ["chat-chat", "root-resource-id", "chat"],
      ["chat-chat-completions", "chat-chat-id", "completions"],
      ["chat-embeddings", "root-resource-id", "embeddings"],
      ["chat-health", "root-resource-id", "health"],
      ["chat-models", "root-resource-id", "models"],
      ["chat-models-id", "chat-models-id", "{id}"],
      // Kept while the playground is off, answering 404 (playground.test.ts).
      ["chat-playground", "root-resource-id", "playground"],
      ["chat-responses", "root-resource-id", "responses"],
      ["chat-stream", "root-resource-id", "stream"],
      ["chat-usage", "root-resource-id", "usage"],
      ["chat-v1", "root-resource-id", "v1"],
      ["chat-v1-api", "chat-v1-id", "api"],
      ["chat-v1-api-hello", "chat-v1-api-id", "hello"],
      ["chat-v1-messages", "chat-v1-id", "messages"],
      ["chat-v1-messages-count_tokens", "chat-v1-messages-id", "count_tokens"],
      ["chat-v1-models", "chat-v1-id", "models"],
      ["chat-v1-models-id", "chat-v1-models-id", "{id}"],
    ]);
  });

  it("requires the API key on every method by default: Bearer on the OpenAI routes, either on the Anthropic ones, x-api-key on the others", () => {
    // The probes' keyless MOCKs: probes.test.ts.
    const methods = run.ofType(METHOD).filter((m) => !/-(get|head)-method$/.test(m.name)).map((m) => m.inputs);
    const bearer = "chat-authorizer-bearer-id";
    const apiKey = "chat-authorizer-apiKey-id";
    const either = "chat-authorizer-either-id";
    assert.deepEqual(methods.map((m) => [m.resourceId, m.httpMethod, m.authorization, m.authorizerId, m.apiKeyRequired]).sort(), [
      ["chat-chat-completions-id", "POST", "CUSTOM", bearer, true],
      ["chat-embeddings-id", "POST", "CUSTOM", bearer, true],
      ["chat-health-id", "GET", "CUSTOM", apiKey, true],
      ["chat-models-id", "GET", "CUSTOM", bearer, true],
      ["chat-models-id-id", "GET", "CUSTOM", bearer, true],
      ["chat-playground-id", "GET", "NONE", undefined, false],
      ["chat-responses-id", "POST", "CUSTOM", bearer, true],
      ["chat-stream-id", "POST", "CUSTOM", apiKey, true],
      ["chat-usage-id", "GET", "CUSTOM", apiKey, true],
      ["chat-v1-messages-count_tokens-id", "POST", "CUSTOM", either, true],
      ["chat-v1-messages-id", "POST", "CUSTOM", either, true],
      // Anthropic's Models API: either header, like /v1/messages (not Bearer only like OpenAI's /models).
      ["chat-v1-models-id", "GET", "CUSTOM", either, true],
      ["chat-v1-models-id-id", "GET", "CUSTOM", either, true],
    ]);
    assert.equal(run.one("aws:apigateway/restApi:RestApi", "chat-api").inputs.apiKeySource, "AUTHORIZER",
      "usage plans count the key the authorizer returns, whichever header carried it");
  });

  it("streams every route the app may stream over the VPC link like /stream; the others stay buffered", () => {
    const streamedPaths = [STREAM_PATH, CHAT_COMPLETIONS_PATH, RESPONSES_PATH, MESSAGES_PATH];
    assert.deepEqual(ROUTES.filter((r) => r.responseTransferMode === "STREAM").map((r) => r.path), streamedPaths);
    for (const route of ROUTES) {
      const slug = route.path.slice(1).replace(/\//g, "-").replace(/[{}]/g, "");
      const integration = run.one(INTEGRATION, `chat-${slug}-integration`).inputs;
      // `/models/{id}`, `/v1/models/{id}`: the path parameter fills the URI's `{id}`.
      const pathParams = [MODEL_PATH, ANTHROPIC_MODEL_PATH].includes(route.path) ? { "integration.request.path.id": "method.request.path.id" } : {};
      const stream = streamedPaths.includes(route.path);
      assert.deepEqual(integration, {
        restApi: "chat-api-id",
        resourceId: `chat-${slug}-id`,
        httpMethod: route.httpMethod,
        type: "HTTP_PROXY",
        integrationHttpMethod: route.httpMethod,
        connectionType: "VPC_LINK",
        connectionId: "chat-vpc-link-id",
        integrationTarget: ALB_ARN,
        uri: `http://${ALB_DNS}${route.path}`,
        responseTransferMode: stream ? "STREAM" : "BUFFERED",
        timeoutMilliseconds: stream ? 900_000 : 29_000,
        requestParameters: { ...GATEWAY_HEADERS, ...pathParams },
      }, route.path);
    }
    assert.deepEqual(ROUTES.map((r) => `${r.httpMethod} ${r.path}`), [
      `GET ${HEALTH_PATH}`, `POST ${STREAM_PATH}`, `POST ${CHAT_COMPLETIONS_PATH}`, `GET ${MODELS_PATH}`, `GET ${MODEL_PATH}`,
      `POST ${EMBEDDINGS_PATH}`, `POST ${RESPONSES_PATH}`, `POST ${MESSAGES_PATH}`, `POST ${COUNT_TOKENS_PATH}`,
      `GET ${ANTHROPIC_MODELS_PATH}`, `GET ${ANTHROPIC_MODEL_PATH}`, `GET ${USAGE_PATH}`,
    ]);
    const method = run.ofType(METHOD).find((m) => m.inputs.resourceId === "chat-models-id-id")!.inputs;
    assert.deepEqual(method.requestParameters, { "method.request.path.id": true }, "GET /models/{id} declares its path parameter");
    const anthropicMethod = run.ofType(METHOD).find((m) => m.inputs.resourceId === "chat-v1-models-id-id")!.inputs;
    assert.deepEqual(anthropicMethod.requestParameters, { "method.request.path.id": true }, "GET /v1/models/{id} too");
  });

  it("overwrites the raw key headers (x-api-key, Authorization) on every proxy integration, so no key value reaches the tasks", () => {
    const proxies = run.ofType(INTEGRATION).filter((i) => i.inputs.type === "HTTP_PROXY");
    assert.equal(proxies.length, ROUTES.length);
    for (const integration of proxies) {
      const params = integration.inputs.requestParameters;
      // Static values (single-quoted): the authorizers read the headers at the edge; past it they carry a constant.
      assert.equal(params["integration.request.header.x-api-key"], `'${REDACTED_KEY_VALUE}'`, integration.name);
      assert.equal(params["integration.request.header.Authorization"], `'${REDACTED_KEY_VALUE}'`, integration.name);
      assert.ok(!Object.values(params).some((value) => /request\.header\.(x-api-key|authorization)/i.test(String(value))),
        `${integration.name} maps no raw key header to another header`);
    }
  });

  it("streams POST /stream through an HTTP_PROXY integration over the VPC link to the ALB for up to 15 minutes", () => {
    assert.deepEqual(run.one(INTEGRATION, "chat-stream-integration").inputs, {
      restApi: "chat-api-id",
      resourceId: "chat-stream-id",
      httpMethod: "POST",
      type: "HTTP_PROXY",
      integrationHttpMethod: "POST",
      connectionType: "VPC_LINK",
      connectionId: "chat-vpc-link-id",
      integrationTarget: ALB_ARN,
      uri: `http://${ALB_DNS}${STREAM_PATH}`,
      responseTransferMode: "STREAM",
      timeoutMilliseconds: 900_000,
      requestParameters: GATEWAY_HEADERS,
    });
  });

  it("keeps GET /health buffered, explicitly", () => {
    const health = run.one(INTEGRATION, "chat-health-integration").inputs;
    assert.deepEqual(
      [health.type, health.httpMethod, health.integrationHttpMethod, health.connectionType, health.connectionId,
        health.integrationTarget, health.uri, health.responseTransferMode],
      ["HTTP_PROXY", "GET", "GET", "VPC_LINK", "chat-vpc-link-id", ALB_ARN, `http://${ALB_DNS}${HEALTH_PATH}`, "BUFFERED"]);
  });

  it("sends the stage name to the app as STAGE_PREFIX, since private integrations prefix it to the backend path", () => {
    const stage = run.one("aws:apigateway/stage:Stage", "chat-stage").inputs;
    const env = run.one("awsx:ecs:FargateService", "chat-service").inputs.taskDefinitionArgs.container.environment;
    assert.deepEqual(env.find((e: { name: string }) => e.name === ENV.stagePrefix), { name: ENV.stagePrefix, value: stage.stageName });
  });

  describe("without an API key (apiKeyRequired=false)", () => {
    it("opens the methods and creates no key, usage plan, plan key or authorizer", async () => {
      const open = await runProgram({ apiKeyRequired: "false" });
      const methods = open.ofType(METHOD).map((m) => m.inputs);
      assert.equal(methods.length, ROUTES.length + 1 + PROBE_PATHS.length * PROBE_METHODS.length,
        "every route, the playground's (off, answering 404) and the probes' (probes.test.ts)");
      for (const method of methods) {
        assert.deepEqual([method.authorization, method.authorizerId, method.apiKeyRequired], ["NONE", undefined, false]);
      }
      const authTypes = ["aws:apigateway/authorizer:Authorizer", "aws:lambda/function:Function", "aws:lambda/permission:Permission"];
      for (const type of [...ACCESS_TYPES, ...authTypes]) assert.equal(open.ofType(type).length, 0, type);
      for (const type of ACCESS_TYPES) assert.equal(run.ofType(type).length, 1, type);
      assert.equal(open.one("aws:apigateway/restApi:RestApi", "chat-api").inputs.apiKeySource, "HEADER");
    });
  });

  describe("deployment", () => {
    it("is re-created when a method changes, and kept when something outside the API changes", async () => {
      const open = await runProgram({ apiKeyRequired: "false" });
      const resized = await runProgram({ cpu: "512", memory: "1024" });
      assert.match(trigger(run), /^[0-9a-f]{64}$/);
      assert.notEqual(trigger(open), trigger(run));
      assert.equal(trigger(resized), trigger(run));
    });

    it("has a trigger that covers every method and integration argument of every route", async () => {
      const base = (): RouteDefinition[] => [HEALTH_PATH, STREAM_PATH].map((path) => ({
        path,
        methodArgs: { restApi: "api", resourceId: `res${path}`, httpMethod: "POST", authorization: "NONE", apiKeyRequired: true },
        integrationArgs: {
          restApi: "api", resourceId: `res${path}`, httpMethod: "POST", type: "HTTP_PROXY", connectionType: "VPC_LINK",
          connectionId: "link", integrationTarget: "alb", uri: `http://alb${path}`, responseTransferMode: "STREAM",
          timeoutMilliseconds: 900_000,
        },
        resources: [{ id: pulumi.output(`id${path}`) } as unknown as pulumi.CustomResource],
      }));
      const fingerprint = (routes: RouteDefinition[]) =>
        new Promise<string>((resolve) => routeFingerprint(routes).apply((hash) => { resolve(hash); return hash; }));
      const reference = await fingerprint(base());
      assert.equal(await fingerprint(base()), reference, "deterministic");
      const withAuthorizer = (ttl: number) => new Promise<string>((resolve) => routeFingerprint(base(), [{
        restApi: "api", type: "REQUEST", authorizerUri: "fn", identitySource: "method.request.header.Authorization",
        authorizerResultTtlInSeconds: ttl,
      }]).apply((hash) => { resolve(hash); return hash; }));
      assert.notEqual(await withAuthorizer(300), reference, "an authorizer");
      assert.notEqual(await withAuthorizer(60), await withAuthorizer(300), "an authorizer's settings");
      for (const [index, part] of [[0, "methodArgs"], [1, "integrationArgs"]] as const) {
        const fields = Object.keys(base()[index][part]);
        for (const field of fields) {
          const routes = base();
          const args = routes[index][part] as unknown as Record<string, unknown>;
          args[field] = `${String(args[field])}-changed`;
          assert.notEqual(await fingerprint(routes), reference, `${part}.${field}`);
        }
      }
      const recreated = base();
      recreated[1] = { ...recreated[1], resources: [{ id: pulumi.output("new-id") } as unknown as pulumi.CustomResource] };
      assert.notEqual(await fingerprint(recreated), reference, "a re-created method or integration");
    });

    it("is the one the stage serves", () => {
      const stage = run.one("aws:apigateway/stage:Stage", "chat-stage").inputs;
      assert.equal(stage.deployment, run.one(DEPLOYMENT, "chat-deployment").id);
      assert.equal(stage.restApi, "chat-api-id");
    });
  });

  describe("stage", () => {
    it("writes JSON access logs to a log group with retention, via the region's CloudWatch role", () => {
      const stage = run.one("aws:apigateway/stage:Stage", "chat-stage").inputs;
      const accessLogs = run.one("aws:cloudwatch/logGroup:LogGroup", "chat-access-logs");
      assert.equal(stage.stageName, "v1");
      assert.equal(stage.accessLogSettings.destinationArn, `arn:aws:logs:us-east-1:123456789012:log-group:${accessLogs.name}`);
      const format = JSON.parse(stage.accessLogSettings.format);
      for (const field of ["requestId", "status", "httpMethod", "resourcePath", "integrationLatencyMs", "apiKeyId"]) {
        assert.match(format[field], /^\$context\./, field);
      }
      assert.equal(accessLogs.inputs.retentionInDays, 30);
      const executionLogs = run.one("aws:cloudwatch/logGroup:LogGroup", "chat-execution-logs").inputs;
      assert.equal(executionLogs.name, "API-Gateway-Execution-Logs_chat-api-id/v1");
    });

    it("sets the account's CloudWatch role as a resource, unless told to leave it alone", async () => {
      const role = run.one("aws:iam/role:Role", "chat-cloudwatch-role");
      assert.equal(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service, "apigateway.amazonaws.com");
      assert.equal(run.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "chat-cloudwatch-push-logs").inputs.policyArn,
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs");
      const account = run.one("aws:apigateway/account:Account", "chat-cloudwatch-account");
      assert.equal(account.inputs.cloudwatchRoleArn, "arn:aws:iam::123456789012:role/chat-cloudwatch-role");
      // Kept on destroy (issue 20, item 3): deleting the setting resets the region's role for every other API, and
      // deleting the role would leave the setting naming a role that no longer exists.
      const keptTypes = [["aws:apigateway/account:Account", "chat-cloudwatch-account"], ["aws:iam/role:Role", "chat-cloudwatch-role"],
        ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "chat-cloudwatch-push-logs"]];
      for (const [type, name] of keptTypes) assert.equal(run.one(type, name).options.retainOnDelete, true, name);
      // Nothing else is kept: destroy removes the rest of the stack.
      const kept = run.resources.filter((r) => r.options.retainOnDelete).map((r) => r.name).sort();
      assert.deepEqual(kept, ["chat-cloudwatch-account", "chat-cloudwatch-push-logs", "chat-cloudwatch-role"]);
      const unmanaged = await runProgram({ manageApiGatewayAccount: "false" });
      assert.equal(unmanaged.ofType("aws:apigateway/account:Account").length, 0);
    });

    it("enables metrics and throttles every method with the configured rate and burst", async () => {
      const custom = await runProgram({ throttleRateLimit: "25", throttleBurstLimit: "50", dailyQuota: "5000" });
      const settings = custom.one("aws:apigateway/methodSettings:MethodSettings", "chat-method-settings").inputs;
      assert.equal(settings.methodPath, "*/*");
      assert.equal(settings.stageName, "v1");
      assert.deepEqual(settings.settings, {
        metricsEnabled: true, loggingLevel: "ERROR", dataTraceEnabled: false, throttlingRateLimit: 25, throttlingBurstLimit: 50,
      });
      const plan = custom.one("aws:apigateway/usagePlan:UsagePlan", "chat-plans-default").inputs;
      assert.deepEqual(plan.throttleSettings, { rateLimit: 25, burstLimit: 50 });
      assert.deepEqual(plan.quotaSettings, { limit: 5000, period: "DAY" });
    });
  });

  it("binds the API key to the stage through a usage plan with throttle and daily quota", () => {
    const plan = run.one("aws:apigateway/usagePlan:UsagePlan", "chat-plans-default");
    assert.deepEqual(plan.inputs.apiStages, [{ apiId: "chat-api-id", stage: "v1" }]);
    assert.deepEqual(plan.inputs.throttleSettings, { rateLimit: 10, burstLimit: 20 });
    assert.deepEqual(plan.inputs.quotaSettings, { limit: 1000, period: "DAY" });
    const planKey = run.one("aws:apigateway/usagePlanKey:UsagePlanKey", "chat-plans-default-key").inputs;
    const key = run.one("aws:apigateway/apiKey:ApiKey", "chat-key-default");
    assert.deepEqual(planKey, { keyId: key.id, keyType: "API_KEY", usagePlanId: plan.id });
    assert.equal(key.inputs.enabled, true);
  });
});
