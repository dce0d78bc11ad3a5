import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http from "node:http";
import { type FakeBedrock, NO_PACING, startFakeBedrock } from "../local/fake-bedrock";
import { TEST_ENV, type LogLine, waitUntil } from "./helpers/harness";
import { parseLines, request } from "./helpers/http-client";
import { bundleDir, ServerProcess } from "./helpers/server-process";

describe("the production bundle under shutdown and a stalled log reader", function () {
  this.timeout(30_000);
  let fake: FakeBedrock;
  const servers: ServerProcess[] = [];
  before(async () => {
    fake = await startFakeBedrock({ pacing: NO_PACING });
    await bundleDir();
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });
  after(() => fake.close());

  /**
   * The bundle with a stdout pipe that nobody reads once it is listening: `text()` is what was read up to then (and
   * again after `stdout.on("data", onData).resume()`).
   */
  async function startWithStalledStdout(shutdownGraceMs: string) {
    const child = spawn(process.execPath, ["server.js"], {
      cwd: await bundleDir(),
      env: { PATH: process.env.PATH ?? "", ...TEST_ENV, PORT: "0", HOST: "127.0.0.1", AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url, SHUTDOWN_GRACE_MS: shutdownGraceMs },
      stdio: ["ignore", "pipe", "ignore"],
    });
    const exited = once(child, "exit");
    let read = "";
    const stdout = child.stdout!.setEncoding("utf8");
    const onData = (chunk: string) => (read += chunk);
    stdout.on("data", onData);
    const listening = await waitUntil(() => (/"msg":"listening"[^\n]*\n/.test(read) ? JSON.parse(read.split("\n")[0]) : undefined), 10_000, "listening");
    stdout.off("data", onData);
    stdout.pause(); // from now on nobody reads: the pipe fills up
    return { child, exited, stdout, onData, text: () => read, url: `http://127.0.0.1:${listening.port}` };
  }

  it("SIGTERM with 50 requests arriving: every client gets an answer (its stream, or 503 shutting_down), no resets", async () => {
    const server = await ServerProcess.start({ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url, SHUTDOWN_GRACE_MS: "2000" });
    servers.push(server);
    fake.setScenario({ steps: Array.from({ length: 5 }, (_, i) => ({ text: `t${i}`, delayMs: 20 })) });
    const send = (i: number) =>
      request(server.url, { method: "POST", path: "/stream", body: { message: `m${i}` } }).then(
        (reply) => reply,
        (err: Error) => err,
      );
    const first = Array.from({ length: 10 }, (_, i) => send(i));
    await fake.waitForRequests(fake.requests.length + 1);
    server.child.kill("SIGTERM");
    const replies = await Promise.all([...first, ...Array.from({ length: 40 }, (_, i) => send(10 + i))]);
    const failures = replies.filter((reply) => reply instanceof Error);
    assert.deepEqual(failures.map(String), [], "no client was reset or refused");
    let streamed = 0;
    for (const reply of replies) {
      if (reply instanceof Error) continue;
      if (reply.status === 200) {
        assert.equal(parseLines(reply.text).at(-1).done, true);
        streamed += 1;
      } else {
        assert.equal(reply.status, 503, reply.text);
        assert.equal(reply.json().error.code, "shutting_down");
        assert.ok(reply.headers["retry-after"]);
        assert.equal(reply.headers.connection, "close");
      }
      const requestId = String(reply.headers["x-request-id"]);
      await server.waitForLog((line) => line.requestId === requestId && "status" in line);
    }
    console.log(`      ${streamed} streamed, ${50 - streamed} answered 503`);
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    assert.equal(server.logs.at(-1)?.msg, "shutdown complete");
  });

  it("SIGTERM right when the bundle starts running, long before it listens: a graceful exit 0, not death by signal", async () => {
    // NODE_DEBUG=module reports the bundle's first require() (parent "."): its first statements have run by then,
    // and everything slow (the SDK, Koa) is still to load.
    const server = await ServerProcess.start({ AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url, NODE_DEBUG: "module" }, { expectExit: true });
    servers.push(server);
    await waitUntil(() => (/Module\._load REQUEST \S+ parent: \.\n/.test(server.stderr) ? true : undefined), 10_000, "the first require");
    server.child.kill("SIGTERM");
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    const messages = server.logs.map((line) => line.msg);
    assert.deepEqual(messages.slice(-2), ["shutting down: new requests get 503 until the grace period ends", "shutdown complete"]);
  });

  it("a stalled stdout: requests are still served, the buffer is bounded, SIGTERM exits in time with the lines in order", async () => {
    const { child, exited, stdout, onData, text, url } = await startWithStalledStdout("500");
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let next = 0;
    const worker = async () => {
      while (next++ < 6000) assert.equal((await request(url, { path: "/health", agent, headers: { "x-request-id": `stall-${next}` } })).status, 200);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    agent.destroy();
    const rssKb = Number(/VmRSS:\s*(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1]);
    child.kill("SIGTERM");
    setTimeout(() => stdout.on("data", onData).resume(), 300).unref(); // the driver recovers during the shutdown
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    const lines: LogLine[] = text().trim().split("\n").map((line) => JSON.parse(line));
    const messages = lines.map((line) => line.msg);
    const dropped = lines.find((line) => line.droppedLines > 0);
    assert.ok(dropped, "lines beyond the buffer were dropped and counted");
    assert.ok(messages.indexOf("shutting down: new requests get 503 until the grace period ends") < messages.indexOf("shutdown complete"));
    assert.equal(messages.at(-1), "shutdown complete", "the last lines are flushed before exit, in order");
    const times = lines.map((line) => Date.parse(line.time));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), "written in the order they were logged");
    console.log(`      RSS with stdout stalled: ${Math.round(rssKb / 1024)} MB; ${dropped.droppedLines} lines dropped`);
  });

  it("a stdout that never recovers: SIGTERM still ends the process with exit 0 (buffered lines are given up at the deadline)", async () => {
    const { child, exited, url } = await startWithStalledStdout("200");
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    let sent = 0;
    const worker = async () => {
      while (sent++ < 2000) assert.equal((await request(url, { path: "/health", agent })).status, 200);
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    agent.destroy();
    child.kill("SIGTERM");
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
  });
});
