import * as assert from "node:assert/strict";
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import {
  ANTHROPIC_MODEL_PATH, ANTHROPIC_MODELS_PATH, CHAT_COMPLETIONS_PATH, COUNT_TOKENS_PATH, EMBEDDINGS_PATH, MESSAGES_PATH, MODEL_PATH, MODELS_PATH, RESPONSES_PATH, STREAM_PATH,
} from "../../app/src/runtime-contract";
import { AUTHORIZER_CACHE_SECONDS, bundleAuthorizer } from "../authorizer";
import { BEARER_ROUTES_ENV, EITHER_HEADER_ROUTES_ENV } from "../authorizer-handler";
import { ACCOUNT_ID, REGION, runProgram } from "./program-under-mocks";

type Handler = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

const API = `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:abc123`;

/** The bundle the stack deploys, loaded as Lambda loads it, with the environment the stack gives it. */
function deployedHandler(bearerRoutes: string, eitherHeaderRoutes = ""): Handler {
  const module = { exports: {} as { handler: Handler } };
  const env = { [BEARER_ROUTES_ENV]: bearerRoutes, [EITHER_HEADER_ROUTES_ENV]: eitherHeaderRoutes };
  new Function("module", "exports", "require", "process", bundleAuthorizer())(module, module.exports, require, { env });
  return module.exports.handler;
}

function event(resource: string, headers: Record<string, string>, method = "POST"): APIGatewayRequestAuthorizerEvent {
  return {
    type: "REQUEST",
    methodArn: `${API}/v1/${method}${resource}`,
    resource,
    path: `/v1${resource}`,
    httpMethod: method,
    headers,
    multiValueHeaders: null,
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayRequestAuthorizerEvent["requestContext"],
  };
}

