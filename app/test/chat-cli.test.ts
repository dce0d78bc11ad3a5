import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startCannedGateway } from "./helpers/canned-gateway";
import { CHAT_BIN, ChatProcess } from "./helpers/chat-process";
import { type Harness, startHarness } from "./helpers/harness";

const MODEL_ID = "test.cli-model-v1:0";
const FIGURES = /^\[TTFT \d+ ms · [\d.]+ tok\/s · (\d+) in \+ (\d+) out = (\d+) tokens · [\d.]+ s · (\w+)\]$/m;

/** A URL where nothing listens: a port the OS just handed out and took back. */
async function closedPortUrl(): Promise<string> {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** The text of each Converse message the stand-in received. */
const turns = (body: any) => body.messages.map((m: any) => `${m.role}: ${m.content.map((c: any) => c.text).join("")}`);

describe("terminal client (npm run chat / bedrock-chat), spawned with pipes against the service and the stand-in", () => {
  let h: Harness;
  let env: Record<string, string>;
  before(async () => {
    h = await startHarness({ MODEL_ID, STRICT_MODELS: "true" });
    env = { CHAT_API_URL: h.url };
  });
  after(() => h.close());
  beforeEach(() => h.fake.setScenario({}));

  it("one-shot: streams the answer to stdout and a line of figures (TTFT, tokens per second, usage, stop reason) to stderr", async () => {
    h.fake.setScenario({ steps: [{ text: "Hello" }, { text: ", " }, { text: "world" }], usage: { inputTokens: 7, outputTokens: 3 } });
    const before = h.fake.requests.length;
    const run = await ChatProcess.run(["Say", "hello"], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Hello, world\n");
    const figures = run.stderr.match(FIGURES);
    assert.ok(figures, run.stderr);
    assert.deepEqual(figures.slice(1), ["7", "3", "10", "stop"]);
    const [request] = h.fake.requests.slice(before);
    assert.deepEqual(turns(request.body), ["user: Say hello"]);
    assert.equal(request.modelId, MODEL_ID);
  });

  it("one-shot from standard input, with the settings flags reaching Bedrock", async () => {
    const before = h.fake.requests.length;
    const run = await ChatProcess.run(
      ["--model", MODEL_ID, "--system", "Be brief.", "--max-tokens", "42", "--temperature", "0.3"],
      env,
      "What is 2+2?\n",
    );
    assert.equal(run.code, 0, run.stderr);
    assert.ok(run.stdout.length > 1);
    const [request] = h.fake.requests.slice(before);
    assert.deepEqual(turns(request.body), ["user: What is 2+2?"]);
    assert.deepEqual(request.body.system, [{ text: "Be brief." }]);
    assert.equal(request.body.inferenceConfig.maxTokens, 42);
    assert.equal(request.body.inferenceConfig.temperature, 0.3);
  });

  it("prints text as it arrives, before the reply is over; Ctrl-C (SIGINT) cancels the upstream call and exits 130", async () => {
    h.fake.setScenario({ steps: [{ text: "Partial " }, { text: "answer" }, { hang: true }] });
    const before = h.fake.requests.length;
    const chat = ChatProcess.start(["Tell me a long story"], env);
    await chat.waitFor("stdout", "Partial answer");
    const [request] = await h.fake.waitForRequests(before + 1).then((all) => all.slice(before));
    assert.equal(request.closedAt, undefined, "the upstream is still streaming while the text is on screen");
    chat.child.kill("SIGINT");
    const closed = await h.fake.waitForClose(request);
    assert.equal(closed.outcome, "client-aborted");
    const exit = await chat.exited;
    assert.equal(exit.code, 130);
    assert.equal(chat.stdout, "Partial answer\n");
    assert.match(chat.stderr, /^\[TTFT \d+ ms · .* · stopped\]$/m);
  });

  it("interactive (-i): two turns with history; Ctrl-C stops a reply, a second Ctrl-C quits", async () => {
    const before = h.fake.requests.length;
    h.fake.setScenario((req) => (req.id === before + 1 ? { steps: [{ text: "Four." }] } : { steps: [{ text: "Still " }, { hang: true }] }));
    const chat = ChatProcess.start(["-i"], env);
    await chat.waitFor("stderr", /Chatting with http:\/\/127\.0\.0\.1:\d+ \(flag or environment\)/);
    chat.write("What is 2+2?\n");
    await chat.waitFor("stderr", FIGURES);
    chat.write("And twice that?\n");
    await chat.waitFor("stdout", "Still ");
    const [first, second] = (await h.fake.waitForRequests(before + 2)).slice(before);
    assert.deepEqual(turns(first.body), ["user: What is 2+2?"]);
    assert.deepEqual(turns(second.body), ["user: What is 2+2?", "assistant: Four.", "user: And twice that?"]);

    chat.child.kill("SIGINT");
    assert.equal((await h.fake.waitForClose(second)).outcome, "client-aborted");
    await chat.waitFor("stderr", /· stopped\]/);
    assert.equal(chat.child.exitCode, null, "the first Ctrl-C only stops the reply");
    chat.child.kill("SIGINT");
    const exit = await chat.exited;
    assert.equal(exit.code, 130);
    assert.equal(chat.statsLines().length, 2);
  });

  it("on a real terminal (a pseudo-terminal from script(1)): prompt, history, Ctrl-C stops the reply, Ctrl-C again quits", async () => {
    const before = h.fake.requests.length;
    h.fake.setScenario((req) => (req.id === before + 1 ? { steps: [{ text: "Four." }] } : { steps: [{ text: "Still " }, { hang: true }] }));
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(CHAT_BIN)}`;
    // script(1) runs the client on a new pty: stdin and stdout are a terminal, so readline reads Ctrl-C itself.
    const chat = ChatProcess.start([], { ...env, TERM: "xterm" }, { command: ["script", "-qfec", command, "/dev/null"] });
    await chat.waitFor("stdout", "› ");
    chat.write("What is 2+2?\r");
    await chat.waitFor("stdout", /\[TTFT .* · stop\]/);
    chat.write("And twice that?\r");
    await chat.waitFor("stdout", "Still ");
    const [, second] = (await h.fake.waitForRequests(before + 2)).slice(before);
    assert.deepEqual(turns(second.body), ["user: What is 2+2?", "assistant: Four.", "user: And twice that?"]);
    chat.write("\x03");
    assert.equal((await h.fake.waitForClose(second)).outcome, "client-aborted");
    await chat.waitFor("stdout", /· stopped\]/);
    chat.write("\x03");
    assert.equal((await chat.exited).code, 130);
  });

  it("interactive (-i) ends with exit 0 at the end of its input", async () => {
    const chat = ChatProcess.start(["-i"], env);
    chat.child.stdin!.end("Hi\n\nBye\n");
    const exit = await chat.exited;
    assert.equal(exit.code, 0, chat.stderr);
    assert.equal(chat.statsLines().length, 2, "blank lines are not questions");
  });

  it("stops the reply, cancelling the upstream call, when its reader goes away (stdout closed, as with | head)", async () => {
    h.fake.setScenario({ steps: Array.from({ length: 400 }, (_, i) => ({ text: `word${i} `, delayMs: 5 })) });
    const before = h.fake.requests.length;
    const chat = ChatProcess.start(["Talk a lot"], env);
    chat.child.stdin!.end();
    await chat.waitFor("stdout", "word0");
    chat.child.stdout!.destroy();
    const [request] = (await h.fake.waitForRequests(before + 1)).slice(before);
    assert.equal((await h.fake.waitForClose(request)).outcome, "client-aborted");
    assert.equal((await chat.exited).code, 0);
  });

  it("writes extended thinking to stderr, so stdout holds the answer alone", async () => {
    h.fake.setScenario({ steps: [{ reasoning: "Let me think." }, { signature: "sig" }, { text: "Four." }] });
    const run = await ChatProcess.run(["What is 2+2?"], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "Four.\n");
    assert.match(run.stderr, /^Let me think\.\n\[TTFT/);
  });

  it("--json prints each raw frame as one JSON line (and never [DONE])", async () => {
    h.fake.setScenario({ steps: [{ text: "A" }, { text: "B" }], usage: { inputTokens: 2, outputTokens: 2 } });
    const run = await ChatProcess.run(["--json", "hi"], env);
    assert.equal(run.code, 0, run.stderr);
    const frames = run.stdout.trim().split("\n").map((line) => JSON.parse(line));
    assert.ok(frames.every((frame) => frame.object === "chat.completion.chunk"));
    assert.equal(frames.map((frame) => frame.choices[0]?.delta?.content ?? "").join(""), "AB");
    assert.equal(frames.at(-1).usage.total_tokens, 4);
    assert.match(run.stderr, FIGURES);
  });

  describe("each error class: one clear line on stderr, no stack trace, a non-zero exit code", () => {
    const expectOneLine = (run: { code: number | null; stderr: string }, code: number, message: RegExp) => {
      assert.equal(run.code, code);
      const lines = run.stderr.trim().split("\n");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0], message);
      assert.doesNotMatch(run.stderr, /\bat .*\.(ts|js):\d+/);
    };

    it("the endpoint cannot be reached", async () => {
      const url = await closedPortUrl();
      const run = await ChatProcess.run(["hi"], { CHAT_API_URL: url });
      expectOneLine(run, 1, new RegExp(`^error: Cannot reach ${url}/chat/completions \\(ECONNREFUSED\\)\\.$`));
    });

    it("throttled (429) with its retry time", async () => {
      h.fake.setScenario({ error: { type: "ThrottlingException" } });
      expectOneLine(await ChatProcess.run(["hi"], env), 1, /^error: Too many requests \(throttled\): .+\. Try again in 5 s\.$/);
    });

    it("the model service is down (503)", async () => {
      h.fake.setScenario({ error: { type: "ServiceUnavailableException" } });
      expectOneLine(await ChatProcess.run(["hi"], env), 1, /^error: The model service is unavailable \(503 service_unavailable\): .+\. Try again in 5 s\.$/);
    });

    it("a refused request (unknown model, 404)", async () => {
      expectOneLine(await ChatProcess.run(["--model", "nope", "hi"], env), 1, /^error: Request refused \(404 model_not_found\): The model "nope" is not served/);
    });

    it("the reply breaks off mid-stream (an in-stream exception)", async () => {
      h.fake.setScenario({ steps: [{ text: "Half" }, { exception: "modelStreamErrorException" }] });
      const run = await ChatProcess.run(["hi"], env);
      assert.equal(run.stdout, "Half\n");
      expectOneLine(run, 1, /^error: The reply was cut short \(model_stream_error\): .+\.$/);
    });

    it("the key is refused (API Gateway's own 403 body)", async () => {
      const gateway = await startCannedGateway({ status: 403, body: '{"message":"Forbidden"}' });
      try {
        const run = await ChatProcess.run(["hi"], { CHAT_API_URL: `${gateway.url}/v1`, CHAT_API_KEY: "wrong-key" });
        expectOneLine(run, 1, /^error: The API key was refused \(403\): Forbidden\. Check the key\.$/);
        assert.equal(gateway.requests[0].path, "/v1/chat/completions");
        assert.equal(gateway.requests[0].headers["x-api-key"], "wrong-key");
        assert.equal(gateway.requests[0].headers.authorization, "Bearer wrong-key");
        assert.ok(!gateway.requests[0].body.includes("wrong-key"), "the key travels in headers only");
      } finally {
        await gateway.close();
      }
    });

    it("a bad command line: exit 2 with the usage", async () => {
      const run = await ChatProcess.run(["--max-tokens", "lots", "hi"], env);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^chat: --max-tokens must be a whole number from 1 up, got "lots"\nusage: /);
    });

    it("a URL that is not an http(s) URL, from the flag or the environment: exit 2, before any request", async () => {
      const flag = await ChatProcess.run(["--url", "localhost-typo", "hi"], env);
      assert.equal(flag.code, 2);
      assert.match(flag.stderr, /^chat: --url must be an http:\/\/ or https:\/\/ URL, got "localhost-typo"\nusage: /);
      const fromEnv = await ChatProcess.run(["hi"], { ...env, CHAT_API_URL: "ftp://gateway/v1" });
      assert.equal(fromEnv.code, 2);
      assert.match(fromEnv.stderr, /^chat: CHAT_API_URL must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/gateway\/v1"/);
    });

    it("no question at all (empty standard input): exit 2", async () => {
      const run = await ChatProcess.run([], env, "");
      assert.equal(run.code, 2);
      assert.match(run.stderr, /^chat: no question/);
    });
  });

  describe("finding the endpoint: flags, then environment, then pulumi stack output, then local mode", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), "chat-cli-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    /** A `pulumi` on PATH that answers `stack output` like the CLI does (or fails like it) and notes how it was called. */
    function fakePulumi(outputs: Record<string, string>, failure?: string): string {
      const bin = path.join(dir, "bin");
      writeFileSync(path.join(dir, "Pulumi.yaml"), "name: test\nruntime: nodejs\n");
      mkdirSync(bin);
      const script = path.join(bin, "pulumi");
      const answer = failure ? `echo '${failure}' >&2\nexit 255` : `echo '${JSON.stringify(outputs)}'`;
      writeFileSync(script, `#!/bin/sh\necho "$PWD $*" > "${dir}/pulumi-called"\n${answer}\n`);
      chmodSync(script, 0o755);
      return `${bin}${path.delimiter}${process.env.PATH}`;
    }

    it("--url wins over CHAT_API_URL", async () => {
      const run = await ChatProcess.run(["--url", h.url, "hi"], { CHAT_API_URL: await closedPortUrl() });
      assert.equal(run.code, 0, run.stderr);
    });

    it("in a Pulumi project's directory: the stack's url and apiKey outputs", async () => {
      const gateway = await startCannedGateway({ status: 403, body: '{"message":"Forbidden"}' });
      try {
        const PATH = fakePulumi({ url: `${gateway.url}/v1`, apiKey: "stack-key" });
        const run = await ChatProcess.run(["hi"], { PATH, INIT_CWD: dir });
        assert.equal(run.code, 1);
        assert.equal(readFileSync(path.join(dir, "pulumi-called"), "utf8").trim(), `${dir} stack output --json --show-secrets`);
        assert.equal(gateway.requests[0].path, "/v1/chat/completions");
        assert.equal(gateway.requests[0].headers["x-api-key"], "stack-key");
      } finally {
        await gateway.close();
      }
    });

    it("the environment wins over the stack", async () => {
      const PATH = fakePulumi({ url: `${await closedPortUrl()}/v1`, apiKey: "stack-key" });
      const run = await ChatProcess.run(["hi"], { PATH, INIT_CWD: dir, CHAT_API_URL: h.url });
      assert.equal(run.code, 0, run.stderr);
    });

    it("says why when the stack cannot answer, then uses the local mode", async () => {
      const PATH = fakePulumi({}, "error: no stack selected; please use `pulumi stack select`");
      const run = await ChatProcess.run(["hi"], { PATH, INIT_CWD: dir, PORT: new URL(h.url).port });
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /^note: pulumi stack output failed \(no stack selected; please use `pulumi stack select`\); using http:\/\/localhost:\d+\n/);
    });

    it("otherwise the local mode's URL (localhost:$PORT)", async () => {
      const port = new URL(h.url).port;
      const before = h.fake.requests.length;
      const run = await ChatProcess.run(["hi"], { PORT: port }, "", { cwd: dir });
      assert.equal(run.code, 0, run.stderr);
      assert.equal(h.fake.requests.length, before + 1);
    });
  });
});
