import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Harness, startHarness } from "./helpers/harness";

const CODEX = require.resolve("@openai/codex/bin/codex.js");
/** A bound on one headless run; the stand-in answers at once, so a run takes seconds. */
const RUN_LIMIT_MS = 90_000;

interface CodexRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real Codex CLI (`@openai/codex`), headless (`codex exec`), against the service and the local Bedrock
 * stand-in: a provider whose `base_url` is the stage URL and `wire_api = "responses"`, in a throwaway CODEX_HOME.
 * Nothing leaves 127.0.0.1: the provider is the only endpoint, update checks and analytics are off.
 */
describe("Codex CLI over the Responses API", function () {
  this.timeout(RUN_LIMIT_MS + 30_000);
  let h: Harness;
  let home: string;
  let work: string;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1" });
    home = mkdtempSync(path.join(tmpdir(), "codex-home-"));
    work = mkdtempSync(path.join(tmpdir(), "codex-work-"));
    writeFileSync(path.join(home, "config.toml"), [
      `model = "${h.config.modelId}"`,
      `model_provider = "gateway"`,
      "check_for_update_on_startup = false",
      "[analytics]",
      "enabled = false",
      "[model_providers.gateway]",
      `name = "Bedrock gateway"`,
      `base_url = "${h.url}/v1"`,
      `env_key = "GATEWAY_API_KEY"`,
      `wire_api = "responses"`,
      "request_max_retries = 0",
      "stream_max_retries = 0",
      "",
    ].join("\n"));
  });
  after(async () => {
    await h.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  function codexExec(prompt: string): Promise<CodexRun> {
    // danger-full-access: the command runs in the throwaway folder; a sandbox would need namespaces CI may not grant.
    const args = [CODEX, "exec", "--skip-git-repo-check", "--sandbox", "danger-full-access", "-C", work, prompt];
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, GATEWAY_API_KEY: "sk-local" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const limit = setTimeout(() => child.kill("SIGKILL"), RUN_LIMIT_MS);
    return new Promise((resolve) => {
      child.on("close", (code) => {
        clearTimeout(limit);
        resolve({ code, stdout, stderr });
      });
    });
  }

  it("a plain prompt: one streamed Responses request, the reply printed, exit 0", async () => {
    const before = h.fake.requests.length;
    const run = await codexExec("say hello");
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /local Bedrock stand-in/);
    assert.equal(h.fake.requests.length, before + 1);
    const line = h.logs.find((log) => log.route === "/responses" && log.status === 200);
    assert.ok(line, "the gateway served it on /responses");
    const body = h.fake.requests.at(-1)!.body;
    assert.ok(body.toolConfig.tools.some((tool: any) => tool.toolSpec.name === "exec_command"));
    assert.ok(body.toolConfig.tools.some((tool: any) => /^multi_agent_v1__/.test(tool.toolSpec.name)), "its namespace tools are flattened");
  });

  it("a shell tool round in a temporary folder: the model asks for `echo hello`, Codex runs it, the final text arrives", async () => {
    const before = h.fake.requests.length;
    const run = await codexExec("use exec_command to run `echo hello`");
    assert.equal(run.code, 0, run.stderr);
    const [call, answer] = h.fake.requests.slice(before).map((request) => request.body);
    assert.ok(answer, "a second request carried the tool's output");
    assert.deepEqual(call.messages.length, 1);
    const [, toolUse, toolResult] = answer.messages;
    assert.deepEqual(toolUse.content[0].toolUse.input, { cmd: "echo hello" });
    const output = toolResult.content[0].toolResult.content[0].text;
    assert.match(output, /Process exited with code 0[\s\S]*Output:\nhello\n/, "Codex ran the command and sent back its output");
    assert.match(run.stdout, /Output: hello/, "the final answer (which quotes the tool result) is printed");
    assert.match(run.stderr, new RegExp(`echo hello' in ${work.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });
});