describe("edge authorizer", () => {
  describe("its function (the deployed bundle, invoked directly)", () => {
    const handler = deployedHandler(`${CHAT_COMPLETIONS_PATH},${MODELS_PATH}`, `${MESSAGES_PATH},${COUNT_TOKENS_PATH}`);

    it("OpenAI routes: passes the Bearer token on as the usage-plan key, allowing every method of the stage", async () => {
      const result = await handler(event(CHAT_COMPLETIONS_PATH, { Authorization: "Bearer key-abc123" }));
      assert.deepEqual(result, {
        principalId: "api-key",
        policyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: `${API}/v1/*/*` }] },
        usageIdentifierKey: "key-abc123",
      });
      assert.equal((await handler(event(MODELS_PATH, { authorization: "bearer key-xyz" }, "GET"))).usageIdentifierKey, "key-xyz");
    });

    it("other routes: the x-api-key header, never the Authorization header (answers are cached by the route's header)", async () => {
      const result = await handler(event(STREAM_PATH, { "X-Api-Key": " key-1 ", Authorization: "Bearer key-2" }));
      assert.equal(result.usageIdentifierKey, "key-1");
      const bearerOnly = handler(event(STREAM_PATH, { Authorization: "Bearer key-2" }));
      await assert.rejects(bearerOnly, /^Error: Unauthorized$/);
      const apiKeyOnOpenAi = handler(event(CHAT_COMPLETIONS_PATH, { "x-api-key": "key-1" }));
      await assert.rejects(apiKeyOnOpenAi, /^Error: Unauthorized$/);
    });

    it("Anthropic routes: x-api-key, or without it the Bearer token (the SDKs' authToken, ANTHROPIC_AUTH_TOKEN)", async () => {
      for (const path of [MESSAGES_PATH, COUNT_TOKENS_PATH]) {
        assert.equal((await handler(event(path, { "x-api-key": "key-1" }))).usageIdentifierKey, "key-1", path);
        assert.equal((await handler(event(path, { Authorization: "Bearer key-2" }))).usageIdentifierKey, "key-2", path);
        assert.equal((await handler(event(path, { "x-api-key": "key-1", Authorization: "Bearer key-2" }))).usageIdentifierKey, "key-1", path);
        for (const headers of [{}, { "x-api-key": " " }, { Authorization: "Basic dXNlcjpwdw==" }] as Array<Record<string, string>>) {
          await assert.rejects(handler(event(path, headers)), /^Error: Unauthorized$/, `${path} ${JSON.stringify(headers)}`);
        }
      }
    });

    it("refuses a missing, empty, non-Bearer or oversized key with API Gateway's 401 (Unauthorized)", async () => {
      for (const headers of [{} as Record<string, string>, { Authorization: "" }, { Authorization: "Bearer " }, { Authorization: "Basic dXNlcjpwdw==" }, { Authorization: `Bearer ${"k".repeat(129)}` }]) {
        await assert.rejects(handler(event(CHAT_COMPLETIONS_PATH, headers)), /^Error: Unauthorized$/, JSON.stringify(headers));
      }
      await assert.rejects(handler({ ...event(STREAM_PATH, {}), headers: null }), /^Error: Unauthorized$/);
    });
  });

  describe("in the stack", () => {
    it("is one bundled Node function with its own log group (stack retention) and a role that may only write there", async () => {
      const run = await runProgram({ logRetentionDays: "14" });
      const fn = run.one("aws:lambda/function:Function", "chat-authorizer-function").inputs;
      assert.equal(fn.runtime, "nodejs22.x");
      assert.deepEqual(fn.architectures, ["arm64"]);
      assert.equal(fn.handler, "index.handler");
      const bearer = [CHAT_COMPLETIONS_PATH, MODELS_PATH, MODEL_PATH, EMBEDDINGS_PATH, RESPONSES_PATH].join(",");
      assert.deepEqual(fn.environment, {
        variables: { [BEARER_ROUTES_ENV]: bearer, [EITHER_HEADER_ROUTES_ENV]: [MESSAGES_PATH, COUNT_TOKENS_PATH, ANTHROPIC_MODELS_PATH, ANTHROPIC_MODEL_PATH].join(",") },
      }, "every OpenAI route, and the Anthropic routes, by their resource paths");
      const logs = run.one("aws:cloudwatch/logGroup:LogGroup", "chat-authorizer-logs");
      assert.equal(logs.inputs.retentionInDays, 14);
      assert.equal(fn.loggingConfig.logGroup, logs.name);
      const role = run.one("aws:iam/role:Role", "chat-authorizer-role");
      assert.equal(fn.role, `arn:aws:iam::${ACCOUNT_ID}:role/${role.name}`);
      assert.equal(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service, "lambda.amazonaws.com");
      const policy = JSON.parse(run.one("aws:iam/rolePolicy:RolePolicy", "chat-authorizer-write-logs").inputs.policy);
      assert.deepEqual(policy.Statement, [{
        Sid: "WriteOwnLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [`arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:${logs.name}:log-stream:*`],
      }]);
      assert.equal(run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.includes("authorizer")).length, 0);
    });

    it("sits behind two cached REQUEST authorizers, one per header, and an uncached one taking either, each allowed to invoke it", async () => {
      const run = await runProgram();
      const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:chat-authorizer-function`;
      const sources = { bearer: "method.request.header.Authorization", apiKey: "method.request.header.x-api-key", either: "context.requestId" };
      for (const [header, source] of Object.entries(sources)) {
        const authorizer = run.one("aws:apigateway/authorizer:Authorizer", `chat-authorizer-${header}`);
        assert.deepEqual(authorizer.inputs, {
          restApi: "chat-api-id",
          name: `chat-authorizer-${header}`,
          type: "REQUEST",
          authorizerUri: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${fnArn}/invocations`,
          // API Gateway refuses a call missing any identity source before the function runs, so the Anthropic
          // routes' authorizer names one every request has, and caches nothing (the function reads either header).
          identitySource: source,
          authorizerResultTtlInSeconds: header === "either" ? 0 : AUTHORIZER_CACHE_SECONDS,
        });
        const permission = run.one("aws:lambda/permission:Permission", `chat-authorizer-${header}-invoke`).inputs;
        assert.deepEqual(permission, {
          action: "lambda:InvokeFunction",
          function: "chat-authorizer-function",
          principal: "apigateway.amazonaws.com",
          sourceArn: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:chat-api-id/authorizers/${authorizer.id}`,
        });
      }
    });
  });
});
