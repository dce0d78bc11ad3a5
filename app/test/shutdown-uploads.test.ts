import assert from "node:assert/strict";
import net from "node:net";
import { type Harness, startHarness } from "./helpers/harness";
import { startRequest } from "./helpers/http-client";
import { head, parseRawReply, type RawReply } from "./helpers/raw-socket";

interface PacedUpload {
  reply: RawReply;
  /** The first socket or write error (EPIPE, ECONNRESET, a write after the server closed...), if any. */
  error?: string;
  /** How many body bytes the server accepted before the exchange ended. */
  written: number;
}

/**
 * POSTs `size` bytes of body in `chunk`-byte writes, each once the previous one was flushed and after a pause, over
 * a raw socket: Node's client would close its own socket as soon as a complete answer arrives, hiding what the
 * server did. Reads until the server closes.
 */
async function pacedUpload(url: string, size: number, chunk: number): Promise<PacedUpload> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const result: PacedUpload = { reply: parseRawReply("", false), written: 0 };
  const failed = (err: Error & { code?: string }) => (result.error ??= err.code ?? err.message);
  socket.on("error", failed);
  const received: Buffer[] = [];
  socket.on("data", (data: Buffer) => received.push(data));
  const closed = new Promise((resolve) => socket.once("close", resolve));
  await new Promise((resolve) => socket.once("connect", resolve));
  const write = (bytes: string | Buffer) =>
    new Promise<boolean>((resolve) => socket.write(bytes, (err) => resolve(!(err && failed(err)))));
  await write(head("POST /chat/completions HTTP/1.1", "Host: test", "Content-Type: application/json", `Content-Length: ${size}`));
  for (let sent = 0; sent < size && !socket.destroyed; sent += chunk) {
    const piece = Buffer.alloc(Math.min(chunk, size - sent), "x");
    if (!(await write(piece))) break;
    result.written += piece.length;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await closed;
  result.reply = parseRawReply(Buffer.concat(received).toString("latin1"), true);
  return result;
}

/**
 * A request arriving after shutdown started is answered 503 `shutting_down`; when its body is still being uploaded,
 * the connection closes only once that body has been read, so the client gets the answer instead of a broken pipe.
 */
describe("shutdown: a refused request whose body is still arriving", function () {
  this.timeout(20_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ SHUTDOWN_GRACE_MS: "10000" });
  });
  after(() => h.close());

  it("gets the complete 503 shutting_down and sends its whole 2 MB body: no reset, no EPIPE", async () => {
    // A stream still waiting for Bedrock keeps the shutdown in its grace period.
    h.fake.setScenario({ headersDelayMs: 30_000, steps: [{ text: "late" }] });
    const stream = startRequest(h.url, { method: "POST", path: "/stream", body: { message: "long" } });
    stream.req.on("error", () => undefined);
    await h.fake.waitForRequests(1);
    const shutdown = h.server.shutdown("test");

    const size = 2 * 1024 * 1024;
    const upload = await pacedUpload(h.url, size, 64 * 1024);
    assert.equal(upload.error, undefined, "the client was never reset");
    assert.equal(upload.written, size, "the whole body was sent");
    assert.equal(upload.reply.status, 503);
    assert.equal(upload.reply.headers.connection, "close");
    assert.equal(upload.reply.headers["retry-after"], "1");
    assert.equal(upload.reply.body.length, Number(upload.reply.headers["content-length"]), "the complete body");
    assert.equal(JSON.parse(upload.reply.body).error.code, "shutting_down");
    assert.equal(h.fake.requests.length, 1, "the refused request never reached Bedrock");

    // The stream's client leaves: nothing is in flight any more and shutdown completes before its grace ends.
    stream.req.destroy();
    await shutdown;
  });
});
