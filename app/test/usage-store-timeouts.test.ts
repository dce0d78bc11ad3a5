import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { type FakeBedrock, NO_PACING, startFakeBedrock } from "../local/fake-bedrock";
import { createUsageTable, type LocalDynamo, localDynamoClient, startDynalite } from "../local/usage-table";
import { GATEWAY_API_KEY_ID_HEADER, STOP_TIMEOUT_SECONDS } from "../src/runtime-contract";
import { waitUntil } from "./helpers/harness";
import { postStream } from "./helpers/http-client";
import { ServerProcess } from "./helpers/server-process";
import { startStoreProxy, type StoreProxy } from "./helpers/store-proxy";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const ALICE = "key-id-alice"; // has token limits: every request reads the store first
const BOB = "key-id-bob"; // no limits: only charged

/**
 * The production store client (two attempts, about a second each) against a store that stalls. Nothing here times
 * the service: each test shows the answer came while the store still had not answered.
 */
describe("usage store that stalls", () => {
  let h: UsageHarness;
  afterEach(async () => {
    h.proxy!.set({ kind: "pass" });
    await h.close();
  });
  const start = async (policy: "serve" | "refuse") => {
    h = await startUsageHarness({ storeProxy: true, env: { USAGE_STORE_FAILURE_POLICY: policy, BUDGET_READ_MAX_AGE_MS: "0" } });
    h.fake.setScenario({ steps: [{ text: "ok" }], usage: { inputTokens: 3, outputTokens: 1 } });
  };
  const storeErrors = (operation: string) =>
    h.logs.filter((line) => line.level === "error" && line.operation === operation && /usage store unavailable/.test(line.msg));

  it("a frozen store: the budget read gives up, the request is served (policy serve) and the failure logged", async () => {
    await start("serve");
    h.proxy!.set({ kind: "freeze" });
    const reply = await postStream(h.url, { message: "hi" }, { headers: h.as(ALICE) });
    assert.equal(reply.status, 200);
    assert.equal(h.proxy!.delivered, 0, "the store never answered");
    const [read] = storeErrors("read");
    assert.equal(read.msg, "usage store unavailable: request served without a budget check");
    assert.equal(read.cause.type, "TimeoutError");
    assert.ok(h.metrics.some((m) => m.UsageStoreFailures === 1 && m.operation === "read"));
  });

  it("a store that answers 20 s late: policy refuse answers 503 before the store's answer arrives", async () => {
    await start("refuse");
    await postStream(h.url, { message: "warm" }, { headers: h.as(ALICE) }); // a kept-alive connection, like a task's
    await h.charged();
    const answered = h.proxy!.delivered;
    h.proxy!.set({ kind: "delay", delayMs: 20_000 });
    const reply = await postStream(h.url, { message: "hi" }, { headers: h.as(ALICE) });
    assert.equal(reply.status, 503);
    assert.equal(reply.json().error.code, "usage_store_unavailable");
    assert.equal(h.proxy!.delivered, answered, "no late answer had arrived yet");
    assert.equal(h.fake.requests.length, 1, "Bedrock was called for the first request only");
  });

  it("a frozen store: the charge's write gives up and is logged (and held for a retry)", async () => {
    await start("serve");
    h.proxy!.set({ kind: "freeze" });
    const reply = await postStream(h.url, { message: "hi" }, { headers: h.as(BOB) });
    assert.equal(reply.status, 200);
    const write = await waitUntil(() => storeErrors("write")[0], 10_000, "the write's failure");
    assert.equal(write.msg, "usage store unavailable: 1 request(s) held, their charge retried");
    assert.equal(write.cause.type, "TimeoutError");
  });
});

describe("SIGTERM with a frozen usage store (production bundle)", function () {
  this.timeout((STOP_TIMEOUT_SECONDS + 20) * 1000);
  let fake: FakeBedrock;
  let dynamo: LocalDynamo;
  let proxy: StoreProxy;
  let server: ServerProcess;
  after(async () => {
    await server?.stop();
    await proxy?.close();
    await dynamo?.close();
    await fake?.close();
  });

  it("the process still exits, within ECS's stop timeout, logging the charges it could not write", async () => {
    fake = await startFakeBedrock({ pacing: NO_PACING, scenario: { steps: [{ text: "ok" }] } });
    dynamo = await startDynalite();
    const client = localDynamoClient(dynamo.url);
    const table = await createUsageTable(client);
    client.destroy();
    proxy = await startStoreProxy(Number(new URL(dynamo.url).port));
    server = await ServerProcess.start({
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url,
      AWS_ENDPOINT_URL_DYNAMODB: proxy.url,
      USAGE_TABLE_NAME: table,
      API_KEYS: JSON.stringify({ "id-dave": { name: "dave" } }),
    });
    proxy.set({ kind: "freeze" });
    const headers = { [GATEWAY_API_KEY_ID_HEADER]: "id-dave" };
    assert.equal((await postStream(server.url, { message: "hi" }, { headers })).status, 200);
    server.child.kill("SIGTERM");
    const exit = await Promise.race([server.exited, delay(STOP_TIMEOUT_SECONDS * 1000).then(() => "SIGKILL by ECS")]);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(server.logs.some((line) => line.msg === "shutdown complete"));
    const lost = server.logs.find((line) => line.msg === "usage store unavailable: 1 request(s) not charged");
    assert.equal(lost?.apiKey, "dave");
  });
});
