import assert from "node:assert/strict";
import http from "node:http";
import { gzipSync } from "node:zlib";
import { assertErrorBody } from "./helpers/assertions";
import { assertNoCanary } from "./helpers/canary";
import { type Harness, type LogLine, startHarness, waitUntil } from "./helpers/harness";
import { parseLines, request } from "./helpers/http-client";
import { LiveStream } from "./helpers/live-stream";
import { head, rawExchange, type RawReply } from "./helpers/raw-socket";

const CANARY_KEY = "canary-api-key-5f3a9e";
const CANARY_PROMPT = "canary-prompt-d41c7b";
const JSON_HEADERS = ["Host: edge.test", "Content-Type: application/json", `x-api-key: ${CANARY_KEY}`];

/** A raw answer honours the error contract: JSON body, request id, and exactly one log line with that id. */
async function assertEdgeAnswer(h: Harness, reply: RawReply, status: number, code: string): Promise<LogLine> {
  assertErrorBody({ status: reply.status, headers: reply.headers, text: reply.body }, status, code);
  const requestId = reply.headers["x-request-id"];
  assert.ok(requestId, "the answer carries X-Request-Id");
  const log = await h.logFor(requestId);
  assert.equal(log.status, status);
  assert.equal(log.errorCode, code);
  assert.notEqual(log.level, "error", "a client's mistake is no server error");
  assert.equal(h.logs.filter((line) => line.requestId === requestId).length, 1, "one line per request");
  return log;
}

const errorLines = (h: Harness) => h.logs.filter((line) => line.level === "error" || line.level === "fatal");

