import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { IN_STREAM_EXCEPTIONS, type InStreamExceptionName, PRE_STREAM_ERRORS, type PreStreamErrorName } from "../local/fake-bedrock";
import { type Harness, startHarness, waitUntil } from "./helpers/harness";
import { type Reply, request } from "./helpers/http-client";
import { parseSse } from "./helpers/sse";

type ErrorClass = new (...args: any[]) => InstanceType<typeof Anthropic.APIError>;

/** Bedrock's error before the stream -> the status every format answers, and what the Anthropic SDK makes of it. */
const PRE_STREAM: Record<PreStreamErrorName, { status: number; type: string; sdkClass: ErrorClass }> = {
  ValidationException: { status: 400, type: "invalid_request_error", sdkClass: Anthropic.BadRequestError },
  ThrottlingException: { status: 429, type: "rate_limit_error", sdkClass: Anthropic.RateLimitError },
  ServiceQuotaExceededException: { status: 429, type: "rate_limit_error", sdkClass: Anthropic.RateLimitError },
  AccessDeniedException: { status: 502, type: "api_error", sdkClass: Anthropic.InternalServerError },
  ResourceNotFoundException: { status: 502, type: "api_error", sdkClass: Anthropic.InternalServerError },
  ModelErrorException: { status: 502, type: "api_error", sdkClass: Anthropic.InternalServerError },
  InternalServerException: { status: 502, type: "api_error", sdkClass: Anthropic.InternalServerError },
  ModelNotReadyException: { status: 503, type: "overloaded_error", sdkClass: Anthropic.InternalServerError },
  ServiceUnavailableException: { status: 503, type: "overloaded_error", sdkClass: Anthropic.InternalServerError },
  ModelTimeoutException: { status: 504, type: "timeout_error", sdkClass: Anthropic.InternalServerError },
};

/** Bedrock's exceptions inside the stream -> the `error.type` of the final `event: error` frame. */
const IN_STREAM: Record<InStreamExceptionName, { type: string; status: number; sdkClass: ErrorClass }> = {
  throttlingException: { type: "rate_limit_error", status: 429, sdkClass: Anthropic.RateLimitError },
  modelStreamErrorException: { type: "api_error", status: 502, sdkClass: Anthropic.InternalServerError },
  validationException: { type: "invalid_request_error", status: 400, sdkClass: Anthropic.BadRequestError },
  internalServerException: { type: "api_error", status: 502, sdkClass: Anthropic.InternalServerError },
  serviceUnavailableException: { type: "overloaded_error", status: 503, sdkClass: Anthropic.InternalServerError },
};

const IDLE_TIMEOUT_MS = 300;
const BODY_LIMIT = 4096;

/** An Anthropic error body: exactly `{"type":"error","error":{"type","message"}}`, JSON, no stack trace. */
function assertAnthropicError(reply: Reply, status: number, type: string): string {
  assert.equal(reply.status, status, reply.text);
  assert.match(String(reply.headers["content-type"]), /^application\/json/);
  const body = reply.json();
  assert.deepEqual(Object.keys(body), ["type", "error"]);
  assert.equal(body.type, "error");
  assert.deepEqual(Object.keys(body.error), ["type", "message"]);
  assert.equal(body.error.type, type);
  assert.doesNotMatch(reply.text, /\bat .+:\d+:\d+|node_modules|\.ts\b/, "no stack trace");
  return body.error.message;
}

