import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { bannerRows, NPM_BANNER_NOTE, npmBanner } from "../cli/npm-banner";
import { type Harness, startHarness } from "./helpers/harness";
import { screenText } from "./helpers/screen";
import { REPO_ROOT } from "../local/app-process";

const REPLY = "The whole reply, and nothing of npm's.";

/** `npm run chat` itself (the real npm, from the repository root), with stdout a pipe or, through script(1), a terminal. */
async function npmRunChat(command: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command[0], command.slice(1), { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => (stdout += text));
  child.stderr.setEncoding("utf8").on("data", (text: string) => (stderr += text));
  const [code] = await once(child, "exit");
  return { code, stdout, stderr };
}

describe("npm run chat without -s: npm's banner and the reply", function () {
  this.timeout(60_000);
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    h = await startHarness({});
    h.fake.setScenario({ steps: [{ text: REPLY }] });
    // npm's own variables come from npm; a developer's settings for the client must not leak in.
    env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: "1", TERM: "xterm", CHAT_API_URL: h.url };
  });
  after(() => h.close());

  it("on a terminal, the screen shows the reply and no banner (the client erases the banner's rows first)", async () => {
    const columns = 60;
    const run = await npmRunChat(["script", "-qfec", `stty cols ${columns} rows 30; npm run chat -- Say hi`, "/dev/null"], env);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /> node app\/cli\/bin\.cjs Say hi/, "npm printed its banner on the terminal");
    const screen = screenText(run.stdout, columns);
    assert.doesNotMatch(screen, /^> /m, screen);
    assert.equal(screen.split("\n").filter((line) => line.trim() !== "")[0], REPLY, screen);
    assert.match(screen, /\[TTFT [\s\S]*stop\]/);
  });

  it("through a pipe the banner is npm's, rebuilt exactly by the client, which says on stderr how to get the reply alone", async () => {
    const run = await npmRunChat(["npm", "run", "chat", "--", "Say", "hi"], env);
    assert.equal(run.code, 0, run.stderr);
    const banner = npmBanner({
      npm_command: "run", npm_lifecycle_event: "chat", npm_lifecycle_script: "node app/cli/bin.cjs",
      npm_package_name: "bedrock-stream-api", npm_package_version: require("../../package.json").version,
    }, ["Say", "hi"]);
    assert.equal(run.stdout, `${banner}${REPLY}\n`);
    assert.equal(run.stderr.split("\n").filter((line) => line === NPM_BANNER_NOTE).length, 1);
  });

  it("npx bedrock-chat, and npm run -s chat, print the reply alone and no note", async () => {
    for (const command of [["npx", "bedrock-chat", "Say", "hi"], ["npm", "run", "-s", "chat", "--", "Say", "hi"]]) {
      const run = await npmRunChat(command, env);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, `${REPLY}\n`, command.join(" "));
      assert.doesNotMatch(run.stderr, /note: npm/);
    }
  });

  it("counts the banner's rows with wrapping, and erases nothing it cannot measure", () => {
    assert.equal(bannerRows("\n> a@1 chat\n> node app/cli/bin.cjs\n\n", 80), 4);
    assert.equal(bannerRows(`\n> a@1 chat\n> node app/cli/bin.cjs ${"x".repeat(100)}\n\n`, 40), 7);
    assert.equal(bannerRows("\n> a@1 chat\n> node app/cli/bin.cjs こんにちは\n\n", 80), undefined);
    assert.equal(bannerRows("\n> a@1 chat\n\n", 0), undefined);
  });

  it("knows when npm printed no banner: -s, --json, npx, or an unrelated npm script in the environment", () => {
    const run = { npm_command: "run", npm_lifecycle_event: "chat", npm_lifecycle_script: "node app/cli/bin.cjs", npm_package_name: "p", npm_package_version: "1.0.0" };
    assert.equal(npmBanner(run, ["hi"]), "\n> p@1.0.0 chat\n> node app/cli/bin.cjs hi\n\n");
    assert.equal(npmBanner({ ...run, npm_config_loglevel: "silent" }, []), undefined);
    assert.equal(npmBanner({ ...run, npm_config_json: "true" }, []), undefined);
    assert.equal(npmBanner({ ...run, npm_command: "exec" }, []), undefined);
    assert.equal(npmBanner({ ...run, npm_lifecycle_event: "test:app", npm_lifecycle_script: "npm run build && mocha" }, []), undefined);
  });
});
