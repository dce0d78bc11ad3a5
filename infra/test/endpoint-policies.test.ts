import * as assert from "node:assert/strict";
import { CONTAINER_PORT } from "../../app/src/runtime-contract";
import { DYNAMODB_PREFIX_LIST_ID, ProgramRun, REGION, runProgram, S3_PREFIX_LIST_ID } from "./program-under-mocks";
import { ENDPOINT, EGRESS, ROLE_POLICY } from "./resource-types";

/** Issue 20, item 6: every endpoint admits what the stack's own traffic needs, and the tasks reach nothing else. */

const ENDPOINT_POLICY = "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy";
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:123456789012:table/chat-usage-table`;

const statementsOf = (policy: string) => (JSON.parse(policy) as { Statement: any[] }).Statement;
const byService = (run: ProgramRun, service: string) =>
  run.ofType(ENDPOINT).filter((e) => e.inputs.serviceName === `com.amazonaws.${REGION}.${service}`);

/** Every Bedrock statement of every inline policy of the task role, as the role holds them. */
const taskRoleBedrockStatements = (run: ProgramRun) => run.ofType(ROLE_POLICY)
  .filter((p) => p.inputs.role === "chat-roles-task-id")
  .flatMap((p) => statementsOf(p.inputs.policy))
  .filter((s) => s.Action.some((action: string) => action.startsWith("bedrock:")));

describe("VPC endpoint policies and the tasks' egress", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("S3 gateway endpoint: only GetObject on the region's ECR layer bucket, set when the endpoint is created", () => {
    const [s3] = byService(run, "s3");
    assert.deepEqual(statementsOf(s3.inputs.policy), [{
      Sid: "EcrImageLayers", Effect: "Allow", Principal: "*", Action: ["s3:GetObject"],
      Resource: [`arn:aws:s3:::prod-${REGION}-starport-layer-bucket/*`],
    }]);
    // The first up must pull: the policy is part of the endpoint itself, and the service waits for the network.
    const service = run.one("awsx:ecs:FargateService", "chat-service");
    assert.ok(service.dependsOn.includes(s3.name), `the Fargate service waits for ${s3.name}: [${service.dependsOn.join(", ")}]`);
  });

  it("S3 gateway endpoint: names the bucket of the stack's own region", async () => {
    const west = await runProgram({ "aws:region": "eu-west-1" });
    const [s3] = west.ofType(ENDPOINT).filter((e) => e.inputs.serviceName === "com.amazonaws.eu-west-1.s3");
    assert.deepEqual(statementsOf(s3.inputs.policy)[0].Resource, ["arn:aws:s3:::prod-eu-west-1-starport-layer-bucket/*"]);
  });

  it("DynamoDB gateway endpoint: only the app's two actions on the usage table", () => {
    const [dynamodb] = byService(run, "dynamodb");
    assert.deepEqual(statementsOf(dynamodb.inputs.policy), [{
      Sid: "UsageCounters", Effect: "Allow", Principal: "*", Action: ["dynamodb:GetItem", "dynamodb:UpdateItem"],
      Resource: [TABLE_ARN],
    }]);
  });

  it("bedrock-runtime endpoint: exactly the task role's Bedrock statements (invoke on the served models, CountTokens)", async () => {
    const many = await runProgram({
      modelId: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      allowedModelIds: JSON.stringify(["amazon.nova-lite-v1:0", "global.anthropic.claude-haiku-4-5-20251001-v1:0"]),
      embeddingModelIds: JSON.stringify(["amazon.titan-embed-text-v2:0"]),
    });
    for (const r of [run, many]) {
      const policy = r.one(ENDPOINT_POLICY, "chat-roles-bedrock-endpoint-policy").inputs;
      const [bedrock] = byService(r, "bedrock-runtime");
      assert.equal(policy.vpcEndpointId, bedrock.id);
      const admitted = statementsOf(policy.policy);
      assert.ok(admitted.every((s) => s.Principal === "*"));
      // Derived from the role: a Bedrock permission added to the role (an embedding model, a guardrail) is admitted
      // by the endpoint too, and this fails if one is added to the role alone.
      const bySid = (a: { Sid: string }, b: { Sid: string }) => a.Sid.localeCompare(b.Sid);
      assert.deepEqual(admitted.map(({ Principal: _, ...statement }) => statement).sort(bySid), taskRoleBedrockStatements(r).sort(bySid));
      const actions = new Set(admitted.flatMap((s) => s.Action));
      assert.deepEqual([...actions].sort(), ["bedrock:CountTokens", "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]);
      assert.ok(admitted.every((s) => s.Resource.every((arn: string) => /^arn:aws:bedrock:[^:]*:\d*:(foundation-model|inference-profile)\//.test(arn))));
    }
    const resources = statementsOf(many.one(ENDPOINT_POLICY, "chat-roles-bedrock-endpoint-policy").inputs.policy).flatMap((s) => s.Resource);
    for (const model of ["claude-sonnet-4-5-20250929", "nova-lite-v1:0", "claude-haiku-4-5-20251001", "titan-embed-text-v2:0"]) {
      assert.ok(resources.some((arn: string) => arn.includes(model)), model);
    }
  });

  it("the tasks may open HTTPS to the interface endpoints and the two gateway endpoints' prefix lists, and nothing else", () => {
    const taskEgress = run.ofType(EGRESS).filter((rule) => rule.inputs.securityGroupId === "sg-chat-task-sg")
      .map(({ inputs: r }) => [r.referencedSecurityGroupId ?? r.prefixListId ?? r.cidrIpv4 ?? r.cidrIpv6, r.ipProtocol, r.fromPort, r.toPort]);
    assert.deepEqual(taskEgress.sort(), [
      [DYNAMODB_PREFIX_LIST_ID, "tcp", 443, 443],
      [S3_PREFIX_LIST_ID, "tcp", 443, 443],
      ["sg-chat-endpoints-sg", "tcp", 443, 443],
    ].sort());
    // And the endpoints' group admits the tasks only.
    const endpointIngress = run.ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((rule) => rule.inputs.securityGroupId === "sg-chat-endpoints-sg").map((rule) => rule.inputs.referencedSecurityGroupId);
    assert.deepEqual(endpointIngress, ["sg-chat-task-sg"]);
    assert.notEqual(CONTAINER_PORT, 443);
  });
});
