import assert from "node:assert/strict";
import type { ClientRequest } from "node:http";
import { upload, type UploadOutcome } from "../bench/upload-client";
import { type Harness, startHarness } from "./helpers/harness";
import { startRequest } from "./helpers/http-client";

const MiB = 1024 * 1024;

/** An OpenAI chat body of about `bytes` bytes. */
const chatBody = (bytes: number) => Buffer.from(JSON.stringify({ messages: [{ role: "user", content: `hi ${"x".repeat(bytes)}` }] }));

function assertRefusal(outcome: UploadOutcome, status: number, code: string): void {
  assert.equal(outcome.error, undefined, `no answer: ${outcome.error}`);
  assert.equal(outcome.status, status, outcome.text.slice(0, 200));
  assert.equal(JSON.parse(outcome.text).error.code, code, "the complete answer, in OpenAI's error shape");
  assert.equal(outcome.lateError, undefined, "the client finished sending before the connection closed");
}

/**
 * Issue 20 item 12, over real sockets: a body refused for memory is answered 503 with Retry-After even when the
 * client is still sending it and asked for `Connection: close`; a stalled upload is answered and gives its
 * reservation back. Budget 10 MiB, so one 3 MiB body (12 MiB reserved, four times its size) fills it.
 */
describe("large bodies: refusals that reach the client, stalled uploads", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ BODY_MEMORY_BYTES: String(10 * MiB), BODY_MEMORY_WAIT_MS: "0", BODY_READ_TIMEOUT_MS: "1000" });
  });
  after(() => h.close());
  afterEach(() => h.fake.setScenario({ steps: [{ text: "ok" }] }));

  /** Starts a request whose answer Bedrock delays, so its reservation is held until the caller destroys it. */
  async function holdBudget(): Promise<ClientRequest> {
    const before = h.fake.requests.length;
    h.fake.setScenario({ headersDelayMs: 20_000, steps: [{ text: "ok" }] });
    const { req } = startRequest(h.url, { method: "POST", path: "/chat/completions", body: chatBody(3 * MiB), headers: { "Content-Type": "application/json" } });
    req.on("error", () => undefined);
    await h.fake.waitForRequests(before + 1);
    return req;
  }

  it("bodies refused for memory while still being uploaded each get the whole 503 with Retry-After, no reset", async () => {
    const held = await holdBudget();
    // 5 MB each (under the 5 MiB limit): more than the socket buffers hold, so each client is still writing when the
    // server decides.
    const refused = await Promise.all(Array.from({ length: 3 }, () => upload(`${h.url}/chat/completions`, chatBody(5_000_000))));
    held.destroy();
    for (const outcome of refused) {
      assertRefusal(outcome, 503, "overloaded");
      assert.equal(outcome.headers["retry-after"], "1");
    }
  });

  it("a stalled upload is answered 408 at the body deadline and gives its reservation back", async () => {
    const before = h.fake.requests.length;
    const stalled = upload(`${h.url}/chat/completions`, chatBody(3 * MiB), { stallAfterBytes: 100_000 });
    // While it holds the budget, a stalled upload refused for memory is answered too (503, at its own deadline).
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refusedStalled = upload(`${h.url}/chat/completions`, chatBody(3 * MiB), { stallAfterBytes: 100_000 });
    assertRefusal(await stalled, 408, "request_timeout");
    assertRefusal(await refusedStalled, 503, "overloaded");
    assert.equal(h.fake.requests.length, before, "neither reached Bedrock");
    // Its 12 MiB are free again: were they still reserved, this body would not fit beside them.
    const served = await upload(`${h.url}/chat/completions`, chatBody(3 * MiB));
    assert.equal(served.status, 200, served.text.slice(0, 200));
    const lines = h.logs.filter((line) => line.errorCode === "request_timeout");
    assert.equal(lines.length, 1, "one log line for the stalled request");
    assert.equal(lines[0].status, 408);
  });

  it("other callers are still served while stalled uploads wait for their deadline", async () => {
    const stalled = Array.from({ length: 4 }, () => upload(`${h.url}/chat/completions`, chatBody(MiB), { stallAfterBytes: 1000 }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const small = await upload(`${h.url}/chat/completions`, chatBody(1000));
    assert.equal(small.status, 200, "a small body fits beside the stalled ones' reservations");
    for (const outcome of await Promise.all(stalled)) assert.ok(outcome.status === 408 || outcome.status === 503, String(outcome.status));
  });
});
