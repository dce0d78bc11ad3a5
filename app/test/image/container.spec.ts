import assert from "node:assert/strict";
import net from "node:net";
import { type FakeBedrock, NO_PACING } from "../../local/fake-bedrock";
import { CONTAINER_PORT, CONTAINER_USER, HEALTH_CHECK, HEALTH_PATH, IMAGE_ENTRYPOINT } from "../../src/runtime-contract";
import { TEST_ENV } from "../helpers/harness";
import { parseLines, postStream, request } from "../helpers/http-client";
import {
  APP_IMAGE, type AppContainer, DEFAULT_STACK_SETTINGS, startAppContainer, startBedrockForTasks, taskEnvironment,
} from "./app-container";
import { dockerResult } from "./docker-cli";

/** The container as ECS runs it, talking to the local Bedrock-compatible server on the host's loopback. */

/** Deltas with multi-byte UTF-8 (3- and 4-byte sequences), so the image's locale-free Node must pass bytes intact. */
const DELTAS = ["Hello", " from", " the", " container", ": こんにちは", " 🙂", "."];
const USAGE = { inputTokens: 12, outputTokens: DELTAS.length };
/** A marker in the prompt: the service must never log prompt text. */
const PROMPT = "image-test-prompt-marker-5d2f please say hello";
const HEALTH_PROBE = HEALTH_CHECK.command.slice(1); // without Docker's "CMD" keyword

/**
 * Holds the contract's port on the host, as `npm run local` does, for as long as the container runs. Resolves with
 * the server, or undefined when something else holds it already (the same situation).
 */
async function holdHostPort(port: number): Promise<net.Server | undefined> {
  const server = net.createServer((socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => (err.code === "EADDRINUSE" ? resolve(undefined) : reject(err)));
    server.listen(port, "0.0.0.0", () => resolve(server));
  });
}

describe("container run as the ECS task definition runs it", () => {
  let fake: FakeBedrock;
  let container: AppContainer;
  let hostPortHolder: net.Server | undefined;

  before(async () => {
    hostPortHolder = await holdHostPort(CONTAINER_PORT);
    fake = await startBedrockForTasks({ pacing: NO_PACING, scenario: { steps: DELTAS.map((text) => ({ text })), usage: USAGE } });
    container = await startAppContainer(taskEnvironment(fake.url));
  });

  after(async () => {
    await container?.remove();
    await fake?.close();
    await new Promise((resolve) => (hostPortHolder ? hostPortHolder.close(resolve) : resolve(undefined)));
  });

  it(`runs in its own network namespace, listening on ${CONTAINER_PORT} there while the host's ${CONTAINER_PORT} is taken`, async () => {
    // The host's port is held (by this test, or by whatever held it already, such as `npm run local`).
    const probe = await holdHostPort(CONTAINER_PORT);
    assert.equal(probe, undefined, `the host's port ${CONTAINER_PORT} is held during the test`);
    assert.notEqual(new URL(container.url).port, String(CONTAINER_PORT), "reached through another, free host port");
    // Inside, the app listens on the contract's port: /proc/net/tcp lists 0.0.0.0:1F90 in state 0A (LISTEN).
    const tcp = await container.exec(["cat", "/proc/net/tcp"]);
    const listening = `00000000:${CONTAINER_PORT.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A`;
    assert.ok(tcp.stdout.includes(listening), tcp.stdout);
  });

  it(`GET ${HEALTH_PATH} answers 200 {"status":"healthy"}, also under the stage prefix`, async () => {
    for (const path of [HEALTH_PATH, `/${DEFAULT_STACK_SETTINGS.stageName}${HEALTH_PATH}`]) {
      const reply = await request(container.url, { path });
      assert.equal(reply.status, 200, path);
      assert.deepEqual(reply.json(), { status: "healthy" }, path);
    }
  });

  it(`PID 1 is ${IMAGE_ENTRYPOINT.join(" ")} itself, running as ${CONTAINER_USER}`, async () => {
    const cmdline = await container.exec(["cat", "/proc/1/cmdline"]);
    assert.deepEqual(cmdline.stdout.split("\0").filter(Boolean), [...IMAGE_ENTRYPOINT]);
    const status = await container.exec(["cat", "/proc/1/status"]);
    const [uid, gid] = CONTAINER_USER.split(":");
    assert.match(status.stdout, new RegExp(`^Uid:\\s+${uid}\\s`, "m"));
    assert.match(status.stdout, new RegExp(`^Gid:\\s+${gid}\\s`, "m"));
  });

  it("POST /stream relays every delta byte-exact and ends with the done line", async () => {
    const reply = await postStream(container.url, { message: PROMPT });
    assert.equal(reply.status, 200, reply.text);
    assert.match(String(reply.headers["content-type"]), /^application\/x-ndjson/);
    const dataLines = DELTAS.map((text) => `${JSON.stringify({ data: text })}\n`).join("");
    assert.equal(reply.raw.subarray(0, Buffer.byteLength(dataLines)).toString("utf8"), dataLines);
    const lines = parseLines(reply.text);
    assert.equal(lines.length, DELTAS.length + 1);
    const done = lines.at(-1);
    assert.equal(done.done, true);
    assert.equal(done.stopReason, "end_turn");
    assert.deepEqual(done.usage, { ...USAGE, totalTokens: USAGE.inputTokens + USAGE.outputTokens });
    assert.equal(typeof done.latencyMs, "number");
  });

  it("called Bedrock with the task's model, region and (dummy) credentials", async () => {
    const [call] = await fake.waitForRequests(1);
    assert.equal(call.modelId, DEFAULT_STACK_SETTINGS.modelId);
    const credentialScope = `${TEST_ENV.AWS_ACCESS_KEY_ID}/\\d{8}/${TEST_ENV.AWS_REGION}/bedrock/aws4_request`;
    assert.match(String(call.headers.authorization), new RegExp(`^AWS4-HMAC-SHA256 Credential=${credentialScope}`));
    assert.equal(call.body.messages[0].content[0].text, PROMPT);
  });

  it("the contract's health check command succeeds inside the container", async () => {
    const probe = await container.exec(HEALTH_PROBE);
    assert.equal(probe.exitCode, 0, probe.stderr);
  });

  it("the same health check command fails where nothing listens", async () => {
    const probe = await dockerResult(["run", "--rm", "--network", "none", APP_IMAGE, ...HEALTH_PROBE]);
    assert.equal(probe.exitCode, 1, probe.stderr);
  });

  it("writes only JSON log lines to stdout, with no prompt text", async () => {
    const output = (await container.logs()).split("\n").filter(Boolean);
    assert.ok(output.length > 0, "no log output");
    for (const line of output) assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    assert.ok(!output.some((line) => line.includes("image-test-prompt-marker")), "the prompt text reached the logs");
  });
});
