import assert from "node:assert/strict";
import { CONTAINER_PORT, CONTAINER_USER, HEALTH_CHECK, IMAGE_APP_DIR, IMAGE_ENTRYPOINT } from "../../src/runtime-contract";
import { APP_IMAGE } from "./app-container";
import { docker, dockerResult, inspect } from "./docker-cli";
import { megabytes, recordFigure } from "./figures";

/**
 * The built image's configuration against the runtime contract. The Dockerfile cannot import TypeScript, so this is
 * where its literals (user, port, command, health check) are held to the values the task definition uses.
 */

const NODE_IMAGE = process.env.NODE_IMAGE ?? "node:24-bookworm-slim";
const seconds = (value: number) => value * 1e9; // Docker keeps durations in nanoseconds

describe("image configuration agrees with the runtime contract", () => {
  let config: any;

  before(async () => {
    const image = await inspect("image", APP_IMAGE);
    config = image.Config;
    const base = await inspect("image", NODE_IMAGE);
    recordFigure("image size", megabytes(image.Size), `base ${NODE_IMAGE} ${megabytes(base.Size)}, app layers ${megabytes(image.Size - base.Size)}`);
  });

  it(`runs as the numeric user ${CONTAINER_USER}`, () => {
    assert.equal(config.User, CONTAINER_USER);
  });

  it(`exposes port ${CONTAINER_PORT}`, () => {
    assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), [`${CONTAINER_PORT}/tcp`]);
  });

  it(`starts ${IMAGE_ENTRYPOINT.join(" ")} directly (exec form, no entrypoint wrapper), in production mode with source maps`, () => {
    assert.ok(config.Entrypoint === null || config.Entrypoint.length === 0, `entrypoint: ${JSON.stringify(config.Entrypoint)}`);
    assert.deepEqual(config.Cmd, [...IMAGE_ENTRYPOINT]);
    for (const setting of ["NODE_ENV=production", "NODE_OPTIONS=--enable-source-maps"]) {
      assert.ok(config.Env.includes(setting), `no ${setting} in ${config.Env.join(" ")}`);
    }
  });

  it("declares the contract's health check (the one the task definition uses)", () => {
    assert.deepEqual(config.Healthcheck, {
      Test: [...HEALTH_CHECK.command],
      Interval: seconds(HEALTH_CHECK.intervalSeconds),
      Timeout: seconds(HEALTH_CHECK.timeoutSeconds),
      StartPeriod: seconds(HEALTH_CHECK.startPeriodSeconds),
      Retries: HEALTH_CHECK.retries,
    });
  });

  it(`runtime stage is ${NODE_IMAGE} plus the bundle only`, async () => {
    const [image, base] = await Promise.all([inspect("image", APP_IMAGE), inspect("image", NODE_IMAGE)]);
    const baseLayers: string[] = base.RootFS.Layers;
    assert.deepEqual(image.RootFS.Layers.slice(0, baseLayers.length), baseLayers, `not built FROM ${NODE_IMAGE}`);
    const listing = await docker(["run", "--rm", "--network", "none", APP_IMAGE, "find", IMAGE_APP_DIR, "-mindepth", "1"]);
    const files = listing.split("\n").map((file) => file.slice(IMAGE_APP_DIR.length + 1)).sort();
    assert.ok(files.includes("server.js"), `no server.js in ${IMAGE_APP_DIR}: ${files.join(", ")}`);
    const strays = files.filter((file) => !/^server\.js(\.map|\.LEGAL\.txt)?$/.test(file));
    assert.deepEqual(strays, [], `${IMAGE_APP_DIR} should hold only the bundle (and its map and licenses)`);
  });

  it("the bundle is read-only to the app's user", async () => {
    const write = await dockerResult(["run", "--rm", "--network", "none", "--user", CONTAINER_USER, APP_IMAGE, "sh", "-c", `: >> ${IMAGE_ENTRYPOINT[1]}`]);
    assert.notEqual(write.exitCode, 0, "the app's user could modify its own code");
  });
});
