import assert from "node:assert/strict";
import {
  ConverseStreamCommand,
  type ConverseStreamOutput,
  CountTokensCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { parseScenarioJson } from "../local/scenario-schema";
import { useStandIn } from "./helpers/stand-in";

const MODEL_ID = "test.stand-in-model-v1:0";

/**
 * The stand-in's richer replies (tool use, reasoning with signature, redacted reasoning, cache usage, token
 * counting, images in the request) as the real SDK decodes them: what the wire-format tests script.
 */
describe("local Bedrock stand-in: tool use, reasoning, caching, images, CountTokens", () => {
  const stand = useStandIn();

  async function events(content: any[] = [{ text: "hi" }]): Promise<ConverseStreamOutput[]> {
    const out = await stand.client.send(new ConverseStreamCommand({ modelId: MODEL_ID, messages: [{ role: "user", content }] }));
    const seen: ConverseStreamOutput[] = [];
    for await (const event of out.stream!) seen.push(event);
    return seen;
  }

  it("numbers reasoning, text and tool calls into blocks the way Bedrock does", async () => {
    stand.fake.setScenario({
      steps: [
        { reasoning: "Let me think" },
        { reasoning: " more." },
        { signature: "sig-123" },
        { text: "Calling a tool." },
        { toolUse: { id: "tooluse_1", name: "get_weather" } },
        { toolInput: '{"city":' },
        { toolInput: '"Paris"}' },
      ],
      stopReason: "tool_use",
      usage: { inputTokens: 50, outputTokens: 7, cacheReadInputTokens: 40, cacheWriteInputTokens: 3 },
    });
    const seen = await events();
    const shapes = seen.map((event) => {
      const [name, body] = Object.entries(event)[0] as [string, any];
      return { name, index: body.contentBlockIndex, body };
    });
    assert.deepEqual(
      shapes.map((s) => `${s.name}${s.index === undefined ? "" : `@${s.index}`}`),
      [
        "messageStart",
        "contentBlockDelta@0",
        "contentBlockDelta@0",
        "contentBlockDelta@0",
        "contentBlockStop@0",
        "contentBlockDelta@1",
        "contentBlockStop@1",
        "contentBlockStart@2",
        "contentBlockDelta@2",
        "contentBlockDelta@2",
        "contentBlockStop@2",
        "messageStop",
        "metadata",
      ],
    );
    assert.deepEqual(seen[1].contentBlockDelta?.delta?.reasoningContent, { text: "Let me think" });
    assert.deepEqual(seen[3].contentBlockDelta?.delta?.reasoningContent, { signature: "sig-123" });
    assert.deepEqual(seen[7].contentBlockStart?.start?.toolUse, { toolUseId: "tooluse_1", name: "get_weather" });
    assert.equal(seen[9].contentBlockDelta?.delta?.toolUse?.input, '"Paris"}');
    assert.equal(seen[11].messageStop?.stopReason, "tool_use");
    const usage = seen[12].metadata?.usage;
    assert.equal(usage?.cacheReadInputTokens, 40);
    assert.equal(usage?.cacheWriteInputTokens, 3);
    assert.equal(usage?.totalTokens, 57);
  });

  it("sends redacted reasoning as bytes the SDK decodes", async () => {
    const secret = Buffer.from("encrypted-thoughts");
    stand.fake.setScenario({ steps: [{ redacted: secret.toString("base64") }, { text: "ok" }] });
    const seen = await events();
    const redacted = seen[1].contentBlockDelta?.delta?.reasoningContent?.redactedContent;
    assert.ok(redacted instanceof Uint8Array);
    assert.equal(Buffer.from(redacted).toString(), "encrypted-thoughts");
  });

  it("accepts image blocks and records them as the SDK sent them", async () => {
    stand.fake.setScenario({ steps: [{ text: "a red pixel" }] });
    const png = Buffer.from("89504e470d0a1a0a", "hex");
    await events([{ text: "what is this?" }, { image: { format: "png", source: { bytes: png } } }]);
    const image = stand.fake.requests.at(-1)?.body.messages[0].content[1].image;
    assert.equal(image.format, "png");
    assert.equal(Buffer.from(image.source.bytes, "base64").toString("hex"), "89504e470d0a1a0a");
  });

  it("can stop and then stay silent (no metadata), holding the stream open", async () => {
    stand.fake.setScenario({ steps: [{ text: "done" }], afterStop: "silence" });
    const out = await stand.client.send(new ConverseStreamCommand({ modelId: MODEL_ID, messages: [{ role: "user", content: [{ text: "x" }] }] }));
    const iterator = out.stream![Symbol.asyncIterator]();
    const names: string[] = [];
    for (;;) {
      const next = await iterator.next();
      names.push(Object.keys(next.value)[0]);
      if (next.value.messageStop) break;
    }
    assert.deepEqual(names, ["messageStart", "contentBlockDelta", "contentBlockStop", "messageStop"]);
    assert.equal(stand.fake.openStreams(), 1, "no metadata and no end of stream after messageStop");
    await iterator.return?.();
  });

  it("answers CountTokens with the scripted count, or an estimate, or the scripted error", async () => {
    const input = { converse: { messages: [{ role: "user" as const, content: [{ text: "count these words please" }] }] } };
    stand.fake.setScenario({ countTokens: 42 });
    assert.equal((await stand.client.send(new CountTokensCommand({ modelId: MODEL_ID, input }))).inputTokens, 42);
    stand.fake.setScenario({});
    const estimated = (await stand.client.send(new CountTokensCommand({ modelId: MODEL_ID, input }))).inputTokens;
    assert.equal(estimated, Math.ceil("count these words please".length / 4));
    assert.equal(stand.fake.requests.at(-1)?.operation, "count-tokens");
    stand.fake.setScenario({ error: { type: "ValidationException", message: "The provided model doesn't support counting tokens." } });
    await assert.rejects(stand.client.send(new CountTokensCommand({ modelId: MODEL_ID, input })), { name: "ValidationException" });
  });

  it("validates the new scenario steps given as JSON", () => {
    assert.deepEqual(parseScenarioJson('{"steps":[{"toolUse":{"id":"t1","name":"f"}},{"toolInput":"{}"}]}').steps?.length, 2);
    assert.throws(() => parseScenarioJson('{"steps":[{"toolUse":{"id":"t1"}}]}'), /steps\[0\]/);
    assert.throws(() => parseScenarioJson('{"afterStop":"later"}'), /afterStop/);
  });
});
