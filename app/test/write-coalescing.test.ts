import assert from "node:assert/strict";
import net from "node:net";
import { type Harness, startHarness } from "./helpers/harness";
import { type GateProxy, startGateProxy } from "./helpers/gate-proxy";

/**
 * Frames that are ready in the same event-loop iteration leave in one HTTP chunk (one socket write), and a frame
 * that is ready alone leaves alone, at once (`FrameSink`, shared by every wire format). The upstream's frames are held back
 * by a proxy and released together, which is what a lagging event loop sees at 1,000 streams; the client reads the
 * raw chunked encoding, so each chunk it parses is one `res.write` of the server.
 */

interface RawStream {
  /** The body's chunks as the server framed them (chunked transfer encoding), in order. */
  chunks: string[];
  /** Resolves once `count` chunks have arrived. */
  waitForChunks(count: number, timeoutMs?: number): Promise<void>;
  done: Promise<void>;
}

/** POSTs `/stream` over a raw socket and parses the chunked body itself, keeping every chunk's boundaries. */
function rawStream(url: string, body: object): RawStream {
  const { port } = new URL(url);
  const payload = JSON.stringify(body);
  const socket = net.connect(Number(port), "127.0.0.1");
  // Not `end()`: a half-closed request socket is a client that left.
  socket.write(
    `POST /stream HTTP/1.1\r\nHost: test\r\nConnection: close\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}`,
  );
  const stream: RawStream = { chunks: [], waitForChunks: async () => undefined, done: Promise.resolve() };
  let buffer = Buffer.alloc(0);
  let inBody = false;
  const waiters = new Set<() => void>();
  socket.on("data", (data: Buffer) => {
    buffer = Buffer.concat([buffer, data]);
    if (!inBody) {
      const end = buffer.indexOf("\r\n\r\n");
      if (end === -1) return;
      assert.match(buffer.subarray(0, end).toString("latin1"), /transfer-encoding: chunked/i);
      buffer = buffer.subarray(end + 4);
      inBody = true;
    }
    for (let line = buffer.indexOf("\r\n"); line !== -1; line = buffer.indexOf("\r\n")) {
      const size = parseInt(buffer.subarray(0, line).toString("latin1"), 16);
      if (buffer.length < line + 2 + size + 2) break;
      if (size > 0) stream.chunks.push(buffer.subarray(line + 2, line + 2 + size).toString("utf8"));
      buffer = buffer.subarray(line + 2 + size + 2);
    }
    waiters.forEach((wake) => wake());
  });
  stream.done = new Promise((resolve) => socket.once("close", () => resolve()));
  stream.waitForChunks = async (count, timeoutMs = 3000) => {
    const deadline = Date.now() + timeoutMs;
    while (stream.chunks.length < count) {
      if (Date.now() > deadline) throw new Error(`have ${stream.chunks.length} of ${count} chunks: ${JSON.stringify(stream.chunks)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 20);
        waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      waiters.clear();
    }
  };
  return stream;
}

describe("write coalescing: one chunk per event-loop iteration, never a wait", () => {
  let h: Harness;
  let gate: GateProxy;
  before(async () => {
    h = await startHarness({}, {}, async (fakeUrl) => {
      gate = await startGateProxy(Number(new URL(fakeUrl).port));
      return gate.url;
    });
  });
  after(async () => {
    await h.close();
    await gate.close();
  });

  it("deltas that arrive together leave as one chunk, each complete; a delta alone leaves alone, at once", async () => {
    const burst = ["b1", "b2", "b3", "b4", "b5"];
    h.fake.setScenario({ steps: [{ text: "alone" }, ...burst.map((text, i) => ({ text, delayMs: i === 0 ? 100 : 0 }))] });
    const stream = rawStream(h.url, { message: "hi" });
    // The first delta is sent on its own, with nothing behind it: it must reach the client by itself.
    await stream.waitForChunks(1);
    assert.deepEqual(stream.chunks, ['{"data":"alone"}\n']);
    // The rest piles up upstream (as behind a lagging event loop), then reaches the server in one read.
    gate.hold();
    const [record] = await h.fake.waitForRequests(1);
    await h.fake.waitForClose(record);
    gate.release();
    await stream.done;
    const [, ...rest] = stream.chunks;
    assert.equal(rest.join(""), burst.map((text) => `{"data":"${text}"}\n`).join("") + rest.at(-1)!.slice(rest.at(-1)!.indexOf('{"done"')));
    assert.ok(rest.every((chunk) => chunk.endsWith("\n")), "every chunk holds whole lines");
    assert.equal(rest.length, 1, `five deltas and the done line in ${rest.length} chunks: ${JSON.stringify(rest)}`);
    assert.match(rest.at(-1)!, /\{"data":"b5"\}\n\{"done":true/, "the done line joins the last deltas' write");
  });
});
