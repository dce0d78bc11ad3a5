import * as assert from "node:assert/strict";
import { ENV } from "../../app/src/runtime-contract";
import { parseModelId } from "../iam";
import { ACCOUNT_ID, ProgramRun, REGION, runProgram } from "./program-under-mocks";
import { ROLE_POLICY } from "./resource-types";

// Streamed (ConverseStream, InvokeModelWithResponseStream) and whole (InvokeModel: Claude's native path, not streamed).
const ACTION = ["bedrock:InvokeModelWithResponseStream", "bedrock:InvokeModel"];

function policyOf(run: ProgramRun, suffix: string): { Statement: any[] } {
  return JSON.parse(run.one(ROLE_POLICY, suffix).inputs.policy);
}

function containerEnv(run: ProgramRun): Record<string, string> {
  const container = run.one("awsx:ecs:FargateService", "chat-service").inputs.taskDefinitionArgs.container;
  return Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
}

/** The task policy's Bedrock statements (usage.test.ts covers its usage-table statement). */
const bedrockStatementsOf = (run: ProgramRun) =>
  policyOf(run, "chat-roles-task-bedrock").Statement.filter((statement: { Sid: string }) => statement.Sid !== "UsageCounters");

describe("IAM", () => {
  describe("task role: Bedrock access for exactly the configured model", () => {
    const globalProfile = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
    const usProfile = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    const plainModel = "anthropic.claude-3-haiku-20240307-v1:0";

    it(`global profile (${globalProfile}): profile, source-region model and region-less model`, async () => {
      const run = await runProgram({ modelId: globalProfile });
      const profileArn = `arn:aws:bedrock:${REGION}:${ACCOUNT_ID}:inference-profile/${globalProfile}`;
      const model = "anthropic.claude-haiku-4-5-20251001-v1:0";
      assert.deepEqual(bedrockStatementsOf(run), [
        { Sid: "InvokeInferenceProfile", Effect: "Allow", Action: ACTION, Resource: [profileArn] },
        {
          Sid: "InvokeSourceRegionModelViaProfile", Effect: "Allow", Action: ACTION,
          Resource: [`arn:aws:bedrock:${REGION}::foundation-model/${model}`],
          Condition: { StringEquals: { "bedrock:InferenceProfileArn": profileArn } },
        },
        {
          Sid: "InvokeGlobalModelViaProfile", Effect: "Allow", Action: ACTION,
          Resource: [`arn:aws:bedrock:::foundation-model/${model}`],
          Condition: { StringEquals: { "aws:RequestedRegion": "unspecified", "bedrock:InferenceProfileArn": profileArn } },
        },
      ]);
      assert.equal(containerEnv(run)[ENV.modelId], globalProfile);
    });

    it(`geographic profile (${usProfile}): profile, and the model in any region only through that profile`, async () => {
      const run = await runProgram({ modelId: usProfile });
      const profileArn = `arn:aws:bedrock:${REGION}:${ACCOUNT_ID}:inference-profile/${usProfile}`;
      assert.deepEqual(bedrockStatementsOf(run), [
        { Sid: "InvokeInferenceProfile", Effect: "Allow", Action: ACTION, Resource: [profileArn] },
        {
          Sid: "InvokeDestinationRegionModelsViaProfile", Effect: "Allow", Action: ACTION,
          Resource: ["arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"],
          Condition: { StringEquals: { "bedrock:InferenceProfileArn": profileArn } },
        },
      ]);
      assert.equal(containerEnv(run)[ENV.modelId], usProfile);
    });

    it(`plain model ID (${plainModel}): that foundation model in the stack's region, nothing else`, async () => {
      const run = await runProgram({ modelId: plainModel });
      assert.deepEqual(bedrockStatementsOf(run), [
        {
          Sid: "InvokeFoundationModel", Effect: "Allow", Action: ACTION,
          Resource: [`arn:aws:bedrock:${REGION}::foundation-model/${plainModel}`],
        },
      ]);
      assert.equal(containerEnv(run)[ENV.modelId], plainModel);
    });

    it("a list of allowed models: each model's statements as for one, the further ones numbered", async () => {
      const run = await runProgram({ modelId: globalProfile, allowedModelIds: JSON.stringify([plainModel, usProfile, plainModel]) });
      const statements = bedrockStatementsOf(run);
      const alone = async (modelId: string) => bedrockStatementsOf(await runProgram({ modelId }));
      const [forGlobal, forPlain, forUs] = [await alone(globalProfile), await alone(plainModel), await alone(usProfile)];
      const numbered = (list: any[], index: number) => list.map((s) => ({ ...s, Sid: `${s.Sid}Allowed${index}` }));
      assert.deepEqual(statements, [...forGlobal, ...numbered(forPlain, 1), ...numbered(forUs, 2)], "repeats are dropped");
      assert.equal(new Set(statements.map((s: any) => s.Sid)).size, statements.length, "Sids are unique");
      assert.ok(statements.every((s: any) => JSON.stringify(s.Action) === JSON.stringify(ACTION)));
    });

    it("embedding models: InvokeModel (not streaming) on exactly those, each shaped by its kind of ID; nothing without them", async () => {
      const titan = "amazon.titan-embed-text-v2:0";
      const cohereProfile = "us.cohere.embed-v4:0";
      const run = await runProgram({ modelId: plainModel, embeddingModelIds: JSON.stringify([titan, cohereProfile, titan]) });
      const statements = bedrockStatementsOf(run);
      const embedding = statements.filter((s: any) => s.Sid.startsWith("Embed"));
      const profileArn = `arn:aws:bedrock:${REGION}:${ACCOUNT_ID}:inference-profile/${cohereProfile}`;
      assert.deepEqual(embedding, [
        { Sid: "EmbedInvokeFoundationModel0", Effect: "Allow", Action: ["bedrock:InvokeModel"], Resource: [`arn:aws:bedrock:${REGION}::foundation-model/${titan}`] },
        { Sid: "EmbedInvokeInferenceProfile1", Effect: "Allow", Action: ["bedrock:InvokeModel"], Resource: [profileArn] },
        {
          Sid: "EmbedInvokeDestinationRegionModelsViaProfile1", Effect: "Allow", Action: ["bedrock:InvokeModel"],
          Resource: ["arn:aws:bedrock:*::foundation-model/cohere.embed-v4:0"],
          Condition: { StringEquals: { "bedrock:InferenceProfileArn": profileArn } },
        },
      ]);
      assert.deepEqual(statements.filter((s: any) => !s.Sid.startsWith("Embed")), await bedrockStatementsOf(await runProgram({ modelId: plainModel })),
        "the chat models' grants are unchanged");
      assert.ok(statements.filter((s: any) => !s.Sid.startsWith("Embed")).every((s: any) => JSON.stringify(s.Action) === JSON.stringify(ACTION)),
        "chat models keep their own actions");
      assert.equal(containerEnv(run)[ENV.embeddingModelIds], JSON.stringify([titan, cohereProfile, titan]));
      const counted = policyOf(run, "chat-roles-task-count-tokens").Statement[0].Resource;
      assert.deepEqual(counted, [`arn:aws:bedrock:${REGION}::foundation-model/${plainModel}`], "embedding models count no tokens");
      const without = bedrockStatementsOf(await runProgram({ modelId: plainModel }));
      assert.ok(without.every((s: any) => !s.Sid.startsWith("Embed")), "no embedding grants without embedding models");
    });

    it("recognises the geographic profile prefixes and leaves provider prefixes alone", () => {
      for (const prefix of ["us", "eu", "apac", "jp", "au", "us-gov"]) {
        assert.deepEqual(parseModelId(`${prefix}.anthropic.claude-x-v1:0`),
          { kind: "geographic-profile", foundationModelId: "anthropic.claude-x-v1:0" });
      }
      assert.deepEqual(parseModelId("amazon.nova-pro-v1:0"), { kind: "foundation-model", foundationModelId: "amazon.nova-pro-v1:0" });
      assert.deepEqual(parseModelId("global.amazon.nova-2-lite-v1:0"), { kind: "global-profile", foundationModelId: "amazon.nova-2-lite-v1:0" });
    });

    for (const modelId of [globalProfile, usProfile, plainModel]) {
      it(`may count tokens (bedrock:CountTokens) on the foundation model behind ${modelId}, in the stack's region only`, async () => {
        const run = await runProgram({ modelId });
        const foundationModel = modelId.replace(/^(global|us)\./, "");
        assert.deepEqual(policyOf(run, "chat-roles-task-count-tokens").Statement, [{
          Sid: "CountTokens", Effect: "Allow", Action: ["bedrock:CountTokens"],
          Resource: [`arn:aws:bedrock:${REGION}::foundation-model/${foundationModel}`],
        }]);
        const inference = policyOf(run, "chat-roles-task-bedrock").Statement.flatMap((statement) => statement.Action);
        assert.ok(!inference.includes("bedrock:CountTokens"), "counting is granted apart from inference");
      });
    }

    it("may count tokens on the foundation model behind every allowed model, each once", async () => {
      const run = await runProgram({ modelId: globalProfile, allowedModelIds: JSON.stringify([plainModel, usProfile, "global.anthropic.claude-3-haiku-20240307-v1:0"]) });
      assert.deepEqual(policyOf(run, "chat-roles-task-count-tokens").Statement, [{
        Sid: "CountTokens", Effect: "Allow", Action: ["bedrock:CountTokens"],
        Resource: [
          `arn:aws:bedrock:${REGION}::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0`,
          `arn:aws:bedrock:${REGION}::foundation-model/${plainModel}`,
          `arn:aws:bedrock:${REGION}::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0`,
        ],
      }]);
    });

    it("has only its Bedrock policies, and only ECS tasks of this account may assume the role", async () => {
      const run = await runProgram();
      const taskRole = run.one("aws:iam/role:Role", "chat-roles-task");
      const attached = [...run.ofType(ROLE_POLICY), ...run.ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
        .filter((p) => p.inputs.role === taskRole.id || p.inputs.role === taskRole.name);
      assert.deepEqual(attached.map((p) => p.name).sort(), ["chat-roles-task-bedrock", "chat-roles-task-count-tokens"]);
      assert.equal(taskRole.inputs.managedPolicyArns, undefined);
      assert.deepEqual(JSON.parse(taskRole.inputs.assumeRolePolicy).Statement, [{
        Effect: "Allow",
        Principal: { Service: "ecs-tasks.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT_ID } },
      }]);
      const service = run.one("awsx:ecs:FargateService", "chat-service").inputs.taskDefinitionArgs;
      assert.equal(service.taskRole.roleArn, `arn:aws:iam::${ACCOUNT_ID}:role/chat-roles-task`);
    });
  });

  it("execution role: pulls only the service's repository and writes only the service's log group", async () => {
    const run = await runProgram();
    const repository = run.one("aws:ecr/repository:Repository", "chat-repo").name;
    assert.deepEqual(policyOf(run, "chat-roles-execution-pull-and-log").Statement, [
      { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
      {
        Sid: "PullServiceImage", Effect: "Allow",
        Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
        Resource: [`arn:aws:ecr:${REGION}:${ACCOUNT_ID}:repository/${repository}`],
      },
      {
        Sid: "WriteServiceLogs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [`arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:chat-logs:log-stream:*`],
      },
    ]);
    const service = run.one("awsx:ecs:FargateService", "chat-service").inputs.taskDefinitionArgs;
    assert.equal(service.executionRole.roleArn, `arn:aws:iam::${ACCOUNT_ID}:role/chat-roles-execution`);
  });
});
