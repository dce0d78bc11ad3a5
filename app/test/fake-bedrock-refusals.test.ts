import assert from "node:assert/strict";
import { ConverseStreamCommand, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { useStandIn } from "./helpers/stand-in";

const HAIKU_45 = "global.anthropic.claude-haiku-4-5-20251001-v1:0"; // budget thinking only
const SONNET_46 = "us.anthropic.claude-sonnet-4-6"; // adaptive or budget
const OPUS_47 = "global.anthropic.claude-opus-4-7"; // adaptive only

/** The stand-in refuses the thinking forms Bedrock refuses for the model, per the model catalog. */
describe("local Bedrock stand-in: refuses what Bedrock refuses (thinking form per model)", () => {
  const stand = useStandIn();

  const converse = async (modelId: string, thinking: Record<string, string | number>) => {
    const out = await stand.client.send(
      new ConverseStreamCommand({
        modelId,
        messages: [{ role: "user", content: [{ text: "hi" }] }],
        inferenceConfig: { maxTokens: 4096 },
        additionalModelRequestFields: { thinking },
      }),
    );
    for await (const event of out.stream!) void event;
  };
  const native = (modelId: string, thinking: Record<string, string | number>) =>
    stand.client.send(
      new InvokeModelCommand({
        modelId,
        body: JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 4096, thinking, messages: [{ role: "user", content: "hi" }] }),
      }),
    );
  const refused = (pattern: RegExp) => (error: any) => {
    assert.equal(error.name, "ValidationException");
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.match(error.message, pattern);
    return true;
  };

  it("adaptive on a budget-only model: 400 ValidationException, on Converse and the native body", async () => {
    await assert.rejects(converse(HAIKU_45, { type: "adaptive" }), refused(/Input tag 'adaptive'/));
    await assert.rejects(native(HAIKU_45, { type: "adaptive" }), refused(/Input tag 'adaptive'/));
  });

  it("enabled or disabled on an adaptive-only model: 400 ValidationException", async () => {
    await assert.rejects(native(OPUS_47, { type: "enabled", budget_tokens: 2048 }), refused(/thinking\.type\.enabled" is not supported/));
    await assert.rejects(converse(OPUS_47, { type: "disabled" }), refused(/thinking\.type\.disabled" is not supported/));
  });

  it("accepts each model's own forms, and any form on a model the catalog does not know", async () => {
    await converse(HAIKU_45, { type: "enabled", budget_tokens: 2048 });
    await converse(SONNET_46, { type: "adaptive" });
    await converse(SONNET_46, { type: "enabled", budget_tokens: 2048 });
    await native(OPUS_47, { type: "adaptive" });
    await native("test.unknown-model-v1:0", { type: "adaptive" });
    const closed = await Promise.all(stand.fake.requests.slice(-5).map((request) => stand.fake.waitForClose(request)));
    assert.deepEqual(closed.map((request) => request.outcome), Array(5).fill("completed"));
  });
});
