import assert from "node:assert/strict";
import net from "node:net";
import { IN_STREAM_EXCEPTIONS, type InStreamExceptionName, PRE_STREAM_ERRORS, type PreStreamErrorName } from "../local/fake-bedrock";
import { fromBedrockError } from "../src/bedrock/bedrock-errors";
import { assertErrorBody } from "./helpers/assertions";
import { type Harness, startHarness } from "./helpers/harness";
import { parseLines, postStream } from "./helpers/http-client";

/** The documented table (docs/ndjson.md, Errors): Bedrock's error before the stream -> our status, code, Retry-After, log level. */
const PRE_STREAM: Record<PreStreamErrorName, { status: number; code: string; retryAfter?: string; level: string }> = {
  ValidationException: { status: 400, code: "invalid_request", level: "warn" },
  ThrottlingException: { status: 429, code: "throttled", retryAfter: "5", level: "warn" },
  ServiceQuotaExceededException: { status: 429, code: "quota_exceeded", retryAfter: "60", level: "warn" },
  AccessDeniedException: { status: 502, code: "upstream_misconfigured", level: "error" },
  ResourceNotFoundException: { status: 502, code: "upstream_misconfigured", level: "error" },
  ModelErrorException: { status: 502, code: "model_error", level: "warn" },
  InternalServerException: { status: 502, code: "upstream_error", level: "error" },
  ModelNotReadyException: { status: 503, code: "model_not_ready", retryAfter: "5", level: "warn" },
  ServiceUnavailableException: { status: 503, code: "service_unavailable", retryAfter: "5", level: "warn" },
  ModelTimeoutException: { status: 504, code: "model_timeout", level: "warn" },
};

/** Bedrock's exception events inside the stream -> the code of our final error line (and the status if first). */
const IN_STREAM: Record<InStreamExceptionName, { code: string; status: number }> = {
  throttlingException: { code: "throttled", status: 429 },
  modelStreamErrorException: { code: "model_stream_error", status: 502 },
  validationException: { code: "invalid_request", status: 400 },
  internalServerException: { code: "upstream_error", status: 502 },
  serviceUnavailableException: { code: "service_unavailable", status: 503 },
};

const IDLE_TIMEOUT_MS = 300;

