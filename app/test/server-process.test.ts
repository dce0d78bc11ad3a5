import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { type FakeBedrock, NO_PACING, startFakeBedrock } from "../local/fake-bedrock";
import { assertErrorBody } from "./helpers/assertions";
import { request, parseLines, postStream } from "./helpers/http-client";
import { LiveStream } from "./helpers/live-stream";
import { bundleDir, ServerProcess } from "./helpers/server-process";

describe("the production bundle, run as a process", function () {
  this.timeout(20_000);
  let fake: FakeBedrock;
  const servers: ServerProcess[] = [];
  const start = async (env: Record<string, string> = {}, options: { expectExit?: boolean } = {}) => {
    const server = await ServerProcess.start({ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url, ...env }, options);
    servers.push(server);
    return server;
  };

  before(async () => {
    fake = await startFakeBedrock({ pacing: NO_PACING });
    await bundleDir();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  after(() => fake.close());

  describe("build", () => {
    it("is one self-contained file: it requires nothing but Node's built-in modules", async () => {
      const dir = await bundleDir();
      assert.deepEqual(readdirSync(dir).sort(), ["server.js", "server.js.LEGAL.txt", "server.js.map"]);
      for (let folder = dir; folder !== path.dirname(folder); folder = path.dirname(folder)) {
        assert.ok(!existsSync(path.join(folder, "node_modules")), `no node_modules in ${folder}`);
      }
      const code = readFileSync(path.join(dir, "server.js"), "utf8");
      // `(?<!\[)`: the SDK quotes `[require("@aws-sdk/signature-v4-crt");]` inside an error message; that is text, not a call.
      const required = new Set([...code.matchAll(/(?<!\[)require\("([^"]+)"\)/g)].map((match) => match[1]));
      assert.ok(required.has("node:http") || required.has("http"), "the scan does see the bundle's requires");
      const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
      const external = [...required].filter((name) => !builtins.has(name));
      assert.deepEqual(external, [], "everything else is inside the bundle");
    });
  });

  describe("serving", () => {
    it("starts with plain node in a folder without node_modules and serves /health and /stream", async () => {
      const server = await start();
      const health = await request(server.url, { path: "/health" });
      assert.deepEqual(health.json(), { status: "healthy" });
      fake.setScenario({ steps: [{ text: "from " }, { text: "the bundle" }] });
      const reply = await postStream(server.url, { message: "hi" });
      const lines = parseLines(reply.text);
      assert.deepEqual(lines.slice(0, 2), [{ data: "from " }, { data: "the bundle" }]);
      assert.equal(lines[2].done, true);
    });

    it("writes one structured log line per request, with the fields operators need", async () => {
      const server = await start();
      fake.setScenario({ steps: [{ text: "a" }, { text: "b" }], stopReason: "end_turn", usage: { inputTokens: 5, outputTokens: 2 } });
      const requestId = "apigw-req-0001";
      await postStream(server.url, { message: "hi" }, { headers: { "x-amzn-requestid": requestId } });
      await request(server.url, { path: "/health", headers: { "x-amzn-requestid": "apigw-req-0002" } });
      await request(server.url, { path: "/nowhere", headers: { "x-amzn-requestid": "apigw-req-0003" } });
      const log = await server.waitForLog((line) => line.requestId === requestId);
      assert.equal(server.logs.filter((line) => line.requestId === requestId).length, 1, "exactly one line");
      assert.equal(log.level, "info");
      assert.equal(log.route, "/stream");
      assert.equal(log.method, "POST");
      assert.equal(log.status, 200);
      assert.ok(typeof log.durationMs === "number" && log.durationMs >= 0);
      assert.ok(typeof log.ttftMs === "number" && log.ttftMs <= log.durationMs);
      assert.deepEqual(log.usage, { inputTokens: 5, outputTokens: 2, totalTokens: 7 });
      assert.equal(log.stopReason, "end_turn");
      assert.equal(log.aborted, false);
      assert.equal(log.errorCode, null);
      assert.ok(!Number.isNaN(Date.parse(log.time)));
      const health = await server.waitForLog((line) => line.requestId === "apigw-req-0002");
      assert.equal(health.route, "/health");
      assert.equal(health.ttftMs, null);
      const missing = await server.waitForLog((line) => line.requestId === "apigw-req-0003");
      assert.equal(missing.status, 404);
      assert.equal(missing.route, null);
    });

    it("never logs prompt or reply text, whatever happens to the request", async () => {
      const server = await start({ LOG_LEVEL: "trace", BODY_LIMIT_BYTES: "256" });
      const prompt = "PROMPT-CANARY-7f3a";
      const replyText = "REPLY-CANARY-91bc";
      fake.setScenario((req) =>
        JSON.stringify(req.body).includes("denied") ? { error: { type: "AccessDeniedException" } } : { steps: [{ text: replyText }] },
      );
      const post = (body: string) =>
        request(server.url, { method: "POST", path: "/stream", headers: { "Content-Type": "application/json" }, body });
      assert.equal((await post(JSON.stringify({ message: prompt }))).status, 200);
      assert.equal((await post(JSON.stringify({ message: `${prompt} denied` }))).status, 502);
      assert.equal((await post(`{"message":"${prompt}`)).status, 400);
      assert.equal((await post(JSON.stringify({ message: prompt, [prompt]: 1 }))).status, 400);
      assert.equal((await post(JSON.stringify({ message: prompt.repeat(20) }))).status, 413);
      assert.equal((await post(JSON.stringify({ messages: [{ role: "assistant", content: prompt }] }))).status, 400);
      await server.waitForLog((line) => line.status === 400 && line.errorCode === "invalid_request" && line.path === "/stream");
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(server.logs.length >= 6);
      assert.ok(!server.stdout.includes("CANARY"), "no prompt or reply text on stdout");
      assert.ok(!server.stderr.includes("CANARY"), "no prompt or reply text on stderr");
    });
  });

  describe("graceful shutdown", () => {
    it("on SIGTERM: answers new requests 503, lets streams finish within the grace, ends the rest, exits 0", async () => {
      const graceMs = 1500;
      const server = await start({ SHUTDOWN_GRACE_MS: String(graceMs) });
      fake.setScenario((req) =>
        JSON.stringify(req.body).includes("quick")
          ? { steps: [{ text: "q0" }, ...Array.from({ length: 5 }, (_, i) => ({ text: `q${i + 1}`, delayMs: 100 }))] }
          : { steps: [{ text: "s0" }, { hang: true }] },
      );
      const quick = await LiveStream.open(server.url, { message: "quick" });
      const slow = await LiveStream.open(server.url, { message: "slow" });
      await Promise.all([quick.waitForLines(1), slow.waitForLines(1)]);
      const slowCall = fake.requests.at(-1)!;
      const signalledAt = Date.now();
      server.child.kill("SIGTERM");
      await server.waitForLog((line) => line.msg?.startsWith("shutting down"));

      const refused = await request(server.url, { path: "/health" });
      assertErrorBody(refused, 503, "shutting_down");
      assert.equal(refused.headers.connection, "close");
      assert.ok(refused.headers["retry-after"], "a new request is told when to retry, never reset");

      const quickLines = await quick.done(5000);
      assert.deepEqual(quickLines.slice(0, 6).map((line) => line.data), ["q0", "q1", "q2", "q3", "q4", "q5"]);
      assert.equal(quickLines[6].done, true, "the stream that could finish within the grace did");

      const slowLines = await slow.done(5000);
      const endedAfter = Date.now() - signalledAt;
      assert.deepEqual(slowLines[0], { data: "s0" });
      assert.equal(slowLines[1].error.code, "shutting_down");
      assert.equal(slowLines.length, 2);
      assert.ok(endedAfter >= graceMs - 50, `the slow stream got its grace period (${endedAfter} ms)`);
      assert.equal((await fake.waitForClose(slowCall)).outcome, "client-aborted", "its Bedrock call was aborted");

      assert.deepEqual(await server.exited, { code: 0, signal: null });
      const slowLog = server.logs.find((line) => line.errorCode === "shutting_down");
      assert.equal(slowLog?.aborted, true);
      assert.ok(server.logs.some((line) => line.msg === "shutdown complete"));
    });

    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      it(`${signal} with nothing in flight exits 0 at once`, async () => {
        const server = await start();
        const startedAt = Date.now();
        server.child.kill(signal);
        assert.deepEqual(await server.exited, { code: 0, signal: null });
        assert.ok(Date.now() - startedAt < 3000);
      });
    }
  });

  describe("start-up failures", () => {
    it("invalid configuration: a clear message naming each variable, exit code 1, no stack trace", async () => {
      const server = await start({ PORT: "http", DEFAULT_MAX_TOKENS: "0", AWS_REGION: "" }, { expectExit: true });
      const exit = await server.exited;
      assert.equal(exit.code, 1);
      assert.match(server.stderr, /Invalid configuration/);
      assert.match(server.stderr, /PORT must be a whole number \(got "http"\)/);
      assert.match(server.stderr, /DEFAULT_MAX_TOKENS must be at least 1/);
      assert.match(server.stderr, /AWS_REGION is required/);
      assert.doesNotMatch(server.stderr, /\bat .+:\d+:\d+/);
      assert.equal(server.logs.length, 0);
    });

    it("a port already in use: a fatal log line and exit code 1", async () => {
      const first = await start();
      const second = await start({ PORT: String(first.port) }, { expectExit: true });
      assert.equal((await second.exited).code, 1);
      const fatal = second.logs.find((line) => line.level === "fatal");
      assert.match(String(fatal?.msg), /cannot listen/);
      assert.match(JSON.stringify(fatal?.err), /EADDRINUSE/);
    });
  });
});
