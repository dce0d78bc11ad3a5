import assert from "node:assert/strict";
import OpenAI from "openai";
import { type Harness, startHarness } from "./helpers/harness";

const MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const OTHER_MODEL = "us.amazon.nova-lite-v1:0";
/** A 1x1 transparent PNG. */
const PNG_BASE64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

/**
 * The real `openai` npm client against the service and the local Bedrock stand-in over real sockets, with the
 * base URL a deployment gives (`.../v1`): what it sends is what reaches Bedrock, what Bedrock streams is what it reads.
 */
describe("OpenAI Chat Completions with the openai SDK", () => {
  let h: Harness;
  let client: OpenAI;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: MODEL, ALLOWED_MODEL_IDS: OTHER_MODEL, STRICT_MODELS: "true" });
    client = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0 });
  });
  after(() => h.close());
  const lastBedrockBody = () => h.fake.requests.at(-1)!.body;

  it("streams text deltas as chunks: role first, one chunk per delta, finish_reason, usage, [DONE]", async () => {
    h.fake.setScenario({ steps: [{ text: "Hello" }, { text: ", wor" }, { text: "ld 🙂" }], usage: { inputTokens: 12, outputTokens: 3, cacheReadInputTokens: 8, cacheWriteInputTokens: 2 } });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Say hello" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks[0].choices[0].delta.role, "assistant");
    assert.deepEqual(chunks.slice(1, 4).map((c) => c.choices[0].delta.content), ["Hello", ", wor", "ld 🙂"]);
    assert.equal(chunks[4].choices[0].finish_reason, "stop");
    assert.deepEqual(chunks[5].choices, []);
    assert.deepEqual(chunks[5].usage, { prompt_tokens: 22, completion_tokens: 3, total_tokens: 25, prompt_tokens_details: { cached_tokens: 8 } });
    assert.equal(chunks.length, 6);
    for (const chunk of chunks) {
      assert.equal(chunk.object, "chat.completion.chunk");
      assert.equal(chunk.model, MODEL);
      assert.equal(chunk.id, chunks[0].id);
      assert.match(chunk.id, /^chatcmpl-/);
    }
    assert.equal(lastBedrockBody().messages[0].content[0].text, "Say hello");
  });

  it("without include_usage there is no usage chunk", async () => {
    h.fake.setScenario({ steps: [{ text: "a" }] });
    const stream = await client.chat.completions.create({ messages: [{ role: "user", content: "x" }], model: MODEL, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.equal(chunks.at(-1)!.choices[0].finish_reason, "stop");
    assert.ok(chunks.every((chunk) => chunk.usage === undefined));
  });

  it("answers stream:false with one chat.completion (same content, finish reason and usage)", async () => {
    h.fake.setScenario({ steps: [{ text: "Four" }, { text: "." }], stopReason: "max_tokens", usage: { inputTokens: 9, outputTokens: 2 } });
    const completion = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "2+2?" }], max_completion_tokens: 2 });
    assert.equal(completion.object, "chat.completion");
    assert.equal(completion.choices[0].message.role, "assistant");
    assert.equal(completion.choices[0].message.content, "Four.");
    assert.equal(completion.choices[0].finish_reason, "length");
    assert.deepEqual(completion.usage, { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11, prompt_tokens_details: { cached_tokens: 0 } });
    assert.equal(lastBedrockBody().inferenceConfig.maxTokens, 2);
  });

  it("maps a multi-turn conversation with system and developer messages, merging same-role turns", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "One" },
        { role: "user", content: [{ type: "text", text: "Two" }] },
        { role: "assistant", content: "Three" },
        { role: "developer", content: "Answer in English." },
        { role: "user", content: "Four" },
      ],
      temperature: 0.3,
      top_p: 0.9,
      stop: "END",
      user: "tenant-42",
    });
    const body = lastBedrockBody();
    assert.deepEqual(body.system, [{ text: "Be brief." }, { text: "Answer in English." }]);
    assert.deepEqual(body.messages, [
      { role: "user", content: [{ text: "One" }, { text: "Two" }] },
      { role: "assistant", content: [{ text: "Three" }] },
      { role: "user", content: [{ text: "Four" }] },
    ]);
    assert.deepEqual(body.inferenceConfig, { maxTokens: 1024, temperature: 0.3, topP: 0.9, stopSequences: ["END"] });
    const log = h.logs.filter((line) => line.route === "/chat/completions").at(-1)!;
    assert.equal(log.userTag, "tenant-42");
    assert.equal(log.format, "openai");
    assert.doesNotMatch(JSON.stringify(h.logs), /Be brief|Answer in English/, "prompt text never reaches the logs");
  });

  it("streams a tool call as fragments, and sends the tool result back as a toolResult", async () => {
    h.fake.setScenario({
      steps: [{ text: "Checking." }, { toolUse: { id: "tooluse_1", name: "get_weather" } }, { toolInput: '{"city":' }, { toolInput: '"Paris"}' }],
      stopReason: "tool_use",
    });
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      { type: "function", function: { name: "get_weather", description: "Weather now", parameters: { type: "object", properties: { city: { type: "string" } } } } },
    ];
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "Weather in Paris?" }], tools, tool_choice: "auto", stream: true });
    const fragments = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      fragments.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, "tool_calls");
    assert.deepEqual(fragments, [
      { index: 0, id: "tooluse_1", type: "function", function: { name: "get_weather", arguments: "" } },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
    ]);
    assert.deepEqual(lastBedrockBody().toolConfig, {
      tools: [{ toolSpec: { name: "get_weather", description: "Weather now", inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } } } }],
      toolChoice: { auto: {} },
    });

    h.fake.setScenario({ steps: [{ text: "Sunny in Paris." }] });
    const final = await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: "Checking.", tool_calls: [{ id: "tooluse_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "tooluse_1", content: "sunny, 24 C" },
      ],
    });
    assert.equal(final.choices[0].message.content, "Sunny in Paris.");
    assert.deepEqual(lastBedrockBody().messages.slice(1), [
      { role: "assistant", content: [{ text: "Checking." }, { toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: { city: "Paris" } } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "tooluse_1", content: [{ text: "sunny, 24 C" }] } }] },
    ]);
  });

  it("non-streamed tool calls come whole; a call without input gets {} as arguments", async () => {
    h.fake.setScenario({ steps: [{ toolUse: { id: "t1", name: "now" } }, { toolUse: { id: "t2", name: "add" } }, { toolInput: '{"a":1}' }], stopReason: "tool_use" });
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "time and sum" }],
      tools: [{ type: "function", function: { name: "now" } }, { type: "function", function: { name: "add", parameters: { type: "object" } } }],
      tool_choice: "required",
    });
    const message = completion.choices[0].message;
    assert.equal(message.content, null);
    assert.deepEqual(message.tool_calls, [
      { id: "t1", type: "function", function: { name: "now", arguments: "{}" } },
      { id: "t2", type: "function", function: { name: "add", arguments: '{"a":1}' } },
    ]);
    assert.equal(completion.choices[0].finish_reason, "tool_calls");
    assert.deepEqual(lastBedrockBody().toolConfig.toolChoice, { any: {} });
  });

  it("reasoning_effort enables extended thinking; reasoning streams as reasoning_content", async () => {
    h.fake.setScenario({ steps: [{ reasoning: "Think" }, { reasoning: "ing." }, { signature: "sig" }, { text: "Done." }] });
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "Hard one" }], reasoning_effort: "low", max_tokens: 500, stream: true });
    const reasoning: string[] = [];
    const content: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      if (delta?.reasoning_content) reasoning.push(delta.reasoning_content);
      if (delta?.content) content.push(delta.content);
    }
    assert.deepEqual(reasoning, ["Think", "ing."]);
    assert.deepEqual(content, ["Done."]);
    const body = lastBedrockBody();
    assert.deepEqual(body.additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 2048 } });
    assert.equal(body.inferenceConfig.maxTokens, 2048 + 500, "the answer's allowance comes on top of the budget");

    h.fake.setScenario({ steps: [{ reasoning: "Hmm." }, { signature: "sig" }, { text: "Yes." }] });
    const completion = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "Sure?" }], reasoning_effort: "high" });
    const message = completion.choices[0].message as { content: string | null; reasoning_content?: string };
    assert.equal(message.reasoning_content, "Hmm.");
    assert.equal(message.content, "Yes.");
    assert.equal(lastBedrockBody().inferenceConfig.maxTokens, 16384 + 1024);
  });

  it("answering a tool round continues without thinking (its signed thinking blocks cannot come back in this format)", async () => {
    h.fake.setScenario({ steps: [{ text: "It is 3." }] });
    const tools: OpenAI.Chat.ChatCompletionTool[] = [{ type: "function", function: { name: "add" } }];
    const toolRound: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: "user", content: "1+2?" },
      { role: "assistant", content: null, tool_calls: [{ id: "t1", type: "function", function: { name: "add", arguments: '{"a":1,"b":2}' } }] },
      { role: "tool", tool_call_id: "t1", content: "3" },
    ];
    await client.chat.completions.create({ model: MODEL, tools, reasoning_effort: "low", max_tokens: 300, messages: toolRound });
    assert.equal(lastBedrockBody().additionalModelRequestFields, undefined);
    assert.equal(lastBedrockBody().inferenceConfig.maxTokens, 300);
    await client.chat.completions.create({
      model: MODEL, tools, reasoning_effort: "low", messages: [...toolRound, { role: "assistant", content: "It is 3." }, { role: "user", content: "And 2+2?" }],
    });
    assert.deepEqual(lastBedrockBody().additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 2048 } }, "the next user turn thinks again");
  });

  it("skips an empty assistant message (a cut-off reply) and merges the user turns around it", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "A" }, { role: "assistant", content: "" }, { role: "user", content: "B" }],
    });
    assert.deepEqual(lastBedrockBody().messages, [{ role: "user", content: [{ text: "A" }, { text: "B" }] }]);
  });

  it("sends a data: URL image as a Bedrock image block", async () => {
    h.fake.setScenario({ steps: [{ text: "A pixel." }] });
    await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: [{ type: "text", text: "What is this?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_BASE64}` } }] }],
    });
    const content = lastBedrockBody().messages[0].content;
    assert.deepEqual(content[0], { text: "What is this?" });
    assert.equal(content[1].image.format, "png");
    assert.equal(content[1].image.source.bytes, PNG_BASE64, "the SDK sent the same bytes (base64 on the wire)");
  });

  it("serves any allowed model, and lists them on GET /models", async () => {
    h.fake.setScenario({ steps: [{ text: "hi" }] });
    const completion = await client.chat.completions.create({ model: OTHER_MODEL, messages: [{ role: "user", content: "hi" }] });
    assert.equal(completion.model, OTHER_MODEL);
    assert.equal(h.fake.requests.at(-1)!.modelId, OTHER_MODEL);
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    assert.deepEqual(models.map(({ context_window: _window, max_output_tokens: _limit, ...model }: any) => model), [
      { id: MODEL, object: "model", created: 0, owned_by: "anthropic", kind: "chat" },
      { id: OTHER_MODEL, object: "model", created: 0, owned_by: "amazon", kind: "chat" },
    ]);
  });

  it("an unknown model is a 404 model_not_found naming it under strictModels (NotFoundError)", async () => {
    const before = h.fake.requests.length;
    const error = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    assert.ok(error instanceof OpenAI.NotFoundError, String(error));
    assert.equal(error.code, "model_not_found");
    assert.equal(error.param, "model");
    assert.match(error.message, /gpt-4o/);
    assert.equal(h.fake.requests.length, before, "Bedrock is not called");
  });
});