describe("Bedrock failures: statuses before the stream, one error line after it started", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS) });
  });
  after(() => h.close());

  it("the table covers every pre-stream error and in-stream exception the wire format has", () => {
    assert.deepEqual(Object.keys(PRE_STREAM).sort(), [...PRE_STREAM_ERRORS].sort());
    assert.deepEqual(Object.keys(IN_STREAM).sort(), [...IN_STREAM_EXCEPTIONS].sort());
  });

  for (const type of PRE_STREAM_ERRORS) {
    const expected = PRE_STREAM[type];
    it(`${type} before the stream -> ${expected.status} ${expected.code}`, async () => {
      h.fake.setScenario({ error: { type, message: `upstream says ${type}` } });
      const reply = await postStream(h.url, { message: "hi" });
      const message = assertErrorBody(reply, expected.status, expected.code);
      assert.equal(reply.headers["retry-after"], expected.retryAfter);
      if (type === "ValidationException") assert.match(message, /upstream says ValidationException/, "the caller can fix this one");
      else assert.doesNotMatch(message, /upstream says/, "upstream internals stay in the logs");
      const log = await h.logFor(String(reply.headers["x-request-id"]));
      assert.equal(log.level, expected.level);
      assert.equal(log.status, expected.status);
      assert.equal(log.errorCode, expected.code);
      if (expected.code === "upstream_misconfigured") {
        assert.match(log.msg, /IAM/, "misconfiguration is logged loudly with a hint");
        assert.equal(log.cause.type, type);
        assert.equal(log.cause.upstreamStatus, type === "AccessDeniedException" ? 403 : 404);
      }
    });
  }

  // Bedrock's real answers to a wrong or unusable MODEL_ID are ValidationExceptions with these messages.
  for (const bedrockMessage of [
    "The provided model identifier is invalid.",
    "Invocation of model ID anthropic.claude-haiku-4-5-20251001-v1:0 with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.",
  ]) {
    it(`ValidationException "${bedrockMessage.slice(0, 40)}..." -> 502 upstream_misconfigured, logged at error`, async () => {
      h.fake.setScenario({ error: { type: "ValidationException", message: bedrockMessage } });
      const reply = await postStream(h.url, { message: "hi" });
      const message = assertErrorBody(reply, 502, "upstream_misconfigured");
      assert.doesNotMatch(message, /model identifier|on-demand/, "the model id stays in the logs");
      const log = await h.logFor(String(reply.headers["x-request-id"]));
      assert.equal(log.level, "error");
      assert.equal(log.cause.type, "ValidationException");
    });
  }

  for (const exception of IN_STREAM_EXCEPTIONS) {
    const expected = IN_STREAM[exception];
    it(`${exception} mid-stream -> the lines so far, then {"error":{"code":"${expected.code}"}}`, async () => {
      h.fake.setScenario({ steps: [{ text: "partial " }, { text: "answer" }, { exception, message: "secret upstream detail" }] });
      const reply = await postStream(h.url, { message: "hi" });
      assert.equal(reply.status, 200);
      const lines = parseLines(reply.text);
      assert.deepEqual(lines.slice(0, 2), [{ data: "partial " }, { data: "answer" }]);
      assert.equal(lines.length, 3);
      assert.equal(lines[2].error.code, expected.code);
      assert.deepEqual(Object.keys(lines[2].error).sort(), ["code", "message"]);
      assert.doesNotMatch(reply.text, /\bat .+:\d+:\d+/, "no stack trace");
      const log = await h.logFor(String(reply.headers["x-request-id"]));
      assert.equal(log.errorCode, expected.code);
      assert.equal(log.deltas, 2);
      assert.equal(log.upstreamRequestId, h.fake.requests.at(-1)!.responseRequestId);
    });

    it(`${exception} as the very first frame -> ${expected.status} ${expected.code} (thrown from send), logged with Bedrock's request id`, async () => {
      h.fake.setScenario({ messageStart: false, steps: [{ exception }] });
      const reply = await postStream(h.url, { message: "hi" });
      assertErrorBody(reply, expected.status, expected.code);
      const log = await h.logFor(String(reply.headers["x-request-id"]));
      assert.equal(log.upstreamRequestId, h.fake.requests.at(-1)!.responseRequestId);
      assert.ok(log.upstreamRequestId);
    });
  }

  for (const scope of ["connection", "stream"] as const) {
    it(`an upstream ${scope} reset mid-stream ends the stream with upstream_connection_error`, async () => {
      h.fake.setScenario({ steps: [{ text: "before the reset" }, { reset: true, scope, delayMs: 50 }] });
      const reply = await postStream(h.url, { message: "hi" });
      assert.equal(reply.status, 200);
      const lines = parseLines(reply.text);
      assert.deepEqual(lines[0], { data: "before the reset" });
      assert.equal(lines[1].error.code, "upstream_connection_error");
      assert.match(lines[1].error.message, /connection to the model service/);
      assert.equal(lines.length, 2);
    });
  }

  it("an upstream that hangs mid-stream is given up after the idle timeout and its call aborted", async () => {
    h.fake.setScenario({ steps: [{ text: "thinking..." }, { hang: true }] });
    const reply = await postStream(h.url, { message: "hi" });
    const lines = parseLines(reply.text);
    assert.deepEqual(lines[0], { data: "thinking..." });
    assert.equal(lines[1].error.code, "upstream_timeout");
    assert.equal(lines.length, 2);
    const [call] = h.fake.requests.slice(-1);
    const closed = await h.fake.waitForClose(call, 1000);
    assert.equal(closed.outcome, "client-aborted", "the Bedrock request was cancelled, not left running");
    const log = await h.logFor(String(reply.headers["x-request-id"]));
    assert.equal(log.aborted, true);
    assert.equal(log.errorCode, "upstream_timeout");
  });

  it("an upstream that never sends headers is answered 504 upstream_timeout and cancelled", async () => {
    h.fake.setScenario({ headersDelayMs: 10_000 });
    const started = Date.now();
    const reply = await postStream(h.url, { message: "hi" });
    assertErrorBody(reply, 504, "upstream_timeout");
    assert.ok(Date.now() - started < 5000, "answered after the idle timeout, not after the upstream's delay");
    const [call] = h.fake.requests.slice(-1);
    assert.equal((await h.fake.waitForClose(call, 1000)).outcome, "client-aborted");
  });

  it("slow but steady upstream events never trip the idle timeout", async () => {
    const steps = Array.from({ length: 4 }, (_, i) => ({ text: `${i}`, delayMs: IDLE_TIMEOUT_MS / 2 }));
    h.fake.setScenario({ steps });
    const lines = parseLines((await postStream(h.url, { message: "hi" })).text);
    assert.deepEqual(lines.slice(0, 4), steps.map((step) => ({ data: step.text })));
    assert.equal(lines[4].done, true, "total time above the idle timeout is fine: only silence counts");
  });
});

describe("Bedrock unreachable", () => {
  let h: Harness;
  before(async () => {
    // A port that was just free: nothing listens there.
    const probe = net.createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => probe.once("listening", resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    h = await startHarness({}, {}, () => `http://127.0.0.1:${port}`);
  });
  after(() => h.close());

  it("a refused connection answers 502 upstream_connection_error", async () => {
    assertErrorBody(await postStream(h.url, { message: "hi" }), 502, "upstream_connection_error");
  });
});

describe("fromBedrockError: errors the SDK raises itself", () => {
  it("the SDK's request TimeoutError is 504 upstream_timeout, not a connection failure", () => {
    const timeout = Object.assign(new Error("Connection timed out after 3000 ms"), { name: "TimeoutError" });
    const mapped = fromBedrockError(timeout);
    assert.equal(mapped?.status, 504);
    assert.equal(mapped?.code, "upstream_timeout");
  });

  it("a reset connection stays 502 upstream_connection_error", () => {
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    assert.equal(fromBedrockError(reset)?.code, "upstream_connection_error");
    assert.equal(fromBedrockError(reset)?.status, 502);
  });
});
