import assert from "node:assert/strict";
import http from "node:http";
import { assertErrorBody } from "./helpers/assertions";
import { type Harness, startHarness } from "./helpers/harness";
import { postStream } from "./helpers/http-client";

describe("graceful shutdown of the in-process server", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ SHUTDOWN_GRACE_MS: "400" });
  });
  afterEach(() => h.close());

  it("a request still waiting for Bedrock when the grace ends gets 503 shutting_down, and its call is aborted", async () => {
    h.fake.setScenario({ headersDelayMs: 10_000 });
    const pending = postStream(h.url, { message: "slow to start" });
    const [call] = await h.fake.waitForRequests(1);
    const shutdown = h.server.shutdown("test");
    const reply = await pending;
    assertErrorBody(reply, 503, "shutting_down");
    assert.equal(reply.headers["retry-after"], "1");
    assert.equal(reply.headers.connection, "close");
    assert.equal((await h.fake.waitForClose(call)).outcome, "client-aborted");
    await shutdown;
  });

  it("a request already arriving when shutdown starts is served, with Connection: close", async () => {
    h.fake.setScenario({ steps: [{ text: "served" }] });
    const body = JSON.stringify({ message: "uploading slowly" });
    const agent = new http.Agent({ keepAlive: true });
    const req = http.request(new URL("/stream", h.url), {
      method: "POST",
      agent,
      headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) },
    });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => req.once("response", resolve).once("error", reject));
    req.write(body.slice(0, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const shutdown = h.server.shutdown("test");
    req.end(body.slice(10));
    const res = await response;
    let text = "";
    for await (const chunk of res) text += chunk;
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers.connection, "close", "the client is told not to reuse the connection");
    assert.deepEqual(JSON.parse(text.split("\n")[0]), { data: "served" });
    agent.destroy();
    await shutdown;
  });
});