describe("the HTTP edge: what Node's parser rejects, bodies that go wrong, clients that leave", () => {
  let h: Harness;
  // A 64 KiB body limit, so a 300 KB body is over it.
  beforeEach(async () => {
    h = await startHarness({ BODY_LIMIT_BYTES: String(64 * 1024) }, {}, undefined, { requestTimeoutMs: 400 });
  });
  afterEach(async () => {
    assertNoCanary(h.logs, CANARY_KEY, "log lines");
    assertNoCanary(h.logs, CANARY_PROMPT, "log lines");
    await h.close();
  });

  it("a bad chunk size after a valid chunk: 400 JSON, and neither the API key nor the body reaches the logs", async () => {
    const chunk = JSON.stringify({ message: CANARY_PROMPT });
    const bytes = head("POST /stream HTTP/1.1", ...JSON_HEADERS, "Transfer-Encoding: chunked") +
      `${chunk.length.toString(16)}\r\n${chunk}\r\nzz-not-hex\r\n${CANARY_PROMPT}\r\n0\r\n\r\n`;
    const reply = await rawExchange(h.url, bytes);
    await assertEdgeAnswer(h, reply, 400, "bad_request");
    assert.ok(reply.closed, "a connection with broken framing is closed");
    assert.deepEqual(errorLines(h), []);
  });

  const rejected: Array<[string, string, number, string]> = [
    ["an invalid chunk size", head("POST /stream HTTP/1.1", ...JSON_HEADERS, "Transfer-Encoding: chunked") + "xyz\r\n", 400, "bad_request"],
    ["a duplicate Content-Length", head("POST /stream HTTP/1.1", ...JSON_HEADERS, "Content-Length: 2", "Content-Length: 3") + "{}", 400, "bad_request"],
    ["Transfer-Encoding with Content-Length", head("POST /stream HTTP/1.1", ...JSON_HEADERS, "Content-Length: 2", "Transfer-Encoding: chunked") + "2\r\n{}\r\n0\r\n\r\n", 400, "bad_request"],
    ["a missing Host", head("GET /health HTTP/1.1", `x-api-key: ${CANARY_KEY}`), 400, "bad_request"],
    ["an oversized header", head("GET /health HTTP/1.1", "Host: edge.test", `x-api-key: ${CANARY_KEY}`, `x-big: ${"b".repeat(20_000)}`), 431, "request_header_fields_too_large"],
    ["too many headers", head("GET /health HTTP/1.1", "Host: edge.test", `x-api-key: ${CANARY_KEY}`, ...Array.from({ length: 3000 }, (_, i) => `x-h${i}: v`)), 431, "request_header_fields_too_large"],
    ["an unsupported Expect", head("POST /stream HTTP/1.1", ...JSON_HEADERS, "Expect: 200-ok", "Content-Length: 2") + "{}", 417, "expectation_failed"],
    ["garbage instead of a request line", `\x00\x01${CANARY_PROMPT}\r\n\r\n`, 400, "bad_request"],
  ];
  for (const [what, bytes, status, code] of rejected) {
    it(`${what}: ${status} ${code} with the JSON body, X-Request-Id and one log line`, async () => {
      await assertEdgeAnswer(h, await rawExchange(h.url, bytes), status, code);
      const health = await request(h.url, { path: "/health" });
      assert.equal(health.status, 200, "still serving");
    });
  }

  // 300 KB: a few times the limit; 3 MB: a body within API Gateway's 10 MB that is far over the limit. Any body the
  // stage can deliver must leave the connection usable (the ALB reuses it for other clients).
  for (const [framing, size] of [["chunked", 300_000], ["Content-Length", 300_000], ["chunked", 3_000_000], ["Content-Length", 3_000_000]] as const) {
    it(`a 413 on a kept-alive connection (${framing}, ${size} bytes): the rest of the body is discarded and the next request on the same socket gets its 200`, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const big = JSON.stringify({ message: "x".repeat(size) });
      const headers: Record<string, string> = { "Content-Type": "application/json" };
      if (framing === "chunked") headers["Transfer-Encoding"] = "chunked";
      const tooLarge = await request(h.url, { method: "POST", path: "/stream", body: big, headers, agent });
      assertErrorBody(tooLarge, 413, "payload_too_large");
      let reused = false;
      const next = await new Promise<number>((resolve, reject) => {
        const req = http.get(new URL("/health", h.url), { agent }, (res) => {
          reused = req.reusedSocket;
          res.resume().on("end", () => resolve(res.statusCode ?? 0));
        });
        req.once("error", reject);
        req.setTimeout(3000, () => req.destroy(new Error("the request after the 413 hung")));
      });
      agent.destroy();
      assert.equal(next, 200);
      assert.ok(reused, "the same connection served the next request");
    });
  }

  it("a 413 on a chunked upload larger than anything API Gateway can deliver closes the connection after the answer", async () => {
    const chunk = "x".repeat(1024 * 1024);
    const pieces = [head("POST /stream HTTP/1.1", ...JSON_HEADERS, "Transfer-Encoding: chunked")];
    for (let i = 0; i < 12; i++) pieces.push(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const reply = await rawExchange(h.url, "", { pieces });
    assert.equal(reply.status, 413);
    assert.ok(reply.closed, "the server closed the connection instead of reading 12 MiB");
  });

  for (const [what, body] of [
    ["junk", Buffer.from(`not gzip at all ${CANARY_PROMPT}`)],
    ["truncated data", gzipSync(JSON.stringify({ message: CANARY_PROMPT })).subarray(0, 20)],
  ] as const) {
    it(`a gzip body with ${what} is the client's fault: 400, not a 500`, async () => {
      const reply = await request(h.url, { method: "POST", path: "/stream", body, headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" } });
      assertErrorBody(reply, 400, "bad_request");
      const log = await h.logFor(String(reply.headers["x-request-id"]));
      assert.equal(log.level, "info");
      assert.deepEqual(errorLines(h), []);
    });
  }

  it("a client that leaves mid-upload is client_closed at info level, never an upstream error, and Bedrock is not called", async () => {
    const before = h.fake.requests.length;
    await rawExchange(h.url, "", {
      pieces: [head("POST /stream HTTP/1.1", ...JSON_HEADERS, "Content-Length: 1000") + `{"message":"${CANARY_PROMPT}`],
      halfClose: true,
      waitMs: 1000,
    });
    const log = await waitUntil(() => h.logs.find((line) => "status" in line), 2000, "the request's line");
    assert.equal(log.errorCode, "client_closed");
    assert.equal(log.status, 499);
    assert.equal(log.level, "info");
    assert.equal(h.logs.filter((line) => "status" in line).length, 1);
    assert.deepEqual(errorLines(h), []);
    assert.equal(h.fake.requests.length, before, "Bedrock was never called");
  });

  it("a client reset (RST) at random points of a stream: one info line each, no error lines, no stack traces", async function () {
    this.timeout(10_000);
    h.fake.setScenario({ steps: Array.from({ length: 40 }, () => ({ text: "tok", delayMs: 2 })) });
    for (let i = 0; i < 12; i++) {
      const stream = await LiveStream.open(h.url, { message: CANARY_PROMPT });
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 60)));
      stream.req.socket?.resetAndDestroy();
      await h.logFor(String(stream.res.headers["x-request-id"]));
    }
    for (const line of h.logs.filter((line) => "status" in line)) {
      assert.ok(line.errorCode === null || line.errorCode === "client_closed", JSON.stringify(line));
      assert.equal(line.level, "info");
    }
    assert.deepEqual(errorLines(h), [], "a routine disconnect adds no error line");
    assert.doesNotMatch(JSON.stringify(h.logs), /ECONNRESET|EPIPE|"stack"/);
  });

  it("a stalled upload is cut by the request timeout with a 408 JSON answer and one log line", async () => {
    const reply = await rawExchange(h.url, head("POST /stream HTTP/1.1", ...JSON_HEADERS, "Content-Length: 100") + '{"mess', { waitMs: 5000 });
    const log = await assertEdgeAnswer(h, reply, 408, "request_timeout");
    assert.ok(reply.closed);
    assert.equal(log.route, "/stream");
  });

  it("a request sent in full and then half-closed (FIN) is answered", async () => {
    h.fake.setScenario({ steps: [{ text: "half" }, { text: "-closed" }] });
    const body = JSON.stringify({ message: "hi" });
    const reply = await rawExchange(h.url, head("POST /stream HTTP/1.1", ...JSON_HEADERS, `Content-Length: ${body.length}`) + body, { halfClose: true });
    assert.equal(reply.status, 200, reply.raw);
    const text = reply.headers["transfer-encoding"] === "chunked" ? dechunk(reply.body) : reply.body;
    const lines = parseLines(text);
    assert.deepEqual(lines.slice(0, 2), [{ data: "half" }, { data: "-closed" }]);
    assert.equal(lines.at(-1).done, true);
    const log = await h.logFor(reply.headers["x-request-id"]);
    assert.equal(log.status, 200);
    assert.equal(log.errorCode, null);
    const health = await rawExchange(h.url, head("GET /health HTTP/1.1", "Host: edge.test"), { halfClose: true });
    assert.equal(health.status, 200);
  });
});

/** The payload of a chunked body. */
function dechunk(body: string): string {
  let out = "";
  let rest = body;
  for (;;) {
    const eol = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return Buffer.from(out, "latin1").toString("utf8");
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
