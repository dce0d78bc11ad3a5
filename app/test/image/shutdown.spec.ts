import assert from "node:assert/strict";
import { type FakeBedrock, NO_PACING, type Scenario } from "../../local/fake-bedrock";
import { ENV, SHUTDOWN_GRACE_SECONDS, STOP_TIMEOUT_SECONDS } from "../../src/runtime-contract";
import { LiveStream } from "../helpers/live-stream";
import {
  type AppContainer, startAppContainer, startBedrockForTasks, type StopResult, taskEnvironment,
} from "./app-container";
import { recordFigure } from "./figures";

/**
 * SIGTERM with a stream in flight, as ECS sends it when it stops a task (`docker stop` with the task definition's
 * stopTimeout: SIGTERM, then SIGKILL if the process is still there). A clean exit is exit code 0 before that
 * SIGKILL, and a client that receives a well-formed last line.
 */

interface StoppedDuringStream {
  lines: any[];
  stop: StopResult;
  fake: FakeBedrock;
}

async function stopDuringStream(scenario: Scenario, envOverrides: Record<string, string> = {}): Promise<StoppedDuringStream> {
  const fake = await startBedrockForTasks({ pacing: NO_PACING, scenario });
  let container: AppContainer | undefined;
  try {
    container = await startAppContainer(taskEnvironment(fake.url, envOverrides));
    const stream = await LiveStream.open(container.url, { message: "tell me a long story" });
    assert.equal(stream.status, 200);
    await stream.waitForLines(1);
    const stop = await container.stop();
    return { lines: await stream.done(10_000), stop, fake };
  } catch (err) {
    if (container) console.error(`container output:\n${await container.logs().catch(() => "(none)")}`);
    await fake.close();
    throw err;
  } finally {
    await container?.remove();
  }
}

describe("SIGTERM during a stream", () => {
  let fake: FakeBedrock | undefined;
  afterEach(async () => fake?.close());

  it(`lets an in-flight stream finish, then exits 0 within the ${SHUTDOWN_GRACE_SECONDS} s grace period`, async () => {
    const texts = Array.from({ length: 8 }, (_, i) => ` part ${i + 1}`);
    const result = await stopDuringStream({ steps: texts.map((text) => ({ text, delayMs: 250 })) });
    fake = result.fake;
    assert.deepEqual(result.lines.slice(0, -1), texts.map((text) => ({ data: text })));
    assert.equal(result.lines.at(-1).done, true);
    assert.equal(result.stop.exitCode, 0);
    assert.ok(result.stop.elapsedMs < SHUTDOWN_GRACE_SECONDS * 1000, `took ${result.stop.elapsedMs} ms`);
    recordFigure("SIGTERM to exit", `${result.stop.elapsedMs} ms`, "with a stream of ~1.75 s still to go in flight");
  });

  it("ends a stream that outlives the grace period with an error line, aborts its Bedrock call, exits 0", async () => {
    const graceMs = 1500; // shortened from the task's value so the test stays short; the code path is the same
    const result = await stopDuringStream({ steps: [{ text: "partial" }, { hang: true }] }, { [ENV.shutdownGraceMs]: String(graceMs) });
    fake = result.fake;
    assert.deepEqual(result.lines[0], { data: "partial" });
    const last = result.lines.at(-1);
    assert.equal(result.lines.length, 2, JSON.stringify(result.lines));
    assert.equal(typeof last.error?.code, "string", JSON.stringify(last));
    assert.equal(typeof last.error?.message, "string", JSON.stringify(last));
    assert.equal(result.stop.exitCode, 0, "killed after stopTimeout instead of exiting");
    assert.ok(result.stop.elapsedMs >= graceMs, `exited after ${result.stop.elapsedMs} ms, before the grace period ended`);
    assert.ok(result.stop.elapsedMs < STOP_TIMEOUT_SECONDS * 1000, `took ${result.stop.elapsedMs} ms`);
    const [call] = await result.fake.waitForRequests(1);
    const closed = await result.fake.waitForClose(call);
    assert.equal(closed.outcome, "client-aborted");
  });
});
