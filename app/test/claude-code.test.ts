import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Scenario } from "../local/fake-bedrock";
import { assertNoFailedRequests } from "./helpers/assertions";
import { type Harness, startHarness } from "./helpers/harness";

/**
 * The real Claude Code CLI (`@anthropic-ai/claude-code`), headless (`claude -p`), against the service and the
 * local Bedrock stand-in, configured with nothing but ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY. The rest of its
 * environment only keeps it off the network (no updater, telemetry or error reports) and away from the user's
 * own configuration (a temporary HOME). Every run also checks the service's log: no request of the session (the
 * base URL probe, retries, side requests) was answered with a 4xx or 5xx.
 */

const CLAUDE = path.resolve(__dirname, "../../node_modules/.bin/claude");
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const OPUS = "global.anthropic.claude-opus-4-8";
const SONNET = "global.anthropic.claude-sonnet-4-6";
const RUN_TIMEOUT_MS = 90_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("Claude Code (headless) against local mode", function () {
  this.timeout(4 * RUN_TIMEOUT_MS);
  let h: Harness;
  let home: string;
  let work: string;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: `${OPUS},${SONNET}` });
    home = mkdtempSync(path.join(tmpdir(), "cc-home-"));
    work = mkdtempSync(path.join(tmpdir(), "cc-work-"));
  });
  after(async () => {
    await h.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  async function claude(args: string[]): Promise<Run> {
    const from = h.logs.length;
    const run = await claudeRun(args);
    assertNoFailedRequests(h.logs, from);
    return run;
  }

  function claudeRun(args: string[]): Promise<Run> {
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: home,
      ANTHROPIC_BASE_URL: `${h.url}/v1`,
      ANTHROPIC_API_KEY: "sk-local-test",
      // Offline: no auto-update, telemetry, error reporting or other non-essential calls.
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      DISABLE_ERROR_REPORTING: "1",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    };
    return new Promise((resolve) => {
      execFile(CLAUDE, ["-p", ...args], { env, cwd: work, timeout: RUN_TIMEOUT_MS, maxBuffer: 10 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
      });
    });
  }

  /** The messages calls Claude Code made (it may also count tokens). */
  const messageCalls = () => h.fake.requests.filter((r) => r.operation === "invoke-with-response-stream" || r.operation === "invoke");

  it("answers a plain prompt", async () => {
    h.fake.setScenario({ steps: [{ text: "Hello from the gateway." }] });
    const before = messageCalls().length;
    const run = await claude(["say hello"]);
    assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);
    assert.match(run.stdout, /Hello from the gateway\./);
    const calls = messageCalls().slice(before);
    assert.ok(calls.length > 0, "Claude Code called the model");
    for (const call of calls) assert.equal(call.body.anthropic_version, "bedrock-2023-05-31");
  });

  for (const [alias, served] of [["opus", OPUS], ["sonnet", SONNET], ["haiku", HAIKU]] as const) {
    it(`--model ${alias} is answered by the served ${alias}`, async () => {
      h.fake.setScenario({ steps: [{ text: `I am ${alias}.` }] });
      const before = messageCalls().length;
      const run = await claude(["--model", alias, "who are you?"]);
      assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);
      assert.match(run.stdout, new RegExp(`I am ${alias}\\.`));
      assert.ok(messageCalls().slice(before).some((call) => call.modelId === served), `a call went to ${served}`);
    });
  }

  it("runs a tool round: the model asks for Read, Claude Code reads the file and sends the result, the answer arrives", async () => {
    const file = path.join(work, "notes.txt");
    writeFileSync(file, "the secret word is pelican\n");
    const sawResult = (body: any) =>
      JSON.stringify(body.messages ?? []).includes("tool_result") && JSON.stringify(body.messages).includes("pelican");
    const scenario = (req: { body: any }): Scenario =>
      sawResult(req.body)
        ? { steps: [{ text: "The file says pelican." }] }
        : { steps: [{ toolUse: { id: "toolu_read_1", name: "Read" } }, { toolInput: JSON.stringify({ file_path: file }) }], stopReason: "tool_use" };
    h.fake.setScenario(scenario);
    const run = await claude(["what is in notes.txt?", "--allowedTools", "Read"]);
    assert.equal(run.code, 0, `${run.stderr}\n${run.stdout}`);
    assert.match(run.stdout, /The file says pelican\./);
    assert.ok(messageCalls().some((call) => sawResult(call.body)), "the tool result went back to the model");
  });
});
