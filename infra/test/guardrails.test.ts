import * as assert from "node:assert/strict";
import { ACCOUNT_ID, ProgramRun, REGION, runProgram } from "./program-under-mocks";
import { ROLE_POLICY } from "./resource-types";

const CAROL_ARN = `arn:aws:bedrock:${REGION}:${ACCOUNT_ID}:guardrail/carolsown`;

const statements = (run: ProgramRun): any[] => JSON.parse(run.one(ROLE_POLICY, "chat-roles-task-bedrock").inputs.policy).Statement;
const applying = (run: ProgramRun) => statements(run).filter((s) => s.Action.includes("bedrock:ApplyGuardrail"));

function containerEnv(run: ProgramRun): Record<string, string> {
  const container = run.one("awsx:ecs:FargateService", "chat-service").inputs.taskDefinitionArgs.container;
  return Object.fromEntries(container.environment.map((e: { name: string; value: string }) => [e.name, e.value]));
}

describe("guardrails in the stack", () => {
  it("the task role may apply exactly the configured guardrails: the deployment's and each key's own, by ARN", async () => {
    const run = await runProgram({
      guardrail: JSON.stringify({ identifier: "deploymentgr", version: "2" }),
      keys: JSON.stringify([
        { name: "default" },
        { name: "carol", guardrail: { identifier: CAROL_ARN, version: "DRAFT" } },
        { name: "dave", guardrail: { identifier: "deploymentgr", version: "1" } },
      ]),
    });
    assert.deepEqual(applying(run), [{
      Sid: "ApplyConfiguredGuardrails",
      Effect: "Allow",
      Action: ["bedrock:ApplyGuardrail"],
      Resource: [`arn:aws:bedrock:${REGION}:${ACCOUNT_ID}:guardrail/deploymentgr`, CAROL_ARN],
    }]);
    assert.deepEqual(JSON.parse(containerEnv(run).GUARDRAIL), { identifier: "deploymentgr", version: "2", streamProcessingMode: "sync" });
    // The key's own reaches the app with the key's other limits.
    const carol = JSON.parse(containerEnv(run).API_KEYS)["chat-key-carol-id"];
    assert.deepEqual(carol, { name: "carol", guardrail: { identifier: CAROL_ARN, version: "DRAFT", streamProcessingMode: "sync" } });
  });

  it("without a guardrail the task role may apply none", async () => {
    const run = await runProgram();
    assert.deepEqual(applying(run), []);
  });
});