describe("Anthropic Messages: errors before and after the stream starts", () => {
  let h: Harness;
  let client: Anthropic;
  let model: string;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", STRICT_MODELS: "true", UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS), BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    client = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "test-key", maxRetries: 0 });
    model = h.config.modelId;
  });
  after(() => h.close());

  const params = (stream: boolean) => ({ model, max_tokens: 50, stream, messages: [{ role: "user" as const, content: "hi" }] });
  const post = (body: object) => request(h.url, { method: "POST", path: "/v1/messages", body });

  it("the tables cover every pre-stream error and in-stream exception of the stand-in", () => {
    assert.deepEqual(Object.keys(PRE_STREAM).sort(), [...PRE_STREAM_ERRORS].sort());
    assert.deepEqual(Object.keys(IN_STREAM).sort(), [...IN_STREAM_EXCEPTIONS].sort());
  });

  for (const type of PRE_STREAM_ERRORS) {
    const expected = PRE_STREAM[type];
    it(`${type} before the stream -> ${expected.status} ${expected.type}; the SDK raises ${expected.sdkClass.name}`, async () => {
      h.fake.setScenario({ error: { type, message: `upstream says ${type}` } });
      for (const stream of [true, false]) {
        const call = stream ? client.messages.stream(params(true)).finalMessage() : client.messages.create(params(false));
        await assert.rejects(call, (err: unknown) => {
          assert.ok(err instanceof expected.sdkClass, `${stream ? "stream" : "create"}: ${String(err)}`);
          assert.equal(err.status, expected.status);
          assert.equal(err.type, expected.type);
          return true;
        });
      }
      const raw = await post(params(true));
      assertAnthropicError(raw, expected.status, expected.type);
    });
  }

  for (const exception of IN_STREAM_EXCEPTIONS) {
    const expected = IN_STREAM[exception];
    it(`${exception} mid-stream -> the events so far, then event: error ${expected.type} (the SDK throws APIError)`, async () => {
      h.fake.setScenario({ steps: [{ text: "partial" }, { exception, message: "upstream detail" }] });
      const stream = client.messages.stream(params(true));
      const texts: string[] = [];
      stream.on("text", (text) => texts.push(text));
      await assert.rejects(stream.finalMessage(), (err: unknown) => {
        assert.ok(err instanceof Anthropic.APIError, String(err));
        assert.equal(err.type, expected.type);
        return true;
      });
      assert.deepEqual(texts, ["partial"]);

      const raw = await post(params(true));
      assert.equal(raw.status, 200);
      const events = parseSse(raw.text);
      assert.deepEqual(events.map((e) => e.event), ["message_start", "ping", "content_block_start", "content_block_delta", "error"]);
      const last = events.at(-1)!.data;
      assert.deepEqual(Object.keys(last), ["type", "error"]);
      assert.equal(last.error.type, expected.type);
      if (exception !== "validationException") assert.doesNotMatch(last.error.message, /upstream detail/);
    });

    it(`${exception} while collecting a stream:false reply -> ${expected.status}; the SDK raises ${expected.sdkClass.name}`, async () => {
      h.fake.setScenario({ steps: [{ text: "partial" }, { exception }] });
      await assert.rejects(client.messages.create(params(false)), (err: unknown) => {
        assert.ok(err instanceof expected.sdkClass, String(err));
        assert.equal(err.status, expected.status);
        assert.equal(err.type, expected.type);
        return true;
      });
    });
  }

  it("an upstream reset mid-stream ends it with an api_error frame; a hang with a timeout_error frame", async () => {
    h.fake.setScenario({ steps: [{ text: "a" }, { reset: true, delayMs: 50 }] });
    let events = parseSse((await post(params(true))).text);
    assert.equal(events.at(-1)!.data.error.type, "api_error");
    assert.ok(!events.some((e) => e.event === "message_stop"));
    h.fake.setScenario({ steps: [{ text: "a" }, { hang: true }] });
    events = parseSse((await post(params(true))).text);
    assert.deepEqual(events.at(-1)!.data.error, { type: "timeout_error", message: `The model service sent nothing for ${IDLE_TIMEOUT_MS} ms` });
  });

  it("a model that is not served (strictModels) -> 404 not_found_error (NotFoundError), before any Bedrock call", async () => {
    const before = h.fake.requests.length;
    await assert.rejects(client.messages.create({ ...params(false), model: "claude-nonexistent" }), (err: unknown) => {
      assert.ok(err instanceof Anthropic.NotFoundError);
      assert.equal(err.type, "not_found_error");
      assert.match(err.message, /claude-nonexistent/);
      return true;
    });
    assert.equal(h.fake.requests.length, before);
  });

  it("rejects bad bodies with invalid_request_error naming the field, without calling Bedrock", async () => {
    const before = h.fake.requests.length;
    const user = (content: unknown) => [{ role: "user", content }];
    const cases: [object, RegExp][] = [
      [{ model, messages: user("hi") }, /max_tokens: is required/],
      [{ model, max_tokens: 0, messages: user("hi") }, /max_tokens: /],
      [{ model, max_tokens: 10, messages: [] }, /messages: must hold at least one message/],
      [{ model, max_tokens: 10, messages: user("") }, /messages\[0\]\.content: must not be empty/],
      [{ model, max_tokens: 10, messages: user("hi"), temprature: 1 }, /temprature: unknown field/],
      [{ model, max_tokens: 10, messages: user("hi"), mcp_servers: [{ type: "url", url: "https://x", name: "x" }] }, /mcp_servers: MCP servers .* not available on Bedrock/],
      [{ model, max_tokens: 10, messages: user("hi"), container: "c1" }, /container: containers .* not available on Bedrock/],
      [{ model, max_tokens: 10, messages: user([{ type: "server_tool_use", id: "x" }]) }, /messages\[0\]\.content\[0\]\.type: unsupported block type/],
      [{ model, max_tokens: 10, messages: user([{ type: "image", source: { type: "url", url: "https://example.com/a.png" } }]) }, /source\.type: must be "base64"/],
      [{ model, max_tokens: 10, messages: user([{ type: "image", source: { type: "base64", media_type: "image/png", data: "%%%" } }]) }, /source\.data: must be base64-encoded/],
      [{ model, max_tokens: 10, messages: user("hi"), tools: [{ type: "web_search_20250305", name: "web_search" }] }, /tools\[0\]\.type: is a server tool, which Bedrock does not run/],
      [{ model, max_tokens: 10, messages: user("hi"), thinking: { type: "enabled", budget_tokens: 2048 } }, /thinking\.budget_tokens: must be less than max_tokens/],
      [{ model, max_tokens: 10, messages: user("hi"), tool_choice: { type: "auto", disable_parallel_tool_use: true } }, /disable_parallel_tool_use is not supported/],
      [{ model, max_tokens: 10, messages: user([{ type: "text", text: "x", citations: [{ type: "char_location" }] }]) }, /citations are not supported/],
      [
        {
          model,
          max_tokens: 10,
          tool_choice: { type: "none" },
          tools: [{ name: "f", input_schema: { type: "object" } }],
          messages: [...user("x"), { role: "assistant", content: [{ type: "tool_use", id: "t", name: "f", input: {} }] }, ...user([{ type: "tool_result", tool_use_id: "t" }])],
        },
        /tool_choice: "none" cannot be combined/,
      ],
    ];
    for (const [body, message] of cases) {
      const reply = await post(body);
      assert.match(assertAnthropicError(reply, 400, "invalid_request_error"), message, JSON.stringify(body));
    }
    assert.equal(h.fake.requests.length, before);
  });

  it("malformed JSON, a wrong Content-Type and an oversized body get Anthropic's error shape", async () => {
    assertAnthropicError(await request(h.url, { method: "POST", path: "/v1/messages", headers: { "Content-Type": "application/json" }, body: '{"model":' }), 400, "invalid_request_error");
    assertAnthropicError(await request(h.url, { method: "POST", path: "/v1/messages", headers: { "Content-Type": "text/plain" }, body: "hi" }), 415, "invalid_request_error");
    const big = { ...params(false), messages: [{ role: "user", content: "x".repeat(BODY_LIMIT) }] };
    const tooLarge = await request(h.url, { method: "POST", path: "/v1/v1/messages", body: big });
    assertAnthropicError(tooLarge, 413, "request_too_large");
    await assert.rejects(client.messages.create(big as Anthropic.MessageCreateParamsNonStreaming), (err: unknown) => {
      assert.ok(err instanceof Anthropic.APIError && err.status === 413, String(err));
      assert.equal(err.type as string, "request_too_large");
      return true;
    });
  });

  it("a client that aborts the stream cancels the Bedrock call at once", async () => {
    h.fake.setScenario({ steps: [{ text: "one" }, { text: "two", delayMs: 10 }, { hang: true }] });
    const before = h.fake.requests.length;
    const stream = client.messages.stream(params(true));
    const texts: string[] = [];
    await new Promise<void>((resolve) => {
      stream.on("text", (text) => {
        texts.push(text);
        if (texts.length === 2) resolve();
      });
    });
    const call = h.fake.requests[before];
    const { response } = await stream.withResponse();
    stream.abort();
    const closed = await h.fake.waitForClose(call, 2000);
    assert.equal(closed.outcome, "client-aborted");
    const log = await h.logFor(String(response.headers.get("x-request-id")));
    assert.equal(log.errorCode, "client_closed");
    assert.equal(log.aborted, true);
    assert.equal(log.format, "anthropic");
    await waitUntil(() => (h.server.activeStreams.size === 0 ? true : undefined), 1000, "the stream to be forgotten");
  });
});
