import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { REPO_ROOT, spawnTypeScript } from "../local/app-process";
import { noteNodeSupportOnce, nodeSupportNote, SDK_NODE_MAJOR } from "../local/node-support";
import { freePort } from "./helpers/free-port";

/** `npm run local` as a newcomer first meets it: what it prints before "Press Ctrl-C to stop.", and nothing else. */
describe("first run of npm run local", () => {
  let child: ChildProcess | undefined;
  let stdout = "";
  let stderr = "";
  let port = 0;

  before(async function () {
    this.timeout(60_000);
    port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), FAKE_BEDROCK_FIRST_TOKEN_MS: "0", FAKE_BEDROCK_TOKENS_PER_SECOND: "200" };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete env.NODE_NO_WARNINGS;
    child = spawnTypeScript(path.join(REPO_ROOT, "app", "local", "run-local.ts"), [], { env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const exited = once(child, "exit").then(() => { throw new Error(`local mode exited early:\n${stderr}`); });
    await Promise.race([exited, until(() => stdout.includes("Press Ctrl-C to stop."), 50_000)]);
  });

  after(async () => {
    if (!child || child.exitCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
  });

  it("prints no warning, and on Node < 22 one note saying what to do instead of the AWS SDK's warning per process", () => {
    const all = `${stdout}\n${stderr}`;
    assert.doesNotMatch(all, /NodeVersionSupportWarning|\(node:\d+\) Warning|--trace-warnings/);
    const notes = all.split("\n").filter((line) => line.startsWith("note: Node.js"));
    const major = Number(process.versions.node.split(".")[0]);
    assert.equal(notes.length, major < SDK_NODE_MAJOR ? 1 : 0, all);
    for (const note of notes) assert.match(note, /install Node\.js 22 or 24/);
  });

  it("prints one base URL per client family, none with a doubled /v1/v1", () => {
    assert.doesNotMatch(stdout, /\/v1\/v1/);
    const families = [...stdout.matchAll(/^ {2}(.+?): base URL (\S+)/gm)].map(([, family, url]) => ({ family, url }));
    assert.deepEqual(families.map(({ family }) => family), ["JSON lines (curl)", "OpenAI clients", "Anthropic clients and Claude Code"]);
    const base = `http://localhost:${port}`;
    assert.deepEqual(families.map(({ url }) => url), [base, `${base}/v1`, base]);
  });

  it("the printed base URLs work as given: the openai and Anthropic SDKs stream a reply through them", async () => {
    const urls = new Map([...stdout.matchAll(/^ {2}(.+?): base URL (\S+)/gm)].map(([, family, url]) => [family, url.replace("localhost", "127.0.0.1")]));
    const openai = new OpenAI({ baseURL: urls.get("OpenAI clients"), apiKey: "any", maxRetries: 0 });
    const completion = await openai.chat.completions.create({ model: "", messages: [{ role: "user", content: "Hello" }] });
    assert.equal(completion.choices[0].finish_reason, "stop");
    assert.ok((completion.choices[0].message.content ?? "").length > 0);

    const anthropic = new Anthropic({ baseURL: urls.get("Anthropic clients and Claude Code"), apiKey: "any", maxRetries: 0 });
    const message = await anthropic.messages.stream({ model: completion.model, max_tokens: 200, messages: [{ role: "user", content: "Hello" }] }).finalMessage();
    assert.equal(message.stop_reason, "end_turn");
    assert.ok(message.content.length > 0);
  });
});

describe("the Node.js version note", () => {
  it("is one line on Node 20 and nothing from Node 22 on", () => {
    assert.match(nodeSupportNote("v20.19.0") ?? "", /^note: Node\.js v20\.19\.0 works, .* need Node\.js 22 or newer/);
    assert.equal(nodeSupportNote("v22.12.0"), undefined);
    assert.equal(nodeSupportNote("v24.1.0"), undefined);
  });

  it("is printed once, and turns the SDK's own warning off for this process and the ones it starts", () => {
    const env: NodeJS.ProcessEnv = {};
    const printed: string[] = [];
    noteNodeSupportOnce(env, "v20.19.0", (line) => printed.push(line));
    noteNodeSupportOnce(env, "v20.19.0", (line) => printed.push(line));
    assert.equal(printed.length, 1);
    assert.equal(env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, "true");
    const modern: NodeJS.ProcessEnv = {};
    noteNodeSupportOnce(modern, "v24.1.0", (line) => printed.push(line));
    assert.deepEqual(modern, {});
  });
});


async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the banner");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
