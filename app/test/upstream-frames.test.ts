import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import http2 from "node:http2";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { type RunningServer, startServer } from "../src/server";
import { type Harness, type LogLine, startHarness, TEST_ENV, testBedrockClient } from "./helpers/harness";
import { parseLines, postStream } from "./helpers/http-client";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const BEDROCK_REQUEST_ID = "bedrock-req-frames-0001";

function frame(headers: Record<string, string>, body: string): Uint8Array {
  const encoded = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, { type: "string" as const, value }]));
  return codec.encode({ headers: encoded, body: fromUtf8(body) });
}
const event = (type: string, payload: object) =>
  frame({ ":message-type": "event", ":event-type": type, ":content-type": "application/json" }, JSON.stringify(payload));

/** The malformed frames a broken or hostile upstream could send after a valid start. */
const MALFORMED: Record<string, () => Uint8Array> = {
  "a bad CRC": () => {
    const bytes = event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "x" } });
    bytes[bytes.length - 1] ^= 0xff;
    return bytes;
  },
  "a payload that is not JSON": () =>
    frame({ ":message-type": "event", ":event-type": "contentBlockDelta", ":content-type": "application/json" }, "{not json"),
  "an unknown exception type": () =>
    frame({ ":message-type": "exception", ":exception-type": "brandNewException", ":content-type": "application/json" }, '{"message":"new"}'),
  "a :message-type error frame": () => frame({ ":message-type": "error", ":error-code": "InternalFailure", ":error-message": "boom" }, ""),
};

/** An HTTP/2 (prior knowledge) ConverseStream endpoint that answers with one text delta, then `bad()`. */
async function startRawBedrock(bad: () => Uint8Array): Promise<{ url: string; close(): Promise<void> }> {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.on("data", () => undefined);
    stream.respond({ ":status": 200, "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": BEDROCK_REQUEST_ID });
    stream.write(event("messageStart", { role: "assistant" }));
    stream.write(event("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "before" } }));
    setTimeout(() => stream.end(bad()), 10);
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe("malformed upstream frames are upstream_error, logged with Bedrock's request id", () => {
  for (const [what, bad] of Object.entries(MALFORMED)) {
    it(`${what}: the stream ends with an upstream_error line, not internal_error`, async () => {
      const upstream = await startRawBedrock(bad);
      const logs: LogLine[] = [];
      const config = loadConfig({ ...TEST_ENV, PORT: "0", HOST: "127.0.0.1", SHUTDOWN_GRACE_MS: "200" });
      const bedrock = testBedrockClient(upstream.url);
      let server: RunningServer | undefined;
      try {
        server = await startServer(config, { bedrock, logger: createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) }) });
        const reply = await postStream(server.url, { message: "hi" });
        const lines = parseLines(reply.text);
        assert.deepEqual(lines[0], { data: "before" });
        assert.equal(lines.at(-1).error.code, "upstream_error", reply.text);
        const log = logs.find((line) => line.requestId === reply.headers["x-request-id"]);
        assert.equal(log?.errorCode, "upstream_error");
        assert.equal(log?.upstreamRequestId, BEDROCK_REQUEST_ID);
        assert.equal(log?.level, "error", "a broken upstream is for operators to see");
      } finally {
        await server?.shutdown("test over");
        bedrock.destroy();
        await upstream.close();
      }
    });
  }
});

describe("an upstream connection reset is a connection error, never a timeout", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  for (const steps of [[{ reset: true as const }], [{ text: "a" }, { reset: true as const }]]) {
    it(`${JSON.stringify(steps)} with 2 concurrent requests: 502 upstream_connection_error each time`, async () => {
      h.fake.setScenario({ steps });
      for (let round = 0; round < 5; round++) {
        const replies = await Promise.all([postStream(h.url, { message: "a" }), postStream(h.url, { message: "b" })]);
        for (const reply of replies) {
          const code = reply.status === 200 ? parseLines(reply.text).at(-1).error?.code : reply.json().error.code;
          assert.equal(code, "upstream_connection_error", reply.text);
          if (reply.status !== 200) assert.equal(reply.status, 502);
        }
      }
    });
  }
});
