import assert from "node:assert/strict";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { type FakeBedrock, NO_PACING, type RecordedRequest, startFakeBedrock } from "../local/fake-bedrock";
import { MultiplexedHttp2Handler } from "../src/bedrock/client";
import { batchingEventStreamSerdeProvider } from "../src/bedrock/event-stream-decoder";
import { loadConfig } from "../src/config";
import { createLogger } from "../src/logger";
import { type RunningServer, startServer } from "../src/server";
import { type LogLine, TEST_ENV, waitUntil } from "./helpers/harness";
import { parseLines, postStream, replyText } from "./helpers/http-client";
import { LiveStream } from "./helpers/live-stream";

/**
 * The service's Bedrock client (`bedrock/client.ts`) through the real server, the real SDK and the stand-in:
 * ConverseStream calls share kept-alive HTTP/2 sessions, at most the cap per session, and a session that is reset
 * fails only its own streams (each with the usual error line) and is never used again.
 */

const CAP = 3;
/** Session idle timeout for the test (the service's is five minutes). */
const IDLE_MS = 1000;

describe("Bedrock client: multiplexed, kept-alive upstream sessions with a bounded blast radius", () => {
  let fake: FakeBedrock;
  let server: RunningServer;
  let bedrock: BedrockRuntimeClient;
  const logs: LogLine[] = [];

  before(async () => {
    fake = await startFakeBedrock({ pacing: NO_PACING });
    const config = loadConfig({ ...TEST_ENV, PORT: "0", HOST: "127.0.0.1", SHUTDOWN_GRACE_MS: "500" });
    bedrock = new BedrockRuntimeClient({
      region: TEST_ENV.AWS_REGION,
      endpoint: fake.url,
      maxAttempts: 1,
      credentials: { accessKeyId: TEST_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_ENV.AWS_SECRET_ACCESS_KEY },
      requestHandler: new MultiplexedHttp2Handler({ maxStreamsPerSession: CAP, sessionIdleTimeoutMs: IDLE_MS }),
      eventStreamSerdeProvider: batchingEventStreamSerdeProvider,
    });
    const logger = createLogger("info", { write: (line: string) => void logs.push(JSON.parse(line)) });
    server = await startServer(config, { bedrock, logger });
  });
  after(async () => {
    await server.shutdown("test over");
    bedrock.destroy();
    await fake.close();
  });

  /** Streams that say "wait" hang after one delta (until their client leaves); "reset" resets its connection. */
  beforeEach(() => {
    fake.setScenario((req: RecordedRequest) => {
      const prompt = req.body?.messages?.at(-1)?.content?.[0]?.text;
      if (prompt === "wait") return { steps: [{ text: "waiting" }, { hang: true }] };
      if (prompt === "reset") return { steps: [{ text: "before the reset" }, { reset: true, scope: "connection", delayMs: 100 }] };
      return { steps: [{ text: "hello" }] };
    });
  });

  const logOf = (stream: LiveStream) =>
    waitUntil(() => logs.find((line) => line.requestId === stream.res.headers["x-request-id"] && "status" in line), 2000, "log line");

  async function openWaiting(count: number): Promise<LiveStream[]> {
    const streams = await Promise.all(Array.from({ length: count }, () => LiveStream.open(server.url, { message: "wait" })));
    await Promise.all(streams.map((stream) => stream.waitForLines(1)));
    return streams;
  }

  it("sequential calls reuse one kept-alive session", async () => {
    const before = fake.requests.length;
    for (let i = 0; i < 3; i += 1) {
      const reply = await postStream(server.url, { message: "hi" });
      assert.equal(replyText(parseLines(reply.text)), "hello");
    }
    const connections = new Set(fake.requests.slice(before).map((req) => req.connection));
    assert.equal(connections.size, 1, "three calls, one connection");
  });

  it("a session left idle past its timeout is closed; the next call opens a fresh one", async () => {
    await postStream(server.url, { message: "hi" });
    const idle = fake.requests.at(-1)!.connection;
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2.5));
    await postStream(server.url, { message: "hi" });
    assert.notEqual(fake.requests.at(-1)!.connection, idle);
  });

  it(`concurrent calls share sessions, at most ${CAP} streams each`, async () => {
    const before = fake.requests.length;
    const streams = await openWaiting(2 * CAP + 1);
    const perConnection = new Map<number, number>();
    for (const req of fake.requests.slice(before)) perConnection.set(req.connection, (perConnection.get(req.connection) ?? 0) + 1);
    assert.deepEqual([...perConnection.values()].sort(), [1, CAP, CAP], "7 streams on 3 sessions");
    streams.forEach((stream) => stream.disconnect());
    await waitUntil(() => (fake.openStreams() === 0 ? true : undefined), 2000, "the upstream streams to close");
  });

  it("a reset session fails only its own streams, each with the usual error line; the next call opens a fresh session", async () => {
    const before = fake.requests.length;
    // A full session of 3 waiting streams, then 2 on a second session, then the one that resets that second session.
    const survivors = await openWaiting(CAP);
    const victims = await openWaiting(CAP - 1);
    const resetting = await LiveStream.open(server.url, { message: "reset" });
    await resetting.waitForLines(1);
    const arrived = fake.requests.slice(before);
    const sessionOf = (index: number) => arrived[index].connection;
    assert.equal(new Set(arrived.slice(0, CAP).map((req) => req.connection)).size, 1);
    const resetSession = sessionOf(CAP + CAP - 1);
    assert.notEqual(resetSession, sessionOf(0));
    assert.ok(arrived.slice(CAP).every((req) => req.connection === resetSession), "victims and the resetting call share a session");

    for (const stream of [...victims, resetting]) {
      const lines = await stream.done();
      assert.equal(lines.at(-1).error.code, "upstream_connection_error", "the usual error line");
      const log = await logOf(stream);
      assert.equal(log.errorCode, "upstream_connection_error");
      assert.equal(log.status, 200);
    }
    assert.ok(survivors.every((stream) => !stream.ended), "the other session's streams live on");
    assert.equal(fake.requests.slice(before, before + CAP).filter((req) => req.closedAt !== undefined).length, 0);

    const next = await postStream(server.url, { message: "hi" });
    assert.equal(replyText(parseLines(next.text)), "hello");
    const fresh = fake.requests.at(-1)!.connection;
    assert.ok(!arrived.some((req) => req.connection === fresh), "a fresh session, not the reset one");

    survivors.forEach((stream) => stream.disconnect());
    await waitUntil(() => (fake.openStreams() === 0 ? true : undefined), 2000, "the upstream streams to close");
  });
});
