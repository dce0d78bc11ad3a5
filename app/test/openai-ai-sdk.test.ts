import assert from "node:assert/strict";
import { createOpenAICompatible, type OpenAICompatibleProvider } from "@ai-sdk/openai-compatible";
import { APICallError, generateText, stepCountIs, streamText, tool } from "ai";
import * as z from "zod";
import { type Harness, startHarness } from "./helpers/harness";

const MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const PNG = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=", "base64");

/** The real Vercel AI SDK (`ai` + `@ai-sdk/openai-compatible`) against the service and the stand-in. */
describe("OpenAI Chat Completions with the Vercel AI SDK", () => {
  let h: Harness;
  let gateway: OpenAICompatibleProvider;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: MODEL, STRICT_MODELS: "true" });
    gateway = createOpenAICompatible({ name: "gateway", baseURL: `${h.url}/v1`, apiKey: "sk-local", includeUsage: true });
  });
  after(() => h.close());
  const lastBedrockBody = () => h.fake.requests.at(-1)!.body;

  it("streamText: text deltas, finish reason and usage", async () => {
    h.fake.setScenario({ steps: [{ text: "Hello" }, { text: " there" }], usage: { inputTokens: 7, outputTokens: 2, cacheReadInputTokens: 3 } });
    const result = streamText({ model: gateway(MODEL), system: "Be kind.", prompt: "Greet me", maxRetries: 0 });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);
    assert.deepEqual(deltas, ["Hello", " there"]);
    assert.equal(await result.finishReason, "stop");
    const usage = await result.usage;
    assert.equal(usage.inputTokens, 10);
    assert.equal(usage.outputTokens, 2);
    assert.equal(usage.inputTokenDetails.cacheReadTokens, 3);
    assert.deepEqual(lastBedrockBody().system, [{ text: "Be kind." }]);
  });

  it("generateText (stream: false): the same reply in one body", async () => {
    h.fake.setScenario({ steps: [{ text: "Fine" }, { text: ", thanks." }], usage: { inputTokens: 4, outputTokens: 3 } });
    const result = await generateText({ model: gateway(MODEL), prompt: "How are you?", maxOutputTokens: 50, temperature: 0.5, maxRetries: 0 });
    assert.equal(result.text, "Fine, thanks.");
    assert.equal(result.usage.totalTokens, 7);
    assert.deepEqual(lastBedrockBody().inferenceConfig, { maxTokens: 50, temperature: 0.5 });
  });

  it("a tool call round trip: the SDK runs the tool and sends its result back", async () => {
    h.fake.setScenario((req) =>
      req.body.messages.length === 1
        ? { steps: [{ toolUse: { id: "tooluse_42", name: "add" } }, { toolInput: '{"a":2,' }, { toolInput: '"b":3}' }], stopReason: "tool_use" }
        : { steps: [{ text: "It is 5." }] },
    );
    const result = streamText({
      model: gateway(MODEL),
      prompt: "What is 2+3?",
      tools: { add: tool({ description: "Adds", inputSchema: z.object({ a: z.number(), b: z.number() }), execute: async ({ a, b }) => String(a + b) }) },
      stopWhen: stepCountIs(2),
      maxRetries: 0,
    });
    assert.equal(await result.text, "It is 5.");
    const steps = await result.steps;
    assert.deepEqual(steps[0].toolCalls.map((call) => [call.toolCallId, call.toolName, call.input]), [["tooluse_42", "add", { a: 2, b: 3 }]]);
    assert.equal(steps[0].finishReason, "tool-calls");
    const body = lastBedrockBody();
    assert.deepEqual(body.messages.slice(1), [
      { role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_42", name: "add", input: { a: 2, b: 3 } } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "tooluse_42", content: [{ text: "5" }] } }] },
    ]);
    assert.equal(body.toolConfig.tools[0].toolSpec.name, "add");
  });

  it("reasoning via providerOptions reasoningEffort arrives as reasoning parts", async () => {
    h.fake.setScenario({ steps: [{ reasoning: "Let me see." }, { signature: "s" }, { text: "Yes." }] });
    const result = await generateText({
      model: gateway(MODEL),
      prompt: "Is it?",
      providerOptions: { gateway: { reasoningEffort: "medium" } },
      maxRetries: 0,
    });
    assert.equal(result.reasoningText, "Let me see.");
    assert.equal(result.text, "Yes.");
    assert.deepEqual(lastBedrockBody().additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 8192 } });
  });

  it("an image part becomes a Bedrock image block", async () => {
    h.fake.setScenario({ steps: [{ text: "A dot." }] });
    await generateText({
      model: gateway(MODEL),
      messages: [{ role: "user", content: [{ type: "text", text: "What is it?" }, { type: "image", image: PNG, mediaType: "image/png" }] }],
      maxRetries: 0,
    });
    const [text, image] = lastBedrockBody().messages[0].content;
    assert.deepEqual(text, { text: "What is it?" });
    assert.deepEqual(image, { image: { format: "png", source: { bytes: PNG.toString("base64") } } });
  });

  it("errors before the stream are APICallErrors with the status (429 retryable, 400 not)", async () => {
    h.fake.setScenario({ error: { type: "ThrottlingException" } });
    const throttled = await generateText({ model: gateway(MODEL), prompt: "x", maxRetries: 0 }).catch((e) => e);
    assert.ok(APICallError.isInstance(throttled), String(throttled));
    assert.equal(throttled.statusCode, 429);
    assert.equal(throttled.isRetryable, true);
    assert.equal(throttled.responseHeaders?.["retry-after"], "5");

    const unknown = await generateText({ model: gateway("no-such-model"), prompt: "x", maxRetries: 0 }).catch((e) => e);
    assert.ok(APICallError.isInstance(unknown));
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.message, /no-such-model/);
  });

  it("an error after the stream started is an error part with the gateway's message", async () => {
    h.fake.setScenario({ steps: [{ text: "partial" }, { exception: "modelStreamErrorException" }] });
    const errors: unknown[] = [];
    const result = streamText({ model: gateway(MODEL), prompt: "x", maxRetries: 0, onError: ({ error }) => void errors.push(error) });
    const parts: string[] = [];
    for await (const part of result.fullStream) parts.push(part.type === "text-delta" ? part.text : part.type);
    assert.ok(parts.includes("partial"));
    assert.equal(errors.length, 1);
    assert.deepEqual(errors[0], { message: "The model stream failed", type: "server_error", param: null, code: "model_stream_error" });
  });
});
