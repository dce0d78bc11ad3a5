import assert from "node:assert/strict";
import { createOpenAI, type OpenAIProvider } from "@ai-sdk/openai";
import { Agent, OpenAIProvider as AgentsOpenAIProvider, Runner, setTracingDisabled, tool } from "@openai/agents";
import { generateText, stepCountIs, streamText, tool as aiTool } from "ai";
import * as z from "zod";
import { type Harness, startHarness } from "./helpers/harness";

const MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

/** A tool call on the first request, a final answer once the call's result came back. */
const toolRound = (name: string, input: string, answer: string) => (req: { body: any }) =>
  req.body.messages.some((turn: any) => turn.content.some((block: any) => block.toolResult))
    ? { steps: [{ text: answer }] }
    : { steps: [{ toolUse: { id: "tooluse_agent", name } }, { toolInput: input }], stopReason: "tool_use" };

/**
 * The Responses API's other real clients against the service and the stand-in: the OpenAI Agents SDK, and the
 * Vercel AI SDK's default OpenAI provider (`@ai-sdk/openai`, which speaks Responses).
 */
describe("Responses API clients: the OpenAI Agents SDK and the Vercel AI SDK", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: MODEL });
  });
  after(() => h.close());
  const toolResults = () =>
    h.fake.requests.at(-1)!.body.messages.flatMap((turn: any) => turn.content.filter((block: any) => block.toolResult).map((block: any) => block.toolResult));

  describe("@openai/agents", () => {
    before(() => setTracingDisabled(true));

    it("an agent with one function tool runs to its final output", async () => {
      h.fake.setScenario(toolRound("get_weather", '{"city":"Paris"}', "Paris is sunny."));
      const calls: string[] = [];
      const getWeather = tool({
        name: "get_weather",
        description: "The weather in a city",
        parameters: z.object({ city: z.string() }),
        execute: async ({ city }) => {
          calls.push(city);
          return `sunny in ${city}`;
        },
      });
      const agent = new Agent({ name: "Weather", instructions: "Answer about the weather.", tools: [getWeather], model: MODEL });
      const runner = new Runner({ modelProvider: new AgentsOpenAIProvider({ baseURL: `${h.url}/v1`, apiKey: "sk-local", useResponses: true }) });
      const result = await runner.run(agent, "What is the weather in Paris?");
      assert.equal(result.finalOutput, "Paris is sunny.");
      assert.deepEqual(calls, ["Paris"]);
      assert.deepEqual(toolResults(), [{ toolUseId: "tooluse_agent", content: [{ text: "sunny in Paris" }] }]);
      assert.ok(h.logs.some((log) => log.route === "/responses"), "it called /responses");
    });
  });

  describe("@ai-sdk/openai (the default provider, Responses API)", () => {
    let openai: OpenAIProvider;
    before(() => {
      openai = createOpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local" });
    });

    it("generateText: a tool round, then the final text with usage", async () => {
      h.fake.setScenario(toolRound("add", '{"a":2,"b":3}', "It is 5."));
      const result = await generateText({
        model: openai(MODEL),
        prompt: "2+3?",
        tools: { add: aiTool({ inputSchema: z.object({ a: z.number(), b: z.number() }), execute: async ({ a, b }) => a + b }) },
        stopWhen: stepCountIs(3),
        maxRetries: 0,
      });
      assert.equal(result.text, "It is 5.");
      assert.equal(result.steps.length, 2);
      assert.deepEqual(toolResults(), [{ toolUseId: "tooluse_agent", content: [{ text: "5" }] }]);
      assert.ok(result.usage.totalTokens! > 0);
    });

    it("streamText with reasoning: the summary streams as reasoning, the text after it, and finish and usage come at the end", async () => {
      h.fake.setScenario({ steps: [{ reasoning: "Think" }, { reasoning: "ing." }, { signature: "c2ln" }, { text: "Hello" }, { text: " there" }] });
      const result = streamText({
        model: openai(MODEL),
        prompt: "Greet me",
        // forceReasoning: the SDK knows only OpenAI's model names as reasoning models.
        providerOptions: { openai: { forceReasoning: true, reasoningEffort: "low", reasoningSummary: "auto", store: false, include: ["reasoning.encrypted_content"] } },
        maxRetries: 0,
      });
      const parts: string[] = [];
      for await (const part of result.fullStream) {
        if (part.type === "reasoning-delta" || part.type === "text-delta") parts.push(`${part.type}:${part.text}`);
      }
      assert.deepEqual(parts, ["reasoning-delta:Think", "reasoning-delta:ing.", "text-delta:Hello", "text-delta: there"]);
      assert.equal(await result.finishReason, "stop");
      assert.equal(await result.reasoningText, "Thinking.");
      assert.ok((await result.usage).totalTokens! > 0);
      assert.deepEqual(h.fake.requests.at(-1)!.body.additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 2048 } });
    });
  });
});
