import assert from "node:assert/strict";
import { HumanMessage, type BaseMessage } from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { ChatOpenAI } from "@langchain/openai";
import * as z from "zod";
import { type Harness, startHarness } from "./helpers/harness";

const MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

/**
 * LangChain's `ChatOpenAI` (a real client, as a user configures it: the stage URL and a key) against the service
 * and the local stand-in: its ordinary tool round and its default structured output.
 */
describe("LangChain ChatOpenAI against the OpenAI route", () => {
  let h: Harness;
  let chat: ChatOpenAI;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: MODEL });
    chat = new ChatOpenAI({ model: MODEL, apiKey: "sk-local", configuration: { baseURL: `${h.url}/v1` }, maxRetries: 0 });
  });
  after(() => h.close());
  const lastBedrockBody = () => h.fake.requests.at(-1)!.body;

  it("a tool round through tool.invoke(toolCall): its tool message (with name) goes back as a toolResult", async () => {
    const weather = tool(async ({ city }: { city: string }) => `sunny in ${city}`, {
      name: "get_weather",
      description: "The weather now",
      schema: z.object({ city: z.string() }),
    });
    const withTools = chat.bindTools([weather]);
    h.fake.setScenario({ steps: [{ toolUse: { id: "tooluse_1", name: "get_weather" } }, { toolInput: '{"city":"Paris"}' }], stopReason: "tool_use" });
    const history: BaseMessage[] = [new HumanMessage("Weather in Paris?")];
    const ai = await withTools.invoke(history);
    assert.deepEqual(ai.tool_calls?.map(({ id, name, args }) => ({ id, name, args })), [{ id: "tooluse_1", name: "get_weather", args: { city: "Paris" } }]);
    const toolMessage = await weather.invoke(ai.tool_calls![0]);
    assert.equal(toolMessage.name, "get_weather", "LangChain's tool message carries the tool's name");
    h.fake.setScenario({ steps: [{ text: "Sunny in Paris." }] });
    const final = await withTools.invoke([...history, ai, toolMessage]);
    assert.equal(final.content, "Sunny in Paris.");
    assert.deepEqual(lastBedrockBody().messages.at(-1), {
      role: "user",
      content: [{ toolResult: { toolUseId: "tooluse_1", content: [{ text: "sunny in Paris" }] } }],
    });
  });

  it("withStructuredOutput with its default method: Bedrock structured output, the parsed object back", async () => {
    const Answer = z.object({ answer: z.string(), confidence: z.number() });
    h.fake.setScenario({ steps: [{ text: '{"answer":"42","confidence":0.9}' }] });
    const result = await chat.withStructuredOutput(Answer).invoke("What is the answer?");
    assert.deepEqual(result, { answer: "42", confidence: 0.9 });
    const textFormat = lastBedrockBody().outputConfig.textFormat;
    assert.equal(textFormat.type, "json_schema");
    const schema = JSON.parse(textFormat.structure.jsonSchema.schema);
    assert.deepEqual(Object.keys(schema.properties), ["answer", "confidence"]);
    assert.equal(schema.additionalProperties, false);
  });
});
