import assert from "node:assert/strict";
import {
  type ContentBlock,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
  InvokeModelWithResponseStreamCommand,
  type Message,
} from "@aws-sdk/client-bedrock-runtime";
import * as z from "zod";
import { detectLanguage } from "../local/language";
import { parseScenarioJson } from "../local/scenario-schema";
import { schemaInstance } from "../local/schema-instance";
import { useStandIn } from "./helpers/stand-in";

const MODEL_ID = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

const WEATHER_SCHEMA = {
  type: "object",
  properties: {
    city: { type: "string", minLength: 2 },
    unit: { type: "string", enum: ["celsius", "fahrenheit"] },
    days: { type: "integer", minimum: 1, maximum: 7 },
    note: { type: "string" },
  },
  required: ["city", "unit", "days"],
  additionalProperties: false,
};
const SHELL_SCHEMA = { type: "object", properties: { command: { type: "array", items: { type: "string" } } }, required: ["command"] };

/** What one call produced, whichever operation carried it. */
interface Reply {
  text: string;
  reasoning: string;
  tool?: { name: string; id: string; input: any };
  stopReason?: string;
  outputTokens?: number;
}

const converseTools = (tools: [string, unknown][]) => tools.map(([name, json]) => ({ toolSpec: { name, inputSchema: { json: json as any } } }));

/**
 * The stand-in's default behaviour, as a model would answer, on both operations: ConverseStream (Converse events)
 * and InvokeModelWithResponseStream (Anthropic's events), decoded by the real SDK.
 */
