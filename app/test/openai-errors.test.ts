import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import OpenAI, { type APIError } from "openai";
import { IN_STREAM_EXCEPTIONS, type InStreamExceptionName, PRE_STREAM_ERRORS, type PreStreamErrorName } from "../local/fake-bedrock";
import { IGNORED_FIELDS, REFUSED_FIELDS } from "../src/formats/openai/field-policy";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

type ErrorClass = new (...args: any[]) => APIError;

/** Bedrock's pre-stream errors -> our status and code (docs/ndjson.md's table) -> the class the openai SDK raises. */
const PRE_STREAM: Record<PreStreamErrorName, { status: number; code: string; type: string; cls: ErrorClass; retryAfter?: string }> = {
  ValidationException: { status: 400, code: "invalid_request", type: "invalid_request_error", cls: OpenAI.BadRequestError },
  ThrottlingException: { status: 429, code: "throttled", type: "rate_limit_error", cls: OpenAI.RateLimitError, retryAfter: "5" },
  ServiceQuotaExceededException: { status: 429, code: "quota_exceeded", type: "rate_limit_error", cls: OpenAI.RateLimitError, retryAfter: "60" },
  AccessDeniedException: { status: 502, code: "upstream_misconfigured", type: "server_error", cls: OpenAI.InternalServerError },
  ResourceNotFoundException: { status: 502, code: "upstream_misconfigured", type: "server_error", cls: OpenAI.InternalServerError },
  ModelErrorException: { status: 502, code: "model_error", type: "server_error", cls: OpenAI.InternalServerError },
  InternalServerException: { status: 502, code: "upstream_error", type: "server_error", cls: OpenAI.InternalServerError },
  ModelNotReadyException: { status: 503, code: "model_not_ready", type: "server_error", cls: OpenAI.InternalServerError, retryAfter: "5" },
  ServiceUnavailableException: { status: 503, code: "service_unavailable", type: "server_error", cls: OpenAI.InternalServerError, retryAfter: "5" },
  ModelTimeoutException: { status: 504, code: "model_timeout", type: "server_error", cls: OpenAI.InternalServerError },
};

const IN_STREAM: Record<InStreamExceptionName, string> = {
  throttlingException: "throttled",
  modelStreamErrorException: "model_stream_error",
  validationException: "invalid_request",
  internalServerException: "upstream_error",
  serviceUnavailableException: "service_unavailable",
};

const hi = [{ role: "user" as const, content: "hi" }];

