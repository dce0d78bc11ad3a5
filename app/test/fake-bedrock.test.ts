import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import {
  BedrockRuntimeClient,
  ConverseStreamCommand,
  type ConverseStreamOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import {
  IN_STREAM_EXCEPTIONS,
  NO_PACING,
  PRE_STREAM_ERROR_STATUS,
  PRE_STREAM_ERRORS,
  startFakeBedrock,
  type FakeBedrock,
} from "../local/fake-bedrock";
import { REPO_ROOT, spawnTypeScript } from "../local/app-process";
import { parseFakeCliOptions, UsageError } from "../local/cli-options";
import { defaultReply, replyTokens, splitCodePoints } from "../local/reply";
import { parseScenarioJson } from "../local/scenario-schema";
import { decodeFrame } from "../local/wire";
import { freePort } from "./helpers/free-port";

const MODEL_ID = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

function sdkClient(endpoint: string, extra: Partial<ConstructorParameters<typeof BedrockRuntimeClient>[0]> = {}) {
  return new BedrockRuntimeClient({
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local-secret" },
    maxAttempts: 1,
    ...extra,
  });
}

interface Conversation {
  events: ConverseStreamOutput[];
  texts: string[];
  error?: any;
  /** Where the SDK threw: from `send()` (before the stream) or from the `for await` loop. */
  thrownFrom?: "send" | "loop";
}

/** Runs one ConverseStream call through the real SDK and records everything it surfaced. */
async function converse(client: BedrockRuntimeClient, text: string, abortSignal?: AbortSignal): Promise<Conversation> {
  const result: Conversation = { events: [], texts: [] };
  const command = new ConverseStreamCommand({
    modelId: MODEL_ID,
    messages: [{ role: "user", content: [{ text }] }],
    system: [{ text: "Be brief." }],
    inferenceConfig: { maxTokens: 100, temperature: 0.5 },
  });
  let output;
  try {
    output = await client.send(command, { abortSignal });
  } catch (error) {
    return { ...result, error, thrownFrom: "send" };
  }
  try {
    for await (const event of output.stream!) {
      result.events.push(event);
      if (event.contentBlockDelta?.delta?.text !== undefined) result.texts.push(event.contentBlockDelta.delta.text);
    }
  } catch (error) {
    return { ...result, error, thrownFrom: "loop" };
  }
  return result;
}

const pascal = (name: string) => name[0].toUpperCase() + name.slice(1);

describe("fake Bedrock (local ConverseStream stand-in) with the real SDK", () => {
  let fake: FakeBedrock;
  let client: BedrockRuntimeClient;

  beforeEach(async () => {
    fake = await startFakeBedrock({ pacing: NO_PACING });
    client = sdkClient(fake.url);
  });
  afterEach(async () => {
    client.destroy();
    await fake.close();
  });

  it("streams scripted deltas in order and intact, including multi-byte UTF-8, over HTTP/2", async () => {
    const pieces = ["Hello", ", wor", "ld. ", "こんにちは", "🙂", "é", "\n\"quoted\""];
    fake.setScenario({ steps: pieces.map((text, i) => ({ text, delayMs: i % 2 })) });
    const result = await converse(client, "hi");
    assert.equal(result.error, undefined);
    assert.deepEqual(result.texts, pieces);
    assert.deepEqual(result.events[0], { messageStart: { role: "assistant" } });

    const [request] = await fake.waitForRequests(1);
    assert.equal(request.protocol, "h2");
    assert.equal(request.modelId, MODEL_ID);
    assert.deepEqual(request.body.messages, [{ role: "user", content: [{ text: "hi" }] }]);
    assert.deepEqual(request.body.system, [{ text: "Be brief." }]);
    assert.deepEqual(request.body.inferenceConfig, { maxTokens: 100, temperature: 0.5 });
    assert.match(String(request.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDLOCAL\//);
    const closed = await fake.waitForClose(request);
    assert.equal(closed.outcome, "completed");
    assert.ok(closed.closedAt! >= closed.receivedAt);
  });

  it("surfaces stopReason, usage and latency from messageStop and metadata", async () => {
    fake.setScenario({ steps: [{ text: "a" }], stopReason: "max_tokens", usage: { inputTokens: 12, outputTokens: 3 } });
    const { events } = await converse(client, "hi");
    assert.deepEqual(events.find((e) => e.messageStop), { messageStop: { stopReason: "max_tokens" } });
    assert.deepEqual(events.find((e) => e.contentBlockStop), { contentBlockStop: { contentBlockIndex: 0 } });
    const metadata = events.find((e) => e.metadata)!.metadata!;
    assert.deepEqual(metadata.usage, { inputTokens: 12, outputTokens: 3, totalTokens: 15 });
    assert.equal(typeof metadata.metrics?.latencyMs, "number");
  });

  it("answers with a plausible default reply, in Japanese for a Japanese prompt, usage counting its deltas", async () => {
    for (const [prompt, expectJapanese] of [["Hello there", false], ["こんにちは", true]] as const) {
      const { texts, events } = await converse(client, prompt);
      const reply = texts.join("");
      assert.ok(texts.length > 20, `expected many token-sized deltas, got ${texts.length}`);
      assert.ok(reply.split(/[.。!！]/).length > 3, "expected several sentences");
      assert.equal(/[\u3040-\u30ff]/.test(reply), expectJapanese);
      assert.equal(events.find((e) => e.metadata)!.metadata!.usage!.outputTokens, texts.length);
    }
  });

  for (const exception of IN_STREAM_EXCEPTIONS) {
    it(`throws ${exception} from the for-await loop as ${pascal(exception)}`, async () => {
      fake.setScenario({ steps: [{ text: "partial" }, { exception, message: `scripted ${exception}` }] });
      const result = await converse(client, "hi");
      assert.equal(result.thrownFrom, "loop");
      assert.deepEqual(result.texts, ["partial"]);
      assert.equal(result.error.name, pascal(exception));
      assert.equal(result.error.message, `scripted ${exception}`);
      const [request] = await fake.waitForRequests(1);
      assert.equal((await fake.waitForClose(request)).outcome, "error");
    });
  }

  it("an exception as the very first frame is thrown from send(), not from the loop", async () => {
    fake.setScenario({ messageStart: false, steps: [{ exception: "validationException", message: "bad input" }] });
    const result = await converse(client, "hi");
    assert.equal(result.thrownFrom, "send");
    assert.equal(result.error.name, "ValidationException");
  });

  for (const type of PRE_STREAM_ERRORS) {
    it(`a pre-stream ${type} surfaces from send() with HTTP ${PRE_STREAM_ERROR_STATUS[type]}`, async () => {
      fake.setScenario({ error: { type, message: `scripted ${type}` } });
      const result = await converse(client, "hi");
      assert.equal(result.thrownFrom, "send");
      assert.equal(result.error.name, type);
      assert.equal(result.error.message, `scripted ${type}`);
      assert.equal(result.error.$metadata.httpStatusCode, PRE_STREAM_ERROR_STATUS[type]);
      assert.equal(fake.requests.length, 1);
    });
  }

  it("the SDK's default retries repeat a pre-stream throttle: each attempt is a recorded request", async () => {
    fake.setScenario({ error: { type: "ThrottlingException" } });
    const retrying = sdkClient(fake.url, { maxAttempts: 3 });
    const result = await converse(retrying, "hi");
    retrying.destroy();
    assert.equal(result.error.name, "ThrottlingException");
    assert.equal(fake.requests.length, 3);
  });

  it("hang + abortSignal: the client's cancel closes the upstream stream (client-aborted) within 100 ms", async () => {
    fake.setScenario({ steps: [{ text: "first" }, { hang: true }] });
    const abort = new AbortController();
    const conversation = converse(client, "hi", abort.signal);
    const [request] = await fake.waitForRequests(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fake.openStreams(), 1);
    const abortedAt = Date.now();
    abort.abort();
    const closed = await fake.waitForClose(request, 1000);
    await conversation;
    assert.equal(closed.outcome, "client-aborted");
    assert.ok(closed.closedAt! - abortedAt < 100, `upstream closed ${closed.closedAt! - abortedAt} ms after abort`);
    assert.equal(fake.openStreams(), 0);
  });

  it("a stream reset (RST_STREAM) surfaces as an error from the loop", async () => {
    fake.setScenario({ steps: [{ text: "a" }, { reset: true, scope: "stream", delayMs: 20 }] });
    const result = await converse(client, "hi");
    assert.equal(result.thrownFrom, "loop");
    assert.deepEqual(result.texts, ["a"]);
    assert.equal(fake.requests[0].outcome, "reset");
  });

  it("a connection reset never looks like a finished message (HTTP/2 ends the loop silently, HTTP/1.1 throws)", async () => {
    fake.setScenario({ steps: [{ text: "a" }, { reset: true, delayMs: 20 }] });
    const h1 = sdkClient(fake.url, { requestHandler: new NodeHttpHandler() });
    for (const [c, protocol] of [[client, "h2"], [h1, "http/1.1"]] as const) {
      const result = await converse(c, "hi");
      assert.deepEqual(result.texts, ["a"]);
      assert.equal(result.events.some((e) => e.messageStop), false);
      assert.equal(result.thrownFrom, protocol === "h2" ? undefined : "loop");
    }
    h1.destroy();
    assert.deepEqual(fake.requests.map((r) => [r.protocol, r.outcome]), [["h2", "reset"], ["http/1.1", "reset"]]);
  });

  it("also serves an SDK configured with the HTTP/1.1 handler", async () => {
    fake.setScenario({ steps: [{ text: "über" }, { text: "日本" }] });
    const h1 = sdkClient(fake.url, { requestHandler: new NodeHttpHandler() });
    const result = await converse(h1, "hi");
    h1.destroy();
    assert.deepEqual(result.texts, ["über", "日本"]);
    assert.equal(fake.requests[0].protocol, "http/1.1");
    assert.equal((await fake.waitForClose(fake.requests[0])).outcome, "completed");
  });

  it("200 concurrent streams each get their own reply, byte-exact", async () => {
    const replyFor = (prompt: string) => Array.from({ length: 10 }, (_, i) => `${prompt}:${i}:ü🙂 `);
    fake.setScenario((request) => ({
      steps: replyFor(request.body.messages[0].content[0].text).map((text) => ({ text, delayMs: 5 })),
    }));
    const prompts = Array.from({ length: 200 }, (_, i) => `prompt-${i}`);
    const results = await Promise.all(prompts.map((prompt) => converse(client, prompt)));
    results.forEach((result, i) => assert.deepEqual(result.texts, replyFor(prompts[i]), `stream ${i}`));
    await Promise.all(fake.requests.map((request) => fake.waitForClose(request)));
    assert.equal(fake.requests.length, 200);
    assert.ok(fake.requests.every((request) => request.outcome === "completed"));
  });
});

/** Splits a body of concatenated event-stream frames (each starts with its 4-byte big-endian total length). */
function frames(bytes: Buffer): ReturnType<typeof decodeFrame>[] {
  const out = [];
  for (let offset = 0; offset < bytes.length; offset += bytes.readUInt32BE(offset)) {
    out.push(decodeFrame(bytes.subarray(offset, offset + bytes.readUInt32BE(offset))));
  }
  return out;
}

describe("fake Bedrock on the wire (plain HTTP, no SDK)", () => {
  let fake: FakeBedrock;
  beforeEach(async () => (fake = await startFakeBedrock({ pacing: NO_PACING })));
  afterEach(() => fake.close());

  const post = (path: string, body: string) => fetch(`${fake.url}${path}`, { method: "POST", body });
  const converseStreamPath = `/model/${encodeURIComponent(MODEL_ID)}/converse-stream`;
  const body = JSON.stringify({ messages: [{ role: "user", content: [{ text: "hi" }] }] });

  it("answers 200 application/vnd.amazon.eventstream with event frames in Bedrock's order", async () => {
    fake.setScenario({ steps: [{ text: "a" }, { text: "b" }, { exception: "throttlingException", message: "m" }] });
    const response = await post(converseStreamPath, body);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "application/vnd.amazon.eventstream");
    assert.match(response.headers.get("x-amzn-requestid") ?? "", /^[0-9a-f-]{36}$/);
    const decoded = frames(Buffer.from(await response.arrayBuffer()));
    assert.deepEqual(
      decoded.map((f) => [f.headers[":message-type"], f.headers[":event-type"] ?? f.headers[":exception-type"]]),
      [
        ["event", "messageStart"],
        ["event", "contentBlockDelta"],
        ["event", "contentBlockDelta"],
        ["exception", "throttlingException"],
      ],
    );
    assert.ok(decoded.every((f) => f.headers[":content-type"] === "application/json"));
    assert.deepEqual((decoded[1].body as any).delta, { text: "a" });
    assert.deepEqual(decoded[3].body, { message: "m" });
  });

  it("ends a full reply with contentBlockStop, messageStop and metadata", async () => {
    fake.setScenario({ steps: [{ text: "a" }] });
    const decoded = frames(Buffer.from(await (await post(converseStreamPath, body)).arrayBuffer()));
    assert.deepEqual(decoded.slice(-3).map((f) => f.headers[":event-type"]), ["contentBlockStop", "messageStop", "metadata"]);
  });

  it("sends pre-stream errors in restJson1 form: status, x-amzn-errortype and a message body", async () => {
    fake.setScenario({ error: { type: "ModelErrorException", message: "model broke" } });
    const response = await post(converseStreamPath, body);
    assert.equal(response.status, 424);
    assert.match(response.headers.get("x-amzn-errortype") ?? "", /^ModelErrorException(:|$)/);
    assert.deepEqual(await response.json(), { message: "model broke" });
  });

  it("rejects unknown routes (404) and a body that is not JSON (400 ValidationException)", async () => {
    const unknown = await post("/model/x/invoke-something", body);
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get("x-amzn-errortype") ?? "", /^UnknownOperationException/);
    const malformed = await post(converseStreamPath, "{not json");
    assert.equal(malformed.status, 400);
    assert.match(malformed.headers.get("x-amzn-errortype") ?? "", /^ValidationException/);
    assert.equal(fake.requests[0].body, "{not json");
    assert.equal(fake.requests[0].outcome, "error");
  });

  it("close() ends hung streams at once (outcome reset) and waitFor* time out with a clear message", async () => {
    fake.setScenario({ steps: [{ hang: true }] });
    const response = await post(converseStreamPath, body);
    const reading = response.arrayBuffer().catch((error: Error) => error);
    await assert.rejects(fake.waitForRequests(2, 50), /timed out after 50 ms waiting for 2 requests/);
    assert.equal(fake.openStreams(), 1);
    await fake.close();
    assert.ok((await reading) instanceof Error);
    assert.equal(fake.requests[0].outcome, "reset");
  });
});

describe("default reply (reply.ts)", () => {
  it("paces exactly as asked and repeats the text to reach a token count", () => {
    const tokens = defaultReply("hi", { firstTokenMs: 300, interTokenMs: 50, tokenCount: 200 });
    assert.equal(tokens.length, 200);
    assert.equal(tokens[0].delayMs, 300);
    assert.ok(tokens.slice(1).every((token) => token.delayMs === 50));
  });

  it("keeps jittered gaps within interTokenMs ± jitterMs", () => {
    const gaps = defaultReply("hi", { firstTokenMs: 0, interTokenMs: 30, jitterMs: 10 }).slice(1);
    assert.ok(gaps.every((token) => token.delayMs >= 20 && token.delayMs <= 40));
    assert.ok(new Set(gaps.map((token) => token.delayMs)).size > 1, "expected varied gaps");
  });

  it("never cuts a surrogate pair: each Japanese token is well-formed on its own", () => {
    const tokens = replyTokens("日本語で");
    assert.ok(tokens.some((token) => /\p{Extended_Pictographic}/u.test(token)), "reply should include an emoji");
    const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    assert.ok(tokens.every((token) => !loneSurrogate.test(token)));
    const emojiRun = "🙂😀🎉👍🙂😀🎉";
    const pieces = splitCodePoints(emojiRun);
    assert.ok(pieces.every((piece) => !loneSurrogate.test(piece)), JSON.stringify(pieces));
    assert.equal(pieces.join(""), emojiRun);
    assert.ok(tokens.join("").startsWith("こんにちは"));
  });
});

describe("scenario JSON for the CLI (scenario-schema.ts)", () => {
  it("accepts a full scenario and names the field of a bad one", () => {
    const scenario = {
      headersDelayMs: 5,
      steps: [{ text: "a", delayMs: 1 }, { exception: "modelStreamErrorException", message: "m" }],
      stopReason: "max_tokens",
    };
    assert.deepEqual(parseScenarioJson(JSON.stringify(scenario)), scenario);
    assert.throws(() => parseScenarioJson('{"error":{"type":"Throttling"}}'), /error\.type/);
    assert.throws(() => parseScenarioJson('{"steps":[{"hang":false}]}'), /steps\[0\]/);
    assert.throws(() => parseScenarioJson('{"stpes":[]}'), /stpes/);
    assert.throws(() => parseScenarioJson("{"), /not JSON/);
  });

  it("--scenario takes JSON text or the path of a JSON file, and names a file it cannot read", () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "scenario-")), "tool-round.json");
    writeFileSync(file, '{"toolCall":{"name":"Read","input":{"file_path":"/tmp/a.txt"}}}');
    assert.deepEqual(parseFakeCliOptions(["--scenario", file], {}).scenario, { toolCall: { name: "Read", input: { file_path: "/tmp/a.txt" } } });
    assert.deepEqual(parseFakeCliOptions([], { FAKE_BEDROCK_SCENARIO: ' {"stopReason":"max_tokens"}' }).scenario, { stopReason: "max_tokens" });
    assert.throws(() => parseFakeCliOptions(["--scenario", `${file}.missing`], {}), (e: Error) => e instanceof UsageError && /ENOENT/.test(e.message));
  });
});

