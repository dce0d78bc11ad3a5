import assert from "node:assert/strict";
import net from "node:net";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

const MiB = 1024 * 1024;

describe("memory held by request bodies in flight", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ BODY_MEMORY_BYTES: String(10 * MiB), BODY_MEMORY_WAIT_MS: "0" });
    h.fake.setScenario({ steps: [{ text: "ok" }] });
  });
  after(() => h.close());

  const chat = (filler: number) => ({
    messages: [{ role: "user", content: `hi ${"x".repeat(filler)}` }],
  });

  it("a body that does not fit beside the ones in flight is a 503 with Retry-After in the format's shape; it fits again once they end", async () => {
    // A 2 MiB body whose answer Bedrock delays: its reservation (four times its size) lasts until its response ends.
    h.fake.setScenario({ headersDelayMs: 1000, steps: [{ text: "ok" }] });
    const first = request(h.url, { method: "POST", path: "/chat/completions", body: chat(2 * MiB) });
    await h.fake.waitForRequests(1);

    const refused = await request(h.url, { method: "POST", path: "/chat/completions", body: chat(MiB) });
    assert.equal(refused.status, 503, refused.text.slice(0, 200));
    assert.equal(refused.headers["retry-after"], "1");
    const error = refused.json().error;
    assert.equal(error.code, "overloaded");
    assert.equal(error.type, "server_error", "OpenAI's error shape");

    assert.equal(h.fake.requests.length, 1, "the refused request never reached Bedrock");
    assert.equal((await first).status, 200);
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    const served = await request(h.url, { method: "POST", path: "/chat/completions", body: chat(MiB) });
    assert.equal(served.status, 200);
  });

  it("a lone body larger than the budget is still served", async () => {
    const served = await request(h.url, { method: "POST", path: "/chat/completions", body: chat(3 * MiB) });
    assert.equal(served.status, 200);
  });
});

describe("memory held by request bodies in flight, with a wait for memory to free", () => {
  let h: Harness;
  before(async () => {
    // The wait (20 s) outlasts the held request's delayed answer by far; the body deadline (30 s) bounds it.
    h = await startHarness({ BODY_MEMORY_BYTES: String(10 * MiB), BODY_MEMORY_WAIT_MS: "20000", BODY_READ_TIMEOUT_MS: "30000" });
  });
  after(() => h.close());

  const chat = (filler: number) => ({ messages: [{ role: "user", content: `hi ${"x".repeat(filler)}` }] });

  it("a body that does not fit waits for the one in flight to end, then is served instead of refused", async () => {
    h.fake.setScenario({ headersDelayMs: 1000, steps: [{ text: "ok" }] });
    const first = request(h.url, { method: "POST", path: "/chat/completions", body: chat(2 * MiB) });
    await h.fake.waitForRequests(1);
    const waiting = request(h.url, { method: "POST", path: "/chat/completions", body: chat(MiB) });
    assert.equal((await first).status, 200);
    const served = await waiting;
    assert.equal(served.status, 200, served.text.slice(0, 200));
    assert.equal(h.fake.requests.length, 2, "it reached Bedrock once the first had ended");
  });

  it("a caller that leaves while waiting gives up its place: the memory it never got is not counted as held", async () => {
    h.fake.setScenario({ headersDelayMs: 1000, steps: [{ text: "ok" }] });
    const before = h.fake.requests.length;
    const first = request(h.url, { method: "POST", path: "/chat/completions", body: chat(2 * MiB) });
    await h.fake.waitForRequests(before + 1);
    // Declares 2 MiB but sends one byte: its connection is not paused by an unread body, so its leaving is seen
    // while it waits.
    const leaving = net.connect(Number(new URL(h.url).port), "127.0.0.1");
    leaving.on("error", () => undefined);
    leaving.write(`POST /chat/completions HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: ${2 * MiB}\r\n\r\n{`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    leaving.destroy();
    assert.equal((await first).status, 200);
    // Had the leaver been let in when memory freed, its 8 MiB would stay reserved, and this body (8 MiB beside a
    // second one) would wait out the line and get a 503.
    h.fake.setScenario({ headersDelayMs: 1000, steps: [{ text: "ok" }] });
    const [a, b] = await Promise.all([
      request(h.url, { method: "POST", path: "/chat/completions", body: chat(MiB) }),
      request(h.url, { method: "POST", path: "/chat/completions", body: chat(MiB) }),
    ]);
    assert.deepEqual([a.status, b.status], [200, 200]);
    assert.equal(h.fake.requests.length, before + 3, "the leaver never reached Bedrock");
  });
});