describe("OpenAI errors: the openai SDK raises the right class before and after the stream starts", () => {
  let h: Harness;
  let client: OpenAI;
  before(async () => {
    h = await startHarness({ UPSTREAM_IDLE_TIMEOUT_MS: "300" });
    client = new OpenAI({ baseURL: h.url, apiKey: "sk-local", maxRetries: 0 });
  });
  after(() => h.close());

  const fail = (promise: Promise<unknown>) => promise.then(() => assert.fail("expected an error"), (error: unknown) => error as APIError);

  for (const type of PRE_STREAM_ERRORS) {
    const expected = PRE_STREAM[type];
    for (const stream of [true, false]) {
      it(`${type} (stream: ${stream}) -> ${expected.status} ${expected.code}, ${expected.cls.name}`, async () => {
        h.fake.setScenario({ error: { type, message: `upstream says ${type}` } });
        const error = await fail(client.chat.completions.create({ messages: hi, model: "", stream }));
        assert.ok(error instanceof expected.cls, `${error}`);
        assert.equal(error.status, expected.status);
        assert.equal(error.code, expected.code);
        assert.equal(error.type, expected.type);
        assert.equal(error.headers?.get("retry-after") ?? undefined, expected.retryAfter);
      });
    }
  }

  for (const exception of IN_STREAM_EXCEPTIONS) {
    it(`${exception} mid-stream -> the chunks so far, then a data: {"error"} event the SDK raises; no [DONE]`, async () => {
      h.fake.setScenario({ steps: [{ text: "partial" }, { exception, message: "secret upstream detail" }] });
      const stream = await client.chat.completions.create({ messages: hi, model: "", stream: true });
      const seen: string[] = [];
      const error = await fail((async () => {
        for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
      })());
      assert.ok(error instanceof OpenAI.APIError);
      assert.equal(error.status, undefined, "raised from the stream, after the 200");
      assert.equal(error.code, IN_STREAM[exception]);
      assert.deepEqual(seen, ["", "partial"]);

      h.fake.setScenario({ steps: [{ text: "partial" }, { exception, message: "secret upstream detail" }] });
      const raw = await request(h.url, { method: "POST", path: "/chat/completions", body: { messages: hi, stream: true } });
      const events = raw.text.split("\n\n").filter(Boolean);
      const last = JSON.parse(events.at(-1)!.replace(/^data: /, ""));
      assert.deepEqual(Object.keys(last.error).sort(), ["code", "message", "param", "type"]);
      assert.doesNotMatch(raw.text, /\[DONE\]/);
      // Only Bedrock's validation message helps the caller; every other upstream detail stays in the logs.
      if (exception !== "validationException") assert.doesNotMatch(raw.text, /secret upstream detail/);
    });
  }

  it("an exception as the very first upstream frame is still an HTTP status", async () => {
    h.fake.setScenario({ messageStart: false, steps: [{ exception: "throttlingException" }] });
    const error = await fail(client.chat.completions.create({ messages: hi, model: "", stream: true }));
    assert.ok(error instanceof OpenAI.RateLimitError);
  });

  it("an upstream that hangs mid-stream ends with an upstream_timeout error event", async () => {
    h.fake.setScenario({ steps: [{ text: "thinking" }, { hang: true }] });
    const stream = await client.chat.completions.create({ messages: hi, model: "", stream: true });
    const error = await fail((async () => {
      for await (const _ of stream);
    })());
    assert.equal(error.code, "upstream_timeout");
  });

  it("a non-streamed request whose upstream fails mid-reply gets the HTTP status", async () => {
    h.fake.setScenario({ steps: [{ text: "partial" }, { exception: "serviceUnavailableException" }] });
    const error = await fail(client.chat.completions.create({ messages: hi, model: "" }));
    assert.ok(error instanceof OpenAI.InternalServerError);
    assert.equal(error.status, 503);
  });

  it("a bad body, a wrong content type and an oversized body answer in OpenAI's shape", async () => {
    const badJson = await request(h.url, { method: "POST", path: "/chat/completions", body: "{nope", headers: { "Content-Type": "application/json" } });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.json().error.type, "invalid_request_error");
    assert.equal(badJson.json().error.code, "invalid_json");
    const notJson = await request(h.url, { method: "POST", path: "/chat/completions", body: "hi", headers: { "Content-Type": "text/plain" } });
    assert.equal(notJson.status, 415);
    assert.deepEqual(Object.keys(notJson.json().error).sort(), ["code", "message", "param", "type"]);
  });

  describe("requests that would silently change the result: 400 naming the parameter, Bedrock never called", () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["n: 2", { n: 2 }, "n"],
      ["logprobs: true", { logprobs: true }, "logprobs"],
      ["top_logprobs: 3", { top_logprobs: 3 }, "top_logprobs"],
      ["logit_bias", { logit_bias: { "50256": -100 } }, "logit_bias"],
      ["audio", { audio: { voice: "alloy", format: "mp3" } }, "audio"],
      ["modalities with audio", { modalities: ["text", "audio"] }, "modalities"],
      ["web_search_options", { web_search_options: {} }, "web_search_options"],
      ["moderation", { moderation: { model: "omni-moderation-latest" } }, "moderation"],
      ["response_format of an unknown type", { response_format: { type: "xml" } }, "response_format.type"],
      ["a json_schema without a valid name", { response_format: { type: "json_schema", json_schema: { name: "a b", schema: {} } } }, "response_format.json_schema.name"],
      ["reasoning_effort beyond OpenAI's levels", { reasoning_effort: "extreme" }, "reasoning_effort"],
      ["functions", { functions: [{ name: "f" }] }, "functions"],
      ["function_call", { function_call: "auto" }, "function_call"],
      ["a field nobody defines", { top_k: 5 }, "top_k"],
      ["a remote image URL", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }] }, "messages[0].content[0].image_url.url"],
      ["an image that is not PNG/JPEG/GIF/WebP", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/tiff;base64,AAAA" } }] }] }, "messages[0].content[0].image_url.url"],
      ["an audio part", { messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }] }, "messages[0].content[0].type"],
      ["thinking with temperature", { reasoning_effort: "low", temperature: 0.2 }, "temperature"],
      ["thinking with a low top_p", { reasoning_effort: "medium", top_p: 0.5 }, "top_p"],
      ["thinking with a forced tool", { reasoning_effort: "low", tools: [{ type: "function", function: { name: "f" } }], tool_choice: "required" }, "tool_choice"],
      ["tool_choice naming an unknown tool", { tools: [{ type: "function", function: { name: "f" } }], tool_choice: { type: "function", function: { name: "g" } } }, "tool_choice.function.name"],
      ["a tool result without its call", { messages: [{ role: "user", content: "x" }, { role: "tool", tool_call_id: "call_1", content: "r" }] }, "messages[1].tool_call_id"],
      ["tool call arguments that are not JSON", { tools: [{ type: "function", function: { name: "f" } }], messages: [{ role: "user", content: "x" }, { role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{" } }] }] }, "messages[1].tool_calls[0].function.arguments"],
      ["an assistant message first", { messages: [{ role: "system", content: "s" }, { role: "assistant", content: "hello" }, { role: "user", content: "hi" }] }, "messages[1].role"],
      ["an empty user message", { messages: [{ role: "user", content: "  " }] }, "messages[0].content"],
      ["max_tokens and max_completion_tokens disagreeing", { max_tokens: 5, max_completion_tokens: 6 }, "max_tokens"],
      ["an unknown role", { messages: [{ role: "function", content: "x", name: "f" }] }, "messages[0].role"],
    ];
    for (const [what, fields, param] of cases) {
      it(`${what} -> 400 param ${param}`, async () => {
        const before = h.fake.requests.length;
        const body = { model: "", messages: hi, ...fields } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
        const error = await fail(client.chat.completions.create(body));
        assert.ok(error instanceof OpenAI.BadRequestError, `${error}`);
        assert.equal(error.param, param, error.message);
        assert.equal(error.type, "invalid_request_error");
        assert.ok((error.error as { message: string }).message.startsWith(`${param}: `), error.message);
        assert.equal(h.fake.requests.length, before);
      });
    }

    it("docs/openai.md names every refused and every ignored field", () => {
      const docs = readFileSync(join(__dirname, "..", "..", "docs", "openai.md"), "utf8");
      const section = (title: string) => docs.slice(docs.indexOf(`## ${title}`), docs.indexOf("\n## ", docs.indexOf(`## ${title}`) + 3));
      for (const name of Object.keys(REFUSED_FIELDS)) assert.ok(section("Refused fields").includes(`\`${name}\``), name);
      for (const name of Object.keys(IGNORED_FIELDS)) assert.ok(section("Ignored fields").includes(`\`${name}\``), name);
    });

    it("every field docs/openai.md lists as refused has a case above", () => {
      const covered = new Set(cases.map(([, , param]) => param));
      for (const name of Object.keys(REFUSED_FIELDS)) assert.ok(covered.has(name), name);
    });

    it("default values of those parameters are accepted (clients send them explicitly)", async () => {
      h.fake.setScenario({ steps: [{ text: "ok" }] });
      const defaults = { n: 1, logprobs: false, top_logprobs: 0, logit_bias: {}, audio: null, modalities: ["text"], functions: null };
      const body = { model: "", messages: hi, ...defaults } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
      const completion = await client.chat.completions.create(body);
      assert.equal(completion.choices[0].message.content, "ok");
    });
  });

  it("fields that mean nothing here are accepted with any value and never reach Bedrock", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const ignored: Record<string, unknown> = {
      store: true, metadata: { team: "a" }, seed: 7, prediction: { type: "content", content: "x" }, service_tier: "flex",
      prompt_cache_key: "k", prompt_cache_retention: "24h", prompt_cache_options: { mode: "implicit" }, verbosity: "low",
      presence_penalty: 0.5, frequency_penalty: 1, safety_identifier: "user-1", stream_options: { include_obfuscation: true },
    };
    assert.deepEqual(Object.keys(IGNORED_FIELDS).filter((name) => !(name in ignored)), [], "every ignored field is sent here");
    const messages = [
      { role: "system", content: "s", name: "boss" },
      { role: "user", content: "hi", name: "alice" },
      { role: "assistant", content: "hello", name: "bot", annotations: [], audio: null, function_call: null, refusal: null },
      { role: "user", content: "again" },
    ];
    const body = { model: "", messages, ...ignored } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
    const completion = await client.chat.completions.create(body);
    assert.equal(completion.choices[0].message.content, "ok");
    const sent = JSON.stringify(h.fake.requests.at(-1)!.body);
    for (const name of [...Object.keys(ignored), "alice", "annotations"]) assert.ok(!sent.includes(name), name);
  });
});
