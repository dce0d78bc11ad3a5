import assert from "node:assert/strict";
import http from "node:http";
import type { RecordedRequest } from "../local/fake-bedrock";
import { type Harness, startHarness, waitUntil } from "./helpers/harness";
import { postStream } from "./helpers/http-client";
import { LiveStream } from "./helpers/live-stream";

/** The bound: the Bedrock request is closed within 100 ms of the client leaving. */
const UPSTREAM_CLOSE_BOUND_MS = 100;

describe("client disconnects", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  async function assertCancelledInTime(call: RecordedRequest, disconnectedAt: number) {
    const closed = await h.fake.waitForClose(call, 2000);
    assert.equal(closed.outcome, "client-aborted");
    const lag = closed.closedAt! - disconnectedAt;
    assert.ok(lag <= UPSTREAM_CLOSE_BOUND_MS, `upstream closed ${lag} ms after the client left`);
  }

  it("mid-stream: the Bedrock request is aborted at once and the request logged as a client abort", async () => {
    h.fake.setScenario({ steps: [{ text: "one" }, { text: "two", delayMs: 20 }, { hang: true }] });
    const stream = await LiveStream.open(h.url, { message: "I will leave" });
    const [call] = h.fake.requests.slice(-1);
    await stream.waitForLines(2);
    const disconnectedAt = stream.disconnect();
    await assertCancelledInTime(call, disconnectedAt);
    const log = await h.logFor(String(stream.res.headers["x-request-id"]));
    assert.equal(log.aborted, true);
    assert.equal(log.errorCode, "client_closed");
    assert.equal(log.level, "info");
    assert.match(log.msg, /client aborted/);
    assert.equal(log.status, 200);
    assert.equal(log.deltas, 2);
    await waitUntil(() => (h.server.activeStreams.size === 0 ? true : undefined), 1000, "the stream to be forgotten");
  });

  it("before Bedrock answered: the pending call is aborted too", async () => {
    h.fake.setScenario({ headersDelayMs: 5000 });
    const before = h.fake.requests.length;
    const req = http.request(new URL("/stream", h.url), { method: "POST", headers: { "Content-Type": "application/json" } });
    req.on("error", () => undefined);
    req.end(JSON.stringify({ message: "never mind" }));
    const [call] = (await h.fake.waitForRequests(before + 1)).slice(-1);
    const disconnectedAt = Date.now();
    req.destroy();
    await assertCancelledInTime(call, disconnectedAt);
    const log = await waitUntil(() => h.logs.find((line) => line.errorCode === "client_closed" && line.status === 499), 2000, "the 499 log line");
    assert.equal(log.aborted, true);
    assert.equal(log.ttftMs, null);
  });

  it("a slow reader that leaves while the server waits for the socket to drain still cancels the call", async () => {
    h.fake.setScenario({ steps: Array.from({ length: 3000 }, () => ({ text: "x".repeat(4096) })) });
    const stream = await LiveStream.open(h.url, { message: "big" });
    const [call] = h.fake.requests.slice(-1);
    stream.res.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const disconnectedAt = stream.disconnect();
    await assertCancelledInTime(call, disconnectedAt);
  });
});

describe("200 concurrent streams", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  /** A distinct, deterministic reply per stream, mixing ASCII and multi-byte text, with interleaving delays. */
  const pieces = (id: number) => Array.from({ length: 12 }, (_, i) => `#${id}.${i} ストリーム🙂${"é".repeat(id % 7)} `);

  it("each client receives exactly its own reply, byte for byte", async function () {
    this.timeout(30_000);
    h.fake.setScenario((req) => {
      const id = Number(/^stream (\d+)$/.exec(req.body.messages[0].content[0].text)![1]);
      return { steps: pieces(id).map((text, i) => ({ text, delayMs: (id * 7 + i * 3) % 11 })) };
    });
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const ids = Array.from({ length: 200 }, (_, id) => id);
    const replies = await Promise.all(ids.map((id) => postStream(h.url, { message: `stream ${id}` }, { agent })));
    agent.destroy();
    for (const id of ids) {
      const reply = replies[id];
      assert.equal(reply.status, 200, `stream ${id}`);
      const expected = Buffer.from(pieces(id).map((data) => `${JSON.stringify({ data })}\n`).join(""), "utf8");
      assert.ok(reply.raw.subarray(0, expected.length).equals(expected), `stream ${id}: data lines byte-exact`);
      const last = JSON.parse(reply.raw.subarray(expected.length).toString("utf8"));
      assert.equal(last.done, true, `stream ${id}: done line`);
      assert.equal(last.usage.outputTokens, 12);
    }
    assert.equal(h.fake.requests.filter((r) => r.outcome === "completed").length, 200);
  });
});
