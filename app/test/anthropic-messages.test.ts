import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { KEEP_ALIVE_FRAME_MS } from "../src/http/stream-response";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { parseSse } from "./helpers/sse";

/**
 * `POST /v1/messages` with the real `@anthropic-ai/sdk` over real sockets, against the service and the local
 * Bedrock stand-in. The SDK's base URL is the service plus its stage (`http://host:port/v1`), as a client of the
 * deployed API uses the stack's `url` output: the SDK appends `/v1/messages`.
 */
describe("Anthropic Messages: the SDK's view", () => {
  let h: Harness;
  let client: Anthropic;
  let model: string;
  before(async () => {
    // A model other than Claude: the Anthropic route translates to Converse for it (Claude models take the native
    // path: anthropic-native.test.ts), so these tests pin down that translation.
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: "amazon.nova-pro-v1:0" });
    client = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "test-key", maxRetries: 0 });
    model = h.config.modelId;
  });
  after(() => h.close());

  const lastConverse = () => h.fake.requests.at(-1)!.body;
  const user = (content: Anthropic.MessageParam["content"]): Anthropic.MessageParam => ({ role: "user", content });

  it("streams Anthropic's event sequence, and finalMessage() holds the reply with Bedrock's final usage", async () => {
    h.fake.setScenario({
      steps: [{ text: "Hello" }, { text: ", wor" }, { text: "ld 🙂" }],
      usage: { inputTokens: 21, outputTokens: 3 },
    });
    const stream = client.messages.stream({ model, max_tokens: 64, messages: [user("Say hello")] });
    const events: Anthropic.MessageStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    assert.deepEqual(
      events.map((event) => ("delta" in event && "type" in event.delta ? `${event.type}:${event.delta.type}` : event.type)),
      [
        "message_start",
        "content_block_start",
        "content_block_delta:text_delta",
        "content_block_delta:text_delta",
        "content_block_delta:text_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
      ],
    );
    const start = events[0] as Anthropic.RawMessageStartEvent;
    assert.match(start.message.id, /^msg_[0-9a-f]{32}$/);
    assert.equal(start.message.model, model);
    assert.ok(start.message.usage.input_tokens > 0, "message_start announces an input estimate");
    const final = await stream.finalMessage();
    assert.equal(final.id, start.message.id);
    assert.deepEqual(final.content, [{ type: "text", text: "Hello, world 🙂" }]);
    assert.equal(final.stop_reason, "end_turn");
    assert.equal(final.stop_sequence, null);
    assert.deepEqual(final.usage, { input_tokens: 21, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    assert.deepEqual(lastConverse().messages, [{ role: "user", content: [{ text: "Say hello" }] }]);
    assert.equal(lastConverse().inferenceConfig.maxTokens, 64);
    assert.equal(h.fake.requests.at(-1)!.modelId, model);
  });

  it("sends a ping right after message_start, and frames every event as `event:` + `data:` lines", async () => {
    h.fake.setScenario({ steps: [{ text: "hi" }] });
    const reply = await request(h.url, {
      method: "POST",
      path: "/v1/messages",
      headers: { "anthropic-version": "2023-06-01" },
      body: { model, max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers["content-type"]), /^text\/event-stream/);
    assert.equal(reply.headers["cache-control"], "no-cache");
    const events = parseSse(reply.text);
    assert.deepEqual(events.map((e) => e.event).slice(0, 3), ["message_start", "ping", "content_block_start"]);
    assert.deepEqual(events[1].data, { type: "ping" });
    for (const { event, data } of events) assert.equal(data.type, event, "each event's data names its event");
  });

  it(`sends a ping when the model is silent for ${KEEP_ALIVE_FRAME_MS / 1000} s, so idle proxies keep the stream`, async function () {
    this.timeout(KEEP_ALIVE_FRAME_MS * 2);
    h.fake.setScenario({ steps: [{ text: "before" }, { text: "after", delayMs: KEEP_ALIVE_FRAME_MS + 1000 }] });
    const reply = await request(h.url, {
      method: "POST",
      path: "/v1/messages",
      body: { model, max_tokens: 16, stream: true, messages: [{ role: "user", content: "think long" }] },
    });
    const names = parseSse(reply.text).map((e) => (e.event === "content_block_delta" ? e.data.delta.text : e.event));
    assert.deepEqual(names, ["message_start", "ping", "content_block_start", "before", "ping", "after", "content_block_stop", "message_delta", "message_stop"]);
  });

  it("answers stream:false with one message object", async () => {
    h.fake.setScenario({ steps: [{ text: "Bonjour" }, { text: " !" }], usage: { inputTokens: 7, outputTokens: 2 } });
    const message = await client.messages.create({ model, max_tokens: 32, messages: [user("Hi")] });
    assert.match(message.id, /^msg_/);
    const { id: _id, ...rest } = message;
    assert.deepEqual(rest, {
      type: "message",
      role: "assistant",
      model,
      content: [{ type: "text", text: "Bonjour !", citations: null }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 7, output_tokens: 2, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  it("carries system (string or blocks), multi-turn history and every inference setting to Converse", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }], stopReason: "stop_sequence" });
    // The sampling settings older SDKs and Claude Code still send (this SDK version no longer types them).
    const sampling = { temperature: 0.3, top_p: 0.9, top_k: 40 };
    const message = await client.messages.create({
      model,
      max_tokens: 300,
      system: "Be brief.",
      ...sampling,
      stop_sequences: ["END"],
      messages: [user("Hi"), { role: "assistant", content: "Hello!" }, user("Tell me"), user([{ type: "text", text: "a joke" }])],
    } as Anthropic.MessageCreateParamsNonStreaming);
    assert.equal(message.stop_reason, "stop_sequence");
    assert.equal(message.stop_sequence, "END", "the one stop sequence given is the one that matched");
    const body = lastConverse();
    assert.deepEqual(body.system, [{ text: "Be brief." }]);
    assert.deepEqual(body.messages, [
      { role: "user", content: [{ text: "Hi" }] },
      { role: "assistant", content: [{ text: "Hello!" }] },
      // Consecutive turns of one role are one turn, as the Messages API treats them.
      { role: "user", content: [{ text: "Tell me" }, { text: "a joke" }] },
    ]);
    assert.deepEqual(body.inferenceConfig, { maxTokens: 300, temperature: 0.3, topP: 0.9, stopSequences: ["END"] });
    assert.deepEqual(body.additionalModelRequestFields, { top_k: 40 });

    await client.messages.create({
      model,
      max_tokens: 10,
      system: [{ type: "text", text: "Rule one." }, { type: "text", text: "Rule two." }],
      messages: [user("x")],
    });
    assert.deepEqual(lastConverse().system, [{ text: "Rule one." }, { text: "Rule two." }]);
    assert.equal(lastConverse().additionalModelRequestFields, undefined);
  });

  it("streams a tool call's input as input_json_delta pieces, then takes the tool_result turn", async () => {
    h.fake.setScenario({
      steps: [
        { text: "Let me check." },
        { toolUse: { id: "toolu_01", name: "get_weather" } },
        { toolInput: '{"city": "Par' },
        { toolInput: 'is", "unit": "c"}' },
      ],
      stopReason: "tool_use",
    });
    const tools: Anthropic.Tool[] = [
      {
        name: "get_weather",
        description: "Current weather",
        input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    ];
    const stream = client.messages.stream({ model, max_tokens: 200, tools, tool_choice: { type: "auto" }, messages: [user("Weather?")] });
    const pieces: string[] = [];
    stream.on("inputJson", (partial) => pieces.push(partial));
    const first = await stream.finalMessage();
    assert.deepEqual(pieces, ['{"city": "Par', 'is", "unit": "c"}']);
    assert.equal(first.stop_reason, "tool_use");
    assert.deepEqual(first.content[1], { type: "tool_use", id: "toolu_01", name: "get_weather", input: { city: "Paris", unit: "c" } });
    assert.deepEqual(lastConverse().toolConfig, {
      tools: [
        {
          toolSpec: {
            name: "get_weather",
            description: "Current weather",
            inputSchema: { json: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } },
          },
        },
      ],
      toolChoice: { auto: {} },
    });

    h.fake.setScenario({ steps: [{ text: "It is sunny." }] });
    const png = Buffer.from("89504e470d0a1a0a", "hex").toString("base64");
    const second = await client.messages.create({
      model,
      max_tokens: 200,
      tools,
      tool_choice: { type: "tool", name: "get_weather" },
      messages: [
        user("Weather?"),
        { role: "assistant", content: first.content },
        user([
          { type: "tool_result", tool_use_id: "toolu_01", content: [{ type: "text", text: "sunny, 24 C" }, { type: "image", source: { type: "base64", media_type: "image/png", data: png } }] },
          { type: "tool_result", tool_use_id: "toolu_02", content: "station offline", is_error: true },
        ]),
      ],
    });
    assert.equal(second.content[0].type === "text" && second.content[0].text, "It is sunny.");
    const body = lastConverse();
    assert.deepEqual(body.messages[1].content, [
      { text: "Let me check." },
      { toolUse: { toolUseId: "toolu_01", name: "get_weather", input: { city: "Paris", unit: "c" } } },
    ]);
    assert.deepEqual(body.messages[2].content, [
      { toolResult: { toolUseId: "toolu_01", content: [{ text: "sunny, 24 C" }, { image: { format: "png", source: { bytes: png } } }] } },
      { toolResult: { toolUseId: "toolu_02", content: [{ text: "station offline" }], status: "error" } },
    ]);
    assert.deepEqual(body.toolConfig.toolChoice, { tool: { name: "get_weather" } });
  });

  it("maps tool_choice any, and none (the tools are left out, so the model cannot call them)", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const tools: Anthropic.Tool[] = [{ name: "f", input_schema: { type: "object" } }];
    await client.messages.create({ model, max_tokens: 10, tools, tool_choice: { type: "any" }, messages: [user("x")] });
    assert.deepEqual(lastConverse().toolConfig.toolChoice, { any: {} });
    await client.messages.create({ model, max_tokens: 10, tools, tool_choice: { type: "none" }, messages: [user("x")] });
    assert.equal(lastConverse().toolConfig, undefined);
  });

  it("streams thinking with its signature, and passes thinking blocks back with their signatures next turn", async () => {
    const secret = Buffer.from("encrypted reasoning bytes");
    h.fake.setScenario({
      steps: [
        { reasoning: "The user wants" },
        { reasoning: " a number." },
        { signature: "EqQBCkYIBxgCKkB-signature" },
        { text: "Hmm." },
        { redacted: secret.toString("base64") },
        { text: "42" },
      ],
    });
    const stream = client.messages.stream({
      model,
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [user("Pick a number")],
    });
    const thinking: string[] = [];
    const signatures: string[] = [];
    stream.on("thinking", (delta) => thinking.push(delta));
    stream.on("signature", (signature) => signatures.push(signature));
    const final = await stream.finalMessage();
    assert.deepEqual(thinking, ["The user wants", " a number."]);
    assert.deepEqual(signatures, ["EqQBCkYIBxgCKkB-signature"]);
    assert.deepEqual(final.content, [
      { type: "thinking", thinking: "The user wants a number.", signature: "EqQBCkYIBxgCKkB-signature" },
      { type: "text", text: "Hmm." },
      { type: "redacted_thinking", data: secret.toString("base64") },
      { type: "text", text: "42" },
    ]);
    assert.deepEqual(lastConverse().additionalModelRequestFields, { thinking: { type: "enabled", budget_tokens: 2048 } });

    h.fake.setScenario({ steps: [{ text: "Again: 42" }] });
    await client.messages.create({
      model,
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [user("Pick a number"), { role: "assistant", content: final.content }, user("Again?")],
    });
    assert.deepEqual(lastConverse().messages[1].content, [
      { reasoningContent: { reasoningText: { text: "The user wants a number.", signature: "EqQBCkYIBxgCKkB-signature" } } },
      { text: "Hmm." },
      { reasoningContent: { redactedContent: secret.toString("base64") } },
      { text: "42" },
    ]);
  });

  it("turns cache_control on system blocks, tools and message content into cachePoints, and reports cache usage", async () => {
    h.fake.setScenario({
      steps: [{ text: "cached" }],
      usage: { inputTokens: 5, outputTokens: 1, cacheReadInputTokens: 1800, cacheWriteInputTokens: 120 },
    });
    const ephemeral = { type: "ephemeral" as const };
    const params: Anthropic.MessageCreateParamsNonStreaming = {
      model,
      max_tokens: 50,
      system: [{ type: "text", text: "Long instructions", cache_control: ephemeral }, { type: "text", text: "Today is Monday." }],
      tools: [
        { name: "a", input_schema: { type: "object" } },
        { name: "b", input_schema: { type: "object" }, cache_control: { type: "ephemeral", ttl: "1h" } },
      ],
      messages: [user([{ type: "text", text: "Big document", cache_control: ephemeral }, { type: "text", text: "Question" }])],
    };
    const message = await client.messages.create(params);
    assert.deepEqual(message.usage, { input_tokens: 5, output_tokens: 1, cache_creation_input_tokens: 120, cache_read_input_tokens: 1800 });
    const body = lastConverse();
    assert.deepEqual(body.system, [{ text: "Long instructions" }, { cachePoint: { type: "default" } }, { text: "Today is Monday." }]);
    assert.deepEqual(body.toolConfig.tools.map((tool: any) => tool.toolSpec?.name ?? tool.cachePoint), [
      "a",
      "b",
      { type: "default", ttl: "1h" },
    ]);
    assert.deepEqual(body.messages[0].content, [{ text: "Big document" }, { cachePoint: { type: "default" } }, { text: "Question" }]);

    const streamed = await client.messages.stream({ ...params, stream: true }).finalMessage();
    assert.deepEqual(streamed.usage, message.usage, "message_delta carries the cache counts to the SDK's snapshot");
  });

  it("top-level cache_control (automatic caching) marks the conversation's last block", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.messages.create({
      model,
      max_tokens: 10,
      cache_control: { type: "ephemeral" },
      messages: [user("first"), { role: "assistant", content: "reply" }, user([{ type: "text", text: "a" }, { type: "text", text: "b" }])],
    });
    assert.deepEqual(lastConverse().messages[2].content, [{ text: "a" }, { text: "b" }, { cachePoint: { type: "default" } }]);
  });

  it("a tool result may hold documents; a cache mark inside it marks the tool result (Converse has no cache point inside one)", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.messages.create({
      model,
      max_tokens: 10,
      tools: [{ name: "f", input_schema: { type: "object" } }],
      messages: [
        user("go"),
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "f", input: {} }] },
        user([
          {
            type: "tool_result",
            tool_use_id: "t1",
            content: [
              { type: "document", title: "out.txt", source: { type: "text", media_type: "text/plain", data: "file" } },
              { type: "text", text: "long output", cache_control: { type: "ephemeral" } },
            ],
          },
          { type: "text", text: "next" },
        ]),
      ],
    });
    assert.deepEqual(lastConverse().messages[2].content, [
      {
        toolResult: {
          toolUseId: "t1",
          content: [{ document: { format: "txt", name: "out txt", source: { bytes: Buffer.from("file").toString("base64") } } }, { text: "long output" }],
        },
      },
      { cachePoint: { type: "default" } },
      { text: "next" },
    ]);
  });

  it("takes a non-streamed reply's content back as history, and the settings Bedrock satisfies as they are", async () => {
    h.fake.setScenario({ steps: [{ text: "first answer" }] });
    const first = await client.messages.create({ model, max_tokens: 10, messages: [user("q1")] });
    await client.messages.create({
      model,
      max_tokens: 10,
      service_tier: "standard_only",
      messages: [user("q1"), { role: "assistant", content: first.content }, user("q2")],
    });
    assert.deepEqual(lastConverse().messages[1], { role: "assistant", content: [{ text: "first answer" }] });
    // Adaptive thinking means nothing to a model without thinking: accepted, and Converse gets none.
    await client.messages.create({ model, max_tokens: 2000, thinking: { type: "adaptive" }, output_config: { effort: "high" }, messages: [user("x")] } as never);
    assert.equal(lastConverse().additionalModelRequestFields, undefined);
  });

  it("passes images and documents (PDF, plain text) as Converse bytes", async () => {
    h.fake.setScenario({ steps: [{ text: "seen" }] });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const pdf = Buffer.from("%PDF-1.4 minimal");
    await client.messages.create({
      model,
      max_tokens: 20,
      messages: [
        user([
          { type: "image", source: { type: "base64", media_type: "image/jpeg", data: jpeg.toString("base64") } },
          { type: "document", title: "Q3 report: final!", source: { type: "base64", media_type: "application/pdf", data: pdf.toString("base64") } },
          { type: "document", source: { type: "text", media_type: "text/plain", data: "plain notes ✓" }, context: "from the wiki" },
          { type: "text", text: "Summarise" },
        ]),
      ],
    });
    const [image, report, notes, text] = lastConverse().messages[0].content;
    assert.deepEqual(image, { image: { format: "jpeg", source: { bytes: jpeg.toString("base64") } } });
    assert.deepEqual(report, { document: { format: "pdf", name: "Q3 report final", source: { bytes: pdf.toString("base64") } } });
    assert.deepEqual(notes, {
      document: { format: "txt", name: "document-2", source: { bytes: Buffer.from("plain notes ✓").toString("base64") }, context: "from the wiki" },
    });
    assert.deepEqual(text, { text: "Summarise" });
  });

  it("logs metadata.user_id as an opaque tag, the format and the route, and no prompt text", async () => {
    h.fake.setScenario({ steps: [{ text: "secret reply" }] });
    const { response } = await client.messages
      .create({ model, max_tokens: 20, metadata: { user_id: "user 42 <alice@example.com>" }, messages: [user("secret prompt")] })
      .withResponse();
    const log = await h.logFor(String(response.headers.get("x-request-id")));
    assert.equal(log.route, "/v1/messages");
    assert.equal(log.format, "anthropic");
    assert.equal(log.model, model);
    assert.match(log.userTag, /^sha256:[0-9a-f]{16}$/);
    const text = JSON.stringify(h.logs);
    for (const secret of ["secret prompt", "secret reply", "alice@example.com"]) assert.ok(!text.includes(secret), secret);
  });

  it("never refuses an anthropic-beta: a model other than Claude takes none, and the log line names the dropped ones", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const { response } = await client.messages
      .create(
        { model, max_tokens: 10, messages: [user("x")] },
        { headers: { "anthropic-beta": "files-api-2025-04-14,interleaved-thinking-2025-05-14,some-future-beta-2027-01-01" } },
      )
      .withResponse();
    assert.equal(lastConverse().additionalModelRequestFields, undefined);
    const log = await h.logFor(String(response.headers.get("x-request-id")));
    assert.deepEqual(log.betasDropped, ["files-api-2025-04-14", "interleaved-thinking-2025-05-14", "some-future-beta-2027-01-01"]);
  });

  it("serves the routes without the stage prefix too (API Gateway may strip it)", async () => {
    h.fake.setScenario({ steps: [{ text: "direct" }] });
    const reply = await request(h.url, {
      method: "POST",
      path: "/v1/messages",
      body: { model, max_tokens: 8, messages: [{ role: "user", content: "hi" }] },
    });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json().content[0].text, "direct");
  });
});
