import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { ALB_IDLE_TIMEOUT_SECONDS, HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "../src/runtime-contract";
import { type Harness, startHarness } from "./helpers/harness";
import { assertErrorBody } from "./helpers/assertions";
import { request } from "./helpers/http-client";

describe("HTTP surface: health, routing, content types, limits", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "dev", BODY_LIMIT_BYTES: "1024" });
  });
  after(() => h.close());

  it("GET /health answers 200 {status: healthy} without calling Bedrock", async () => {
    const reply = await request(h.url, { path: "/health" });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { status: "healthy" });
    assert.match(String(reply.headers["content-type"]), /^application\/json/);
    assert.equal(h.fake.requests.length, 0);
  });

  it("HEAD /health answers 200 with no body", async () => {
    const reply = await request(h.url, { method: "HEAD", path: "/health" });
    assert.equal(reply.status, 200);
    assert.equal(reply.raw.length, 0);
  });

  it("serves both routes under the stage prefix too", async () => {
    const health = await request(h.url, { path: "/dev/health" });
    assert.deepEqual(health.json(), { status: "healthy" });
    const stream = await request(h.url, { path: "/dev/stream", body: { message: "hi" } });
    assert.equal(stream.status, 200);
    assert.match(String(stream.headers["content-type"]), /^application\/x-ndjson/);
    assert.equal(JSON.parse(stream.text.trim().split("\n").at(-1)!).done, true);
    // Another prefix is not a route.
    assertErrorBody(await request(h.url, { path: "/prod/health" }), 404, "not_found");
  });

  it("unknown routes answer 404 JSON", async () => {
    const message = assertErrorBody(await request(h.url, { path: "/nope" }), 404, "not_found");
    assert.match(message, /GET \/nope/);
    // The root answers GET and HEAD (a client's probe of its base URL); other methods there are a 405.
    assertErrorBody(await request(h.url, { method: "POST", path: "/", body: { message: "x" } }), 405, "method_not_allowed");
    assertErrorBody(await request(h.url, { method: "POST", path: "/nope", body: { message: "x" } }), 404, "not_found");
  });

  it("logs a path no route matched as a digest, never as the client's text (it may hold a pasted key)", async () => {
    const path = "/sk-ant-api03-PASTED_BY_MISTAKE";
    const missed = await request(h.url, { path, headers: { "x-amzn-requestid": "req-path-1" } });
    assertErrorBody(missed, 404, "not_found");
    const again = await request(h.url, { path, headers: { "x-amzn-requestid": "req-path-2" } });
    const [first, second] = [await h.logFor("req-path-1"), await h.logFor("req-path-2")];
    assert.equal(JSON.stringify(first).includes("PASTED_BY_MISTAKE"), false);
    assert.match(String(first.path), /^sha256:[0-9a-f]{16}$/);
    assert.equal(second.path, first.path, "the same path gives the same digest, so 404s still group");
    assertErrorBody(again, 404, "not_found");
    // A matched route's path is one of the known forms, logged as is (the deploy notes rely on seeing which).
    await request(h.url, { path: "/dev/health", headers: { "x-amzn-requestid": "req-path-3" } });
    assert.equal((await h.logFor("req-path-3")).path, "/dev/health");
  });

  it("wrong methods answer 405 JSON with an Allow header", async () => {
    const post = await request(h.url, { method: "POST", path: "/health", body: {} });
    assertErrorBody(post, 405, "method_not_allowed");
    assert.match(String(post.headers.allow), /GET/);
    assert.doesNotMatch(String(post.headers.allow), /POST/);

    const get = await request(h.url, { path: "/stream" });
    assertErrorBody(get, 405, "method_not_allowed");
    assert.equal(get.headers.allow, "POST");
    assertErrorBody(await request(h.url, { method: "DELETE", path: "/dev/stream" }), 405, "method_not_allowed");
  });

  it("wrong methods on a wire format's path answer 405 in that format's error shape", async () => {
    const messages = await request(h.url, { path: "/dev/v1/messages" });
    assert.equal(messages.status, 405);
    assert.equal(messages.headers.allow, "POST");
    assert.deepEqual(JSON.parse(messages.text).type, "error");
    assert.equal(JSON.parse(messages.text).error.type, "invalid_request_error");

    const completions = await request(h.url, { method: "PUT", path: "/chat/completions", body: {} });
    assert.equal(completions.status, 405);
    const body = JSON.parse(completions.text);
    assert.equal(body.error.code, "method_not_allowed");
    assert.equal(body.error.type, "invalid_request_error", "OpenAI's shape names the error type");

    const models = await request(h.url, { method: "POST", path: "/models", body: {} });
    assert.equal(models.status, 405);
    assert.equal(models.headers.allow, "GET, HEAD");
  });

  it("methods the server does not implement answer 501 JSON", async () => {
    assertErrorBody(await request(h.url, { method: "PROPFIND", path: "/stream" }), 501, "not_implemented");
  });

  it("only application/json bodies are accepted: anything else is 415 JSON", async () => {
    const upstreamBefore = h.fake.requests.length;
    const cases: Array<Record<string, string>> = [
      { "Content-Type": "text/plain" },
      { "Content-Type": "application/x-www-form-urlencoded" },
      { "Content-Type": "application/json-patch+json" },
      { "Content-Type": "application/json; charset=iso-8859-1" },
      {},
    ];
    for (const headers of cases) {
      const reply = await request(h.url, { method: "POST", path: "/stream", headers, body: '{"message":"hi"}' });
      assertErrorBody(reply, 415, "unsupported_media_type");
    }
    // Parameters and case do not matter for the right type.
    const ok = await request(h.url, { method: "POST", path: "/stream", headers: { "Content-Type": "Application/JSON; charset=UTF-8" }, body: '{"message":"hi"}' });
    assert.equal(ok.status, 200);
    assert.equal(h.fake.requests.length, upstreamBefore + 1, "only the accepted request reached Bedrock");
  });

  it("a JSON POST with no body at all (no Content-Length, no Transfer-Encoding) is a 400 naming the field, not a 415", async () => {
    const { port } = new URL(h.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(port), "127.0.0.1", () => {
        socket.end("POST /stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
      });
      let text = "";
      socket.setEncoding("utf8").on("data", (chunk: string) => (text += chunk)).on("end", () => resolve(text)).on("error", reject);
    });
    assert.match(raw, /^HTTP\/1\.1 400 /);
    const body = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));
    assert.equal(body.error.code, "invalid_request");
    assert.match(body.error.message, /message/);
  });

  it("bodies over the limit answer 413 JSON, declared or chunked", async () => {
    const upstreamBefore = h.fake.requests.length;
    const big = JSON.stringify({ message: "x".repeat(2000) });
    const declared = await request(h.url, { method: "POST", path: "/stream", headers: { "Content-Type": "application/json" }, body: big });
    assert.match(assertErrorBody(declared, 413, "payload_too_large"), /1024 bytes/);
    const chunked = await request(h.url, {
      method: "POST",
      path: "/stream",
      headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
      body: big,
    });
    assertErrorBody(chunked, 413, "payload_too_large");
    assert.equal(h.fake.requests.length, upstreamBefore, "nothing reached Bedrock");
  });

  it("reuses API Gateway's x-amzn-requestid, else generates one, and echoes it as X-Request-Id", async () => {
    const given = await request(h.url, { path: "/health", headers: { "x-amzn-requestid": "c0ffee00-1234-4abc-9def-000000000001" } });
    assert.equal(given.headers["x-request-id"], "c0ffee00-1234-4abc-9def-000000000001");
    const mapped = await request(h.url, {
      path: "/health",
      headers: { "x-request-id": "0a1b2c3d-0000-4000-8000-00000000abcd", "x-amzn-requestid": "client-chosen" },
    });
    assert.equal(mapped.headers["x-request-id"], "0a1b2c3d-0000-4000-8000-00000000abcd", "the id API Gateway maps wins");
    const generated = await request(h.url, { path: "/health" });
    assert.match(String(generated.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    // A header that could forge log content is not trusted.
    const hostile = await request(h.url, { path: "/health", headers: { "x-amzn-requestid": "a b\"c" } });
    assert.match(String(hostile.headers["x-request-id"]), /^[0-9a-f-]{36}$/);
    const errored = await request(h.url, { path: "/missing", headers: { "x-amzn-requestid": "req-404" } });
    assert.equal(errored.headers["x-request-id"], "req-404");
  });

  it("keeps idle connections longer than the ALB does (Keep-Alive timeout above 300 s)", async () => {
    const server = h.server.server;
    assert.ok(server.keepAliveTimeout > ALB_IDLE_TIMEOUT_SECONDS * 1000);
    assert.equal(server.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS);
    assert.ok(server.headersTimeout > server.keepAliveTimeout);
    assert.equal(server.headersTimeout, HEADERS_TIMEOUT_MS);
    assert.equal(server.requestTimeout, REQUEST_TIMEOUT_MS, "receiving a request is bounded (a stalled upload)");
    assert.ok(server.requestTimeout >= server.headersTimeout, "slow headers keep their full headersTimeout");
    assert.equal(server.timeout, 0, "no socket inactivity timeout");
    const agent = new http.Agent({ keepAlive: true });
    const reply = await request(h.url, { path: "/health", agent });
    agent.destroy();
    assert.equal(reply.headers["keep-alive"], `timeout=${Math.floor(KEEP_ALIVE_TIMEOUT_MS / 1000)}`);
  });
});