/** Resolves with the first stdout line that matches, rejecting if the process exits or `timeoutMs` passes first. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => done(new Error(`no line matching ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null) => done(new Error(`process exited (${code}) before printing ${pattern}`));
    const done = (error: Error | undefined, line?: string) => {
      clearTimeout(timer);
      child.off("exit", onExit);
      lines.close();
      if (error) reject(error);
      else resolve(line!);
    };
    lines.on("line", (line) => pattern.test(line) && done(undefined, line));
    child.once("exit", onExit);
  });
}


async function stopAndExitCode(child: ChildProcess): Promise<number | null> {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = (await exited) as [number | null];
  return code;
}

describe("local mode processes", () => {
  const children: ChildProcess[] = [];
  const start = (script: string, args: string[], env: NodeJS.ProcessEnv = {}) => {
    const entry = path.join(REPO_ROOT, "app", "local", script);
    const child = spawnTypeScript(entry, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    children.push(child);
    return { child, stderr: () => stderr };
  };
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("fake-bedrock-cli prints its URL as JSON, serves the paced reply and exits 0 on SIGTERM", async () => {
    const args = ["--port", "0", "--first-token-ms", "0", "--tokens-per-second", "1000", "--tokens", "7"];
    const { child, stderr } = start("fake-bedrock-cli.ts", args);
    const ready = JSON.parse(await waitForLine(child, /^\{"url"/, 20_000));
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(ready.pacing, { firstTokenMs: 0, interTokenMs: 1, jitterMs: 0, tokenCount: 7 });
    const client = sdkClient(ready.url);
    const result = await converse(client, "hello");
    client.destroy();
    assert.equal(result.texts.length, 7);
    assert.equal(await stopAndExitCode(child), 0);
    assert.match(stderr(), /"stopped":"SIGTERM","requests":1,"connections":1,"outcomes":\{"completed":1\}/);
  });

  it("fake-bedrock-cli rejects a bad flag with exit code 2 and its usage", async () => {
    const { child, stderr } = start("fake-bedrock-cli.ts", ["--tokens-per-second", "fast"]);
    const [code] = await once(child, "exit");
    assert.equal(code, 2);
    assert.match(stderr(), /--tokens-per-second must be a number/);
    assert.match(stderr(), /usage: fake-bedrock-cli/);
  });

  it("npm run local: the app streams the local reply as JSON lines, and SIGTERM stops everything with exit 0", async () => {
    const port = await freePort();
    const env = { PORT: String(port), FAKE_BEDROCK_FIRST_TOKEN_MS: "0", FAKE_BEDROCK_TOKENS_PER_SECOND: "100" };
    const { child } = start("run-local.ts", [], env);
    // The banner's last paragraph: the OpenAI base URL, under the stage prefix as in a deployment.
    const banner = await waitForLine(child, /OpenAI clients: base URL/, 25_000);
    assert.ok(banner.includes(`http://localhost:${port}/v1 `), banner);
    const base = `http://127.0.0.1:${port}`;
    assert.deepEqual(await (await fetch(`${base}/health`)).json(), { status: "healthy" });

    const response = await fetch(`${base}/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ message: "こんにちは" }),
    });
    assert.equal(response.status, 200);
    let body = "";
    let chunks = 0;
    for await (const chunk of response.body!) {
      chunks += 1;
      body += Buffer.from(chunk).toString("utf8");
    }
    const lines = body.trim().split("\n").map((line) => JSON.parse(line));
    const text = lines.filter((line) => "data" in line).map((line) => line.data).join("");
    assert.match(text, /^こんにちは！/);
    assert.ok(chunks > 1, "the reply should arrive in several pieces, not as one buffered body");
    assert.equal(lines.at(-1).done, true);
    assert.equal(lines.at(-1).stopReason, "end_turn");

    const openai = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "Hello" }], stream: true }),
    });
    assert.equal(openai.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assert.match(await openai.text(), /"finish_reason":"stop"[^\n]*\n\ndata: \[DONE\]\n\n$/);

    assert.equal(await stopAndExitCode(child), 0);
    await assert.rejects(fetch(`${base}/health`), "the app must be gone after the runner exits");
  });
});
