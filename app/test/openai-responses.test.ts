import assert from "node:assert/strict";
import OpenAI from "openai";
import type { ResponseStreamEvent } from "openai/resources/responses/responses";
import { type Harness, startHarness } from "./helpers/harness";

const MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

/**
 * The real `openai` client's `responses` API against the service and the local Bedrock stand-in over real sockets,
 * with the base URL a deployment gives (`.../v1`).
 */
describe("OpenAI Responses API with the openai SDK", () => {
  let h: Harness;
  let client: OpenAI;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: MODEL });
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
  });
  after(() => h.close());
  const lastBedrockBody = () => h.fake.requests.at(-1)!.body;

  async function events(params: OpenAI.Responses.ResponseCreateParamsStreaming): Promise<ResponseStreamEvent[]> {
    const stream = await client.responses.create(params);
    const out: ResponseStreamEvent[] = [];
    for await (const event of stream) out.push(event);
    return out;
  }

  it("streams text: created, in_progress, the message item, its deltas, done events and completed, numbered in sequence", async () => {
    h.fake.setScenario({ steps: [{ text: "Hello" }, { text: ", world" }], usage: { inputTokens: 12, outputTokens: 3, cacheReadInputTokens: 8 } });
    const seen = await events({ model: MODEL, input: "Say hello", instructions: "Be brief.", stream: true });
    assert.deepEqual(seen.map((event) => event.type), [
      "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
      "response.output_item.done", "response.completed",
    ]);
    assert.deepEqual(seen.map((event) => event.sequence_number), seen.map((_, index) => index));
    const deltas = seen.filter((event) => event.type === "response.output_text.delta");
    assert.deepEqual(deltas.map((event) => event.delta), ["Hello", ", world"]);
    const completed = seen.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
    assert.equal(completed.response.status, "completed");
    assert.equal(completed.response.output_text, undefined, "the SDK adds output_text only to non-streamed answers");
    assert.deepEqual(completed.response.output, [
      { type: "message", id: completed.response.output[0].id, status: "completed", role: "assistant", content: [{ type: "output_text", text: "Hello, world", annotations: [], logprobs: [] }] },
    ]);
    assert.deepEqual(completed.response.usage, {
      input_tokens: 20, input_tokens_details: { cached_tokens: 8 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 23,
    });
    assert.match(completed.response.id, /^resp_/);
    assert.equal(completed.response.model, MODEL);
    assert.deepEqual(lastBedrockBody().system, [{ text: "Be brief." }]);
    assert.deepEqual(lastBedrockBody().messages, [{ role: "user", content: [{ text: "Say hello" }] }]);
  });

  it("answers stream:false with one response object (output_text, status, usage)", async () => {
    h.fake.setScenario({ steps: [{ text: "Four" }, { text: "." }], usage: { inputTokens: 9, outputTokens: 2 } });
    const response = await client.responses.create({ model: MODEL, input: [{ role: "user", content: "2+2?" }], max_output_tokens: 50, temperature: 0.2 });
    assert.equal(response.object, "response");
    assert.equal(response.status, "completed");
    assert.equal(response.output_text, "Four.");
    assert.equal(response.usage?.output_tokens, 2);
    assert.equal(response.max_output_tokens, 50);
    assert.equal(response.temperature, 0.2);
    assert.deepEqual(lastBedrockBody().inferenceConfig, { maxTokens: 50, temperature: 0.2 });
  });

  it("a reply cut at max_output_tokens ends as response.incomplete (max_output_tokens)", async () => {
    h.fake.setScenario({ steps: [{ text: "Once upon" }], stopReason: "max_tokens" });
    const seen = await events({ model: MODEL, input: "Tell a story", max_output_tokens: 16, stream: true });
    const last = seen.at(-1)!;
    assert.equal(last.type, "response.incomplete");
    assert.equal((last as OpenAI.Responses.ResponseIncompleteEvent).response.incomplete_details?.reason, "max_output_tokens");
    const whole = await client.responses.create({ model: MODEL, input: "Tell a story", max_output_tokens: 16 });
    assert.equal(whole.status, "incomplete");
    assert.equal(whole.output_text, "Once upon");
  });

  it("a function tool round: streamed call with argument deltas, then function_call + function_call_output as toolUse + toolResult", async () => {
    h.fake.setScenario({
      steps: [{ toolUse: { id: "tooluse_1", name: "get_weather" } }, { toolInput: '{"city":' }, { toolInput: '"Paris"}' }],
      stopReason: "tool_use",
    });
    const tools: OpenAI.Responses.Tool[] = [
      { type: "function", name: "get_weather", description: "Weather now", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false },
      { type: "web_search" },
    ];
    const seen = await events({ model: MODEL, input: "Weather in Paris?", tools, stream: true });
    const argumentDeltas = seen.filter((event) => event.type === "response.function_call_arguments.delta").map((event) => event.delta);
    assert.deepEqual(argumentDeltas, ['{"city":', '"Paris"}']);
    const done = seen.find((event) => event.type === "response.output_item.done") as OpenAI.Responses.ResponseOutputItemDoneEvent;
    const call = done.item as OpenAI.Responses.ResponseFunctionToolCall;
    assert.deepEqual([call.type, call.call_id, call.name, call.arguments, call.status], ["function_call", "tooluse_1", "get_weather", '{"city":"Paris"}', "completed"]);
    assert.equal(seen.at(-1)!.type, "response.completed");
    assert.deepEqual(lastBedrockBody().toolConfig, {
      tools: [{ toolSpec: { name: "get_weather", description: "Weather now", inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } } } }],
      toolChoice: { auto: {} },
    }, "web_search is not offered: Bedrock cannot serve it");

    h.fake.setScenario({ steps: [{ text: "Sunny." }] });
    const answer = await client.responses.create({
      model: MODEL,
      tools,
      input: [
        { role: "user", content: "Weather in Paris?" },
        call,
        { type: "function_call_output", call_id: call.call_id, output: "sunny, 24 C" },
      ],
    });
    assert.equal(answer.output_text, "Sunny.");
    assert.deepEqual(lastBedrockBody().messages, [
      { role: "user", content: [{ text: "Weather in Paris?" }] },
      { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { city: "Paris" } } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "tooluse_1", content: [{ text: "sunny, 24 C" }] } }] },
    ]);
  });

  it("text.format json_schema becomes Bedrock structured output (outputConfig.textFormat)", async () => {
    h.fake.setScenario({ steps: [{ text: '{"name":"Ada","age":36}' }] });
    const schema = { type: "object", properties: { name: { type: "string" }, age: { type: "integer" } }, required: ["name", "age"], additionalProperties: false };
    const response = await client.responses.create({
      model: MODEL,
      input: "Who wrote the first program?",
      text: { format: { type: "json_schema", name: "person", schema, strict: true }, verbosity: "low" },
    });
    assert.deepEqual(JSON.parse(response.output_text), { name: "Ada", age: 36 });
    assert.deepEqual(lastBedrockBody().outputConfig, {
      textFormat: { type: "json_schema", structure: { jsonSchema: { name: "person", schema: JSON.stringify(schema) } } },
    });
    assert.deepEqual(response.text?.format, { type: "json_schema", name: "person", schema, strict: true });
  });

  it("reasoning.effort thinks through the catalog; with include encrypted_content the reasoning item comes back next turn as a signed block", async () => {
    h.fake.setScenario({
      steps: [{ reasoning: "Need the tool." }, { signature: "c2ln" }, { toolUse: { id: "tooluse_r", name: "add" } }, { toolInput: '{"a":1,"b":2}' }],
      stopReason: "tool_use",
    });
    const tools: OpenAI.Responses.Tool[] = [{ type: "function", name: "add", parameters: { type: "object" }, strict: false }];
    const first = await client.responses.create({
      model: MODEL, input: "1+2?", tools, reasoning: { effort: "low", summary: "auto" }, include: ["reasoning.encrypted_content"], store: false,
    });
    assert.deepEqual(lastBedrockBody().additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 2048 } });
    const [reasoning, call] = first.output as [OpenAI.Responses.ResponseReasoningItem, OpenAI.Responses.ResponseFunctionToolCall];
    assert.deepEqual(reasoning.summary, [{ type: "summary_text", text: "Need the tool." }]);
    assert.equal(typeof reasoning.encrypted_content, "string");
    assert.ok(first.usage!.output_tokens_details.reasoning_tokens > 0);

    h.fake.setScenario({ steps: [{ text: "3" }] });
    const toolRound: OpenAI.Responses.ResponseInputItem[] = [
      { role: "user", content: "1+2?" }, reasoning, call, { type: "function_call_output", call_id: call.call_id, output: "3" },
    ];
    await client.responses.create({ model: MODEL, input: toolRound, tools, reasoning: { effort: "low" }, include: ["reasoning.encrypted_content"] });
    const body = lastBedrockBody();
    assert.deepEqual(body.messages[1].content[0], { reasoningContent: { reasoningText: { text: "Need the tool.", signature: "c2ln" } } });
    assert.deepEqual(body.additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 2048 } }, "thinking goes on through the tool round");

    // Without the signed block Claude cannot think on through the round: that request continues without thinking.
    await client.responses.create({ model: MODEL, input: toolRound.filter((item) => item !== reasoning), tools, reasoning: { effort: "low" } });
    assert.equal(lastBedrockBody().additionalModelRequestFields, undefined);
  });

  it("without reasoning.summary the reasoning text is not shown; max_output_tokens bounds thinking and answer together", async () => {
    h.fake.setScenario({ steps: [{ reasoning: "secret" }, { signature: "c2ln" }, { text: "ok" }] });
    const seen = await events({ model: MODEL, input: "hi", reasoning: { effort: "medium" }, max_output_tokens: 3000, stream: true });
    assert.ok(!seen.some((event) => event.type.startsWith("response.reasoning_summary")));
    const done = seen.find((event) => event.type === "response.output_item.done") as OpenAI.Responses.ResponseOutputItemDoneEvent;
    assert.deepEqual(done.item, { type: "reasoning", id: done.item.id, summary: [] });
    assert.deepEqual(lastBedrockBody().additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 2999 } });
    assert.equal(lastBedrockBody().inferenceConfig.maxTokens, 3000);
  });

  it("a custom (free-form) tool is a one-string tool whose call comes back as custom_tool_call, and goes back as toolUse", async () => {
    h.fake.setScenario({ steps: [{ toolUse: { id: "tooluse_p", name: "apply_patch" } }, { toolInput: '{"input":"*** Begin Patch\\n*** End Patch"}' }], stopReason: "tool_use" });
    const tools: OpenAI.Responses.Tool[] = [{ type: "custom", name: "apply_patch", description: "Edit files", format: { type: "grammar", syntax: "lark", definition: "start: /.+/" } }];
    const seen = await events({ model: MODEL, input: "patch it", tools, stream: true });
    const done = seen.find((event) => event.type === "response.output_item.done") as OpenAI.Responses.ResponseOutputItemDoneEvent;
    const call = done.item as OpenAI.Responses.ResponseCustomToolCall;
    assert.deepEqual([call.type, call.call_id, call.name, call.input], ["custom_tool_call", "tooluse_p", "apply_patch", "*** Begin Patch\n*** End Patch"]);
    const inputDone = seen.find((event) => event.type === "response.custom_tool_call_input.done") as OpenAI.Responses.ResponseCustomToolCallInputDoneEvent;
    assert.equal(inputDone.input, call.input);
    const spec = lastBedrockBody().toolConfig.tools[0].toolSpec;
    assert.equal(spec.name, "apply_patch");
    assert.deepEqual(spec.inputSchema.json.required, ["input"]);
    assert.match(spec.inputSchema.json.properties.input.description, /lark grammar:\nstart: \/\.\+\//);

    h.fake.setScenario({ steps: [{ text: "Done." }] });
    await client.responses.create({
      model: MODEL, tools,
      input: [{ role: "user", content: "patch it" }, call, { type: "custom_tool_call_output", call_id: call.call_id, output: "Success" }],
    });
    assert.deepEqual(lastBedrockBody().messages.slice(1), [
      { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_p", name: "apply_patch", input: { input: call.input } } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "tooluse_p", content: [{ text: "Success" }] } }] },
    ]);
  });

  it("namespace tools are flattened for Bedrock and called back under the client's name and namespace; local_shell calls come back as local_shell_call", async () => {
    h.fake.setScenario({ steps: [{ toolUse: { id: "tooluse_n", name: "crm__lookup" } }, { toolInput: '{"id":7}' }], stopReason: "tool_use" });
    const tools = [
      { type: "namespace", name: "crm", description: "CRM", tools: [{ type: "function", name: "lookup", parameters: { type: "object" } }] },
      { type: "local_shell" },
    ] as unknown as OpenAI.Responses.Tool[];
    const response = await client.responses.create({ model: MODEL, input: "find 7", tools, parallel_tool_calls: false });
    assert.deepEqual(lastBedrockBody().toolConfig.tools.map((tool: any) => tool.toolSpec.name), ["crm__lookup", "local_shell"]);
    const call = response.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    assert.deepEqual([call.type, call.name, call.namespace, call.arguments], ["function_call", "lookup", "crm", '{"id":7}']);

    h.fake.setScenario({
      steps: [{ toolUse: { id: "tooluse_s", name: "local_shell" } }, { toolInput: '{"command":["echo","hello"]}' }, { toolUse: { id: "tooluse_t", name: "local_shell" } }, { toolInput: "{}" }],
      stopReason: "tool_use",
    });
    const shell = await client.responses.create({ model: MODEL, tools, parallel_tool_calls: false, input: [{ role: "user", content: "find 7" }, call, { type: "function_call_output", call_id: call.call_id, output: "Ada" }] });
    assert.deepEqual(lastBedrockBody().messages[1].content, [{ toolUse: { toolUseId: "tooluse_n", name: "crm__lookup", input: { id: 7 } } }]);
    assert.equal(shell.output.length, 1, "parallel_tool_calls: false gives back the first call only");
    const shellCall = shell.output[0] as OpenAI.Responses.ResponseOutputItem.LocalShellCall;
    assert.deepEqual([shellCall.type, shellCall.call_id, shellCall.action], ["local_shell_call", "tooluse_s", { type: "exec", command: ["echo", "hello"], env: {} }]);
  });

  it("tool_choice maps onto Converse (required, a named tool, allowed_tools, none); json_object becomes an instruction; images pass as blocks", async () => {
    h.fake.setScenario({ steps: [{ text: "{}" }] });
    const tools: OpenAI.Responses.Tool[] = [
      { type: "function", name: "a", parameters: null, strict: false },
      { type: "function", name: "b", parameters: null, strict: false },
    ];
    const choices: Array<[OpenAI.Responses.ResponseCreateParams["tool_choice"], unknown, string[] | undefined]> = [
      ["required", { any: {} }, ["a", "b"]],
      [{ type: "function", name: "b" }, { tool: { name: "b" } }, ["a", "b"]],
      [{ type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "a" }] }, { auto: {} }, ["a"]],
      ["none", undefined, undefined],
    ];
    for (const [choice, expected, offered] of choices) {
      await client.responses.create({ model: MODEL, input: "hi", tools, tool_choice: choice });
      const config = lastBedrockBody().toolConfig;
      assert.deepEqual(config?.toolChoice, expected, JSON.stringify(choice));
      assert.deepEqual(config?.tools.map((tool: any) => tool.toolSpec.name), offered);
    }
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
    await client.responses.create({
      model: MODEL,
      text: { format: { type: "json_object" } },
      input: [{ role: "user", content: [{ type: "input_text", text: "Describe" }, { type: "input_image", image_url: `data:image/png;base64,${png}`, detail: "auto" }] }],
    });
    const body = lastBedrockBody();
    assert.equal(body.outputConfig, undefined);
    assert.deepEqual(body.system, [{ text: "Answer with one valid JSON object and nothing else." }]);
    assert.deepEqual(body.messages[0].content[1], { image: { format: "png", source: { bytes: png } } });
  });
});