describe("local Bedrock stand-in: behaves like a model (language, max_tokens, tools, structured output)", () => {
  const stand = useStandIn();
  beforeEach(() => stand.fake.setScenario({}));

  async function converse(input: Partial<ConverseStreamCommandInput> & { messages: Message[] }): Promise<Reply> {
    const out = await stand.client.send(new ConverseStreamCommand({ modelId: MODEL_ID, ...input }));
    const reply: Reply = { text: "", reasoning: "" };
    let json = "";
    for await (const event of out.stream!) {
      const delta = event.contentBlockDelta?.delta;
      reply.text += delta?.text ?? "";
      reply.reasoning += delta?.reasoningContent?.text ?? "";
      json += delta?.toolUse?.input ?? "";
      const start = event.contentBlockStart?.start?.toolUse;
      if (start) reply.tool = { name: start.name!, id: start.toolUseId!, input: undefined };
      reply.stopReason ??= event.messageStop?.stopReason;
      reply.outputTokens ??= event.metadata?.usage?.outputTokens;
    }
    if (reply.tool) reply.tool.input = JSON.parse(json);
    return reply;
  }

  async function native(body: Record<string, unknown>): Promise<Reply> {
    const full = { anthropic_version: "bedrock-2023-05-31", max_tokens: 1000, ...body };
    const out = await stand.client.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL_ID, body: JSON.stringify(full) }));
    const reply: Reply = { text: "", reasoning: "" };
    let json = "";
    for await (const part of out.body!) {
      const event = JSON.parse(new TextDecoder().decode(part.chunk!.bytes));
      reply.text += event.delta?.text ?? "";
      reply.reasoning += event.delta?.thinking ?? "";
      json += event.delta?.partial_json ?? "";
      if (event.content_block?.type === "tool_use") reply.tool = { name: event.content_block.name, id: event.content_block.id, input: undefined };
      if (event.type === "message_delta") [reply.stopReason, reply.outputTokens] = [event.delta.stop_reason, event.usage.output_tokens];
    }
    if (reply.tool) reply.tool.input = JSON.parse(json);
    return reply;
  }

  const user = (...content: ContentBlock[]): Message => ({ role: "user", content });
  const say = (text: string) => ({ messages: [user({ text })] });

  describe("language of the whole prompt", () => {
    it("judges by most of the letters, not by one character", () => {
      assert.equal(detectLanguage("say hello — and nothing else, please"), "en");
      assert.equal(detectLanguage("Summarise the café’s menu for Zoë"), "en");
      assert.equal(detectLanguage("こんにちは、元気ですか"), "ja");
      assert.equal(detectLanguage("東京について教えて"), "ja");
      assert.equal(detectLanguage("请介绍一下北京"), "zh");
      assert.equal(detectLanguage("안녕하세요 반갑습니다"), "ko");
      assert.equal(detectLanguage("Привет, как дела?"), "ru");
      assert.equal(detectLanguage("Hola, ¿cómo estás? Dime algo por favor"), "es");
      assert.equal(detectLanguage("Bonjour, comment allez-vous ? Dis-moi quelque chose"), "fr");
      assert.equal(detectLanguage("Hallo, wie geht es dir? Sag mir bitte etwas"), "de");
      assert.equal(detectLanguage("Explain the word 日本 in English please"), "en");
    });

    it("answers an English prompt with an em-dash in English and a Japanese prompt in Japanese, on both operations", async () => {
      const kana = /[\u3040-\u30ff]/;
      for (const call of [(text: string) => converse(say(text)), (text: string) => native({ messages: [{ role: "user", content: text }] })]) {
        assert.doesNotMatch((await call("say hello — briefly")).text, kana);
        assert.match((await call("say hello — briefly")).text, /^Hello!/);
        assert.match((await call("東京について教えてください")).text, kana);
        assert.match((await call("Привет, расскажи что-нибудь")).text, /^Здравствуйте/);
      }
    });
  });

  it("stops at max tokens with stop reason max_tokens (Converse maxTokens, native max_tokens)", async () => {
    const c = await converse({ ...say("hello"), inferenceConfig: { maxTokens: 5 } });
    assert.deepEqual([c.stopReason, c.outputTokens, c.text.trim().split(/\s+/).length], ["max_tokens", 5, 5]);
    const n = await native({ max_tokens: 3, messages: [{ role: "user", content: "hello" }] });
    assert.deepEqual([n.stopReason, n.outputTokens, n.text.trim().split(/\s+/).length], ["max_tokens", 3, 3]);
    assert.equal((await converse({ ...say("hello"), inferenceConfig: { maxTokens: 4096 } })).stopReason, "end_turn");
  });

  it("calls an offered tool the prompt names, with input that fits its schema", async () => {
    const validate = z.fromJSONSchema(WEATHER_SCHEMA as any);
    const toolConfig = { tools: converseTools([["get_time", { type: "object" }], ["get_weather", WEATHER_SCHEMA]]) };
    const c = await converse({ ...say("use get_weather for tomorrow"), toolConfig });
    assert.equal(c.stopReason, "tool_use");
    assert.equal(c.tool?.name, "get_weather");
    assert.match(c.tool!.id, /^tooluse_/);
    validate.parse(c.tool!.input);
    assert.deepEqual(Object.keys(c.tool!.input).sort(), ["city", "days", "unit"]);
    const tools = [{ name: "get_weather", description: "weather", input_schema: WEATHER_SCHEMA }];
    const n = await native({ tools, messages: [{ role: "user", content: "What's the weather? Use get_weather." }] });
    assert.equal(n.stopReason, "tool_use");
    validate.parse(n.tool!.input);
    const again = await native({ tools, messages: [{ role: "user", content: "What's the weather? Use get_weather." }] });
    assert.equal(again.tool!.id, n.tool!.id, "the same conversation asks with the same id");
  });

  it("takes a JSON object written after the tool's name as its input, and a `backticked` command for a shell tool", async () => {
    const toolConfig = { tools: converseTools([["get_weather", WEATHER_SCHEMA], ["shell", SHELL_SCHEMA]]) };
    const written = await converse({ ...say('use get_weather {"city":"Oslo","unit":"celsius","days":2} now'), toolConfig });
    assert.deepEqual(written.tool?.input, { city: "Oslo", unit: "celsius", days: 2 });
    const shell = await converse({ ...say("use shell to run `echo hello`"), toolConfig });
    assert.deepEqual(shell.tool, { name: "shell", id: shell.tool?.id, input: { command: ["bash", "-lc", "echo hello"] } });
  });

  it("asked to run a `backticked` command, calls the offered tool that takes one (Codex's exec_command)", async () => {
    const exec = { type: "object", properties: { justification: { type: "string" }, cmd: { type: "string" } }, required: ["justification", "cmd"] };
    const toolConfig = { tools: converseTools([["view_image", { type: "object", properties: { path: { type: "string" } } }], ["exec_command", exec]]) };
    const run = await converse({ ...say("run `echo hello`"), toolConfig });
    assert.equal(run.tool?.name, "exec_command");
    assert.equal(run.tool?.input.cmd, "echo hello");
    assert.equal((await converse({ ...say("echo hello, please"), toolConfig })).tool, undefined, "no command asked for");
  });

  it("does not call a tool that only context blocks mention, nor when none is offered", async () => {
    const toolConfig = { tools: converseTools([["Read", { type: "object", properties: { file_path: { type: "string" } } }]]) };
    const reminder = "<system-reminder>Use the Read tool to read files.</system-reminder>";
    const plain = await converse({ messages: [user({ text: reminder }, { text: "say hello" })], toolConfig });
    assert.equal(plain.tool, undefined);
    assert.equal(plain.stopReason, "end_turn");
    assert.equal((await converse(say("use get_weather"))).tool, undefined);
  });

  it("honours forced tool choice: Converse tool/any and native tool/any; none never calls", async () => {
    const toolConfig = { tools: converseTools([["first", { type: "object" }], ["second", WEATHER_SCHEMA]]) };
    assert.equal((await converse({ ...say("hello"), toolConfig: { ...toolConfig, toolChoice: { tool: { name: "second" } } } })).tool?.name, "second");
    assert.equal((await converse({ ...say("hello"), toolConfig: { ...toolConfig, toolChoice: { any: {} } } })).tool?.name, "first");
    assert.equal((await converse({ ...say("hello"), toolConfig: { ...toolConfig, toolChoice: { auto: {} } } })).tool, undefined);
    const tools = [{ name: "first", input_schema: { type: "object" } }, { name: "second", input_schema: WEATHER_SCHEMA }];
    const messages = [{ role: "user", content: "hello" }];
    assert.equal((await native({ tools, messages, tool_choice: { type: "tool", name: "second" } })).tool?.name, "second");
    assert.equal((await native({ tools, messages, tool_choice: { type: "any" } })).tool?.name, "first");
    const none = await native({ tools, tool_choice: { type: "none" }, messages: [{ role: "user", content: "use second" }] });
    assert.equal(none.tool, undefined);
  });

  it("answers structured output with an instance of the schema (Converse outputConfig, native output_config.format)", async () => {
    const schema = {
      type: "object",
      properties: { name: { type: "string" }, age: { type: "integer", minimum: 18 }, tags: { type: "array", items: { type: "string" }, minItems: 2 } },
      required: ["name", "age", "tags"],
      additionalProperties: false,
    };
    const validate = z.fromJSONSchema(schema as any);
    const outputConfig = { textFormat: { type: "json_schema" as const, structure: { jsonSchema: { schema: JSON.stringify(schema), name: "person" } } } };
    const c = await converse({ ...say("describe a person"), outputConfig });
    assert.deepEqual(validate.parse(JSON.parse(c.text)), JSON.parse(c.text));
    const n = await native({ messages: [{ role: "user", content: "describe a person" }], output_config: { format: { type: "json_schema", schema } } });
    validate.parse(JSON.parse(n.text));
  });

  it("after a tool result, answers with final text that quotes the result", async () => {
    const toolConfig = { tools: converseTools([["get_weather", WEATHER_SCHEMA]]) };
    const messages: Message[] = [
      user({ text: "use get_weather" }),
      { role: "assistant", content: [{ toolUse: { toolUseId: "t1", name: "get_weather", input: { city: "Paris" } } }] },
      user({ toolResult: { toolUseId: "t1", content: [{ text: "22°C and sunny" }] } }),
    ];
    const c = await converse({ messages, toolConfig });
    assert.equal(c.tool, undefined);
    assert.equal(c.stopReason, "end_turn");
    assert.match(c.text, /get_weather.*22°C and sunny/);
    const n = await native({
      tools: [{ name: "get_weather", input_schema: WEATHER_SCHEMA }],
      messages: [
        { role: "user", content: "東京の天気は？get_weatherを使って" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "get_weather", input: {} }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "晴れ 18度" }] }] },
      ],
    });
    assert.match(n.text, /晴れ 18度/);
    assert.match(n.text, /[\u3040-\u30ff]/, "in the prompt's language");
  });

  it("a scenario's toolCall scripts a tool round: the call with its input, then the final answer", async () => {
    stand.fake.setScenario(parseScenarioJson('{"toolCall":{"name":"Read","input":{"file_path":"/tmp/x/a.txt"}}}'));
    const tools = [{ name: "Glob", input_schema: { type: "object" } }, { name: "Read", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }];
    const first = await native({ tools, messages: [{ role: "user", content: "what is in a.txt?" }] });
    assert.deepEqual([first.tool?.name, first.tool?.input, first.stopReason], ["Read", { file_path: "/tmp/x/a.txt" }, "tool_use"]);
    const second = await native({
      tools,
      messages: [
        { role: "user", content: "what is in a.txt?" },
        { role: "assistant", content: [{ type: "tool_use", id: first.tool!.id, name: "Read", input: first.tool!.input }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: first.tool!.id, content: "hello from a.txt" }] },
      ],
    });
    assert.equal(second.tool, undefined);
    assert.match(second.text, /Read tool returned: hello from a\.txt/);
    assert.equal((await native({ messages: [{ role: "user", content: "what is in a.txt?" }] })).tool, undefined, "only when offered");
    assert.throws(() => parseScenarioJson('{"toolCall":{"input":{}}}'), /toolCall/);
  });

  it("with thinking on, reasons first (with a signature), on both operations", async () => {
    const c = await converse({ ...say("hello"), additionalModelRequestFields: { thinking: { type: "enabled", budget_tokens: 1024 } } });
    assert.ok(c.reasoning.length > 10);
    const n = await native({ thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "hello" }] });
    assert.ok(n.reasoning.length > 10);
    assert.equal((await native({ messages: [{ role: "user", content: "hello" }] })).reasoning, "");
  });

  it("builds schema instances through $ref, anyOf, allOf, const, formats and bounds", () => {
    const schema = {
      $defs: { point: { type: "object", properties: { x: { type: "number", exclusiveMinimum: 0 } }, required: ["x"] } },
      type: "object",
      properties: {
        at: { $ref: "#/$defs/point" },
        when: { type: "string", format: "date-time" },
        kind: { const: "fixed" },
        maybe: { anyOf: [{ type: "null" }, { type: "integer", minimum: 5 }] },
        both: { allOf: [{ type: "object", properties: { a: { type: "boolean" } }, required: ["a"] }, { properties: { b: { type: "string", minLength: 12 } }, required: ["b"] }] },
        list: { type: "array", items: { type: "string", enum: ["x", "y"] }, minItems: 3 },
      },
    };
    const value: any = schemaInstance(schema);
    assert.ok(value.at.x > 0);
    assert.ok(!Number.isNaN(Date.parse(value.when)));
    assert.equal(value.kind, "fixed");
    assert.equal(value.maybe, 5);
    assert.equal(value.both.a, true);
    assert.ok(value.both.b.length >= 12);
    assert.deepEqual(value.list, ["x", "x", "x"]);
    z.fromJSONSchema(schema as any).parse(value);
  });
});
