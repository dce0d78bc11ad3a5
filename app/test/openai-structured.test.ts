import assert from "node:assert/strict";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import * as z from "zod";
import { JSON_OBJECT_INSTRUCTION } from "../src/formats/openai/response-format";
import { type Harness, startHarness } from "./helpers/harness";

const CLAUDE = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const NOVA = "us.amazon.nova-lite-v1:0";

/**
 * Chat Completions under the compatibility rule, with the real `openai` SDK against the service and the local
 * stand-in: structured output, every reasoning_effort level, parallel_tool_calls and strict tools reach Bedrock as
 * the fields that honour them.
 */
describe("OpenAI Chat Completions: structured output, reasoning_effort, parallel_tool_calls", () => {
  let h: Harness;
  let client: OpenAI;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: CLAUDE, ALLOWED_MODEL_IDS: NOVA });
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
  });
  after(() => h.close());
  const lastBedrockBody = () => h.fake.requests.at(-1)!.body;
  const hi: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: "user", content: "Extract it" }];

  it("chat.completions.parse with a zod schema: Bedrock structured output, and the parsed reply", async () => {
    const Person = z.object({ name: z.string(), age: z.number(), tags: z.array(z.object({ label: z.string() })) });
    h.fake.setScenario({ steps: [{ text: '{"name":"Ada",' }, { text: '"age":36,"tags":[{"label":"math"}]}' }] });
    const completion = await client.chat.completions.parse({ model: CLAUDE, messages: hi, response_format: zodResponseFormat(Person, "person") });
    assert.deepEqual(completion.choices[0].message.parsed, { name: "Ada", age: 36, tags: [{ label: "math" }] });
    const textFormat = lastBedrockBody().outputConfig.textFormat;
    assert.equal(textFormat.type, "json_schema");
    assert.equal(textFormat.structure.jsonSchema.name, "person");
    const schema = JSON.parse(textFormat.structure.jsonSchema.schema);
    assert.deepEqual(schema.required, ["name", "age", "tags"]);
    assert.equal(schema.additionalProperties, false);
    assert.equal(schema.properties.tags.items.additionalProperties, false);
  });

  it("json_schema without strict: objects are closed (Claude's rule), the rest of the schema untouched", async () => {
    h.fake.setScenario({ steps: [{ text: '{"city":"Paris"}' }] });
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, address: { type: "object", properties: { zip: { type: "string" } } }, extra: { type: "object", additionalProperties: true } },
      $defs: { point: { type: "object", properties: { x: { type: "number" } } } },
    };
    const completion = await client.chat.completions.create({
      model: CLAUDE, messages: hi, response_format: { type: "json_schema", json_schema: { name: "place", description: "A place", schema } }, stream: true,
    });
    let text = "";
    for await (const chunk of completion) text += chunk.choices[0]?.delta.content ?? "";
    assert.deepEqual(JSON.parse(text), { city: "Paris" });
    const definition = lastBedrockBody().outputConfig.textFormat.structure.jsonSchema;
    assert.equal(definition.description, "A place");
    assert.deepEqual(JSON.parse(definition.schema), {
      type: "object",
      properties: {
        city: { type: "string" },
        address: { type: "object", properties: { zip: { type: "string" } }, additionalProperties: false },
        extra: { type: "object", additionalProperties: true },
      },
      $defs: { point: { type: "object", properties: { x: { type: "number" } }, additionalProperties: false } },
      additionalProperties: false,
    });
  });

  it("json_object: an instruction to answer with one JSON object, after the caller's system prompt", async () => {
    h.fake.setScenario({ steps: [{ text: '{"ok":true}' }] });
    const completion = await client.chat.completions.create({
      model: CLAUDE, messages: [{ role: "system", content: "Reply in JSON." }, ...hi], response_format: { type: "json_object" },
    });
    assert.deepEqual(JSON.parse(completion.choices[0].message.content!), { ok: true });
    const body = lastBedrockBody();
    assert.deepEqual(body.system, [{ text: "Reply in JSON." }, { text: JSON_OBJECT_INSTRUCTION }]);
    assert.equal(body.outputConfig, undefined);
  });

  it("response_format text adds nothing", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.chat.completions.create({ model: CLAUDE, messages: hi, response_format: { type: "text" } });
    assert.equal(lastBedrockBody().outputConfig, undefined);
    assert.equal(lastBedrockBody().system, undefined);
  });

  it("reasoning_effort: every OpenAI level, none through xhigh (and max), through the catalog's thinking form", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.chat.completions.create({ model: CLAUDE, messages: hi, reasoning_effort: "none" });
    assert.equal(lastBedrockBody().additionalModelRequestFields, undefined);
    // Haiku 4.5 takes budgeted thinking; the budget comes on top of the answer's 100, within its 64,000 limit.
    const expected = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768, max: 63999 };
    for (const [effort, budget] of Object.entries(expected)) {
      await client.chat.completions.create({ model: CLAUDE, messages: hi, reasoning_effort: effort as OpenAI.ReasoningEffort, max_completion_tokens: 100 });
      const body = lastBedrockBody();
      assert.deepEqual(body.additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: budget } }, effort);
      assert.equal(body.inferenceConfig.maxTokens, Math.min(64_000, budget + 100), effort);
    }
    // A model without thinking (Nova Lite) gets none, whatever the level.
    await client.chat.completions.create({ model: NOVA, messages: hi, reasoning_effort: "xhigh" });
    assert.equal(lastBedrockBody().additionalModelRequestFields, undefined);
  });

  const tools: OpenAI.Chat.ChatCompletionTool[] = [
    { type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"], additionalProperties: false }, strict: true } },
    { type: "function", function: { name: "other" } },
  ];

  it("parallel_tool_calls: false reaches Claude as disable_parallel_tool_use, beside thinking; strict tools stay strict", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.chat.completions.create({ model: CLAUDE, messages: hi, tools, parallel_tool_calls: false, reasoning_effort: "low" });
    const body = lastBedrockBody();
    assert.deepEqual(body.additionalModelRequestFields, {
      thinking: { type: "enabled", budget_tokens: 2048 },
      tool_choice: { type: "auto", disable_parallel_tool_use: true },
    });
    assert.deepEqual(body.toolConfig.toolChoice, { auto: {} });
    assert.equal(body.toolConfig.tools[0].toolSpec.strict, true);
    assert.equal(body.toolConfig.tools[1].toolSpec.strict, undefined);

    await client.chat.completions.create({ model: CLAUDE, messages: hi, tools, parallel_tool_calls: false, tool_choice: { type: "function", function: { name: "other" } } });
    assert.deepEqual(lastBedrockBody().additionalModelRequestFields, { tool_choice: { type: "tool", name: "other", disable_parallel_tool_use: true } });
    await client.chat.completions.create({ model: CLAUDE, messages: hi, tools, parallel_tool_calls: false, tool_choice: "required" });
    assert.deepEqual(lastBedrockBody().additionalModelRequestFields, { tool_choice: { type: "any", disable_parallel_tool_use: true } });
  });

  it("parallel_tool_calls: true, or false where the model cannot say it, or without tools, adds nothing", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.chat.completions.create({ model: CLAUDE, messages: hi, tools, parallel_tool_calls: true });
    assert.equal(lastBedrockBody().additionalModelRequestFields, undefined);
    await client.chat.completions.create({ model: NOVA, messages: hi, tools, parallel_tool_calls: false });
    assert.equal(lastBedrockBody().additionalModelRequestFields, undefined);
    await client.chat.completions.create({ model: CLAUDE, messages: hi, parallel_tool_calls: false });
    assert.equal(lastBedrockBody().additionalModelRequestFields, undefined);
  });

  it("a model given as the deployment's default (no model field) is shaped for that model", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const body = { messages: hi, tools, parallel_tool_calls: false } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    await client.chat.completions.create(body);
    assert.equal(h.fake.requests.at(-1)!.modelId, CLAUDE);
    assert.deepEqual(lastBedrockBody().additionalModelRequestFields, { tool_choice: { type: "auto", disable_parallel_tool_use: true } });
  });
});
