import assert from "node:assert/strict";
import { postStream, parseLines, request } from "./helpers/http-client";
import { startHarness } from "./helpers/harness";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const ALICE = "key-id-alice";

describe("usage store unreachable", () => {
  let h: UsageHarness;
  afterEach(() => h.close());

  const storeDown = async (policy?: string) => {
    h = await startUsageHarness({ env: policy ? { USAGE_STORE_FAILURE_POLICY: policy } : {} });
    h.fake.setScenario({ steps: [{ text: "still served" }], usage: { inputTokens: 3, outputTokens: 1 } });
    await h.dynamo.close();
  };
  const failures = () => h.metrics.filter((m) => m.UsageStoreFailures === 1);
  const errorLogs = () => h.logs.filter((l) => l.level === "error" && /usage store unavailable/.test(l.msg));

  it("default policy (serve): the request is served, the failure logged at error level and counted", async () => {
    await storeDown();
    const reply = await postStream(h.url, { message: "hi" }, { headers: h.as(ALICE) });
    assert.equal(reply.status, 200);
    assert.deepEqual(parseLines(reply.text)[0], { data: "still served" });
    await h.charged();
    // The budget read and the charge's write both failed.
    assert.deepEqual(failures().map((m) => m.operation).sort(), ["read", "write"]);
    assert.deepEqual(errorLogs().map((l) => [l.apiKey, l.operation, l.msg]).sort(), [
      ["alice", "read", "usage store unavailable: request served without a budget check"],
      ["alice", "write", "usage store unavailable: 1 request(s) held, their charge retried"],
    ]);
    assert.ok(errorLogs().every((l) => typeof l.cause?.type === "string"));
  });

  it("policy refuse: 503 usage_store_unavailable with Retry-After, Bedrock not called", async () => {
    await storeDown("refuse");
    const reply = await postStream(h.url, { message: "hi" }, { headers: h.as(ALICE) });
    assert.equal(reply.status, 503);
    assert.equal(reply.headers["retry-after"], "5");
    assert.equal(reply.json().error.code, "usage_store_unavailable");
    assert.equal(h.fake.requests.length, 0);
    assert.deepEqual(failures().map((m) => m.operation), ["read"]);
    const log = await h.logFor(String(reply.headers["x-request-id"]));
    assert.equal(log.level, "error");
    assert.equal(log.errorCode, "usage_store_unavailable");
  });

  it("policy refuse applies to keys with limits only: a key without limits needs no read and is served", async () => {
    await storeDown("refuse");
    const reply = await postStream(h.url, { message: "hi" }, { headers: h.as("key-id-bob") });
    assert.equal(reply.status, 200);
    await h.charged();
    assert.deepEqual(failures().map((m) => m.operation), ["write"]);
  });

  it("GET /usage answers 503 while the store is down", async () => {
    await storeDown();
    const reply = await request(h.url, { path: "/usage", headers: h.as(ALICE) });
    assert.equal(reply.status, 503);
    assert.equal(reply.json().error.code, "usage_store_unavailable");
  });
});

describe("usage metering off (no USAGE_TABLE_NAME)", () => {
  it("serves chat without any store, and GET /usage answers 404 usage_not_enabled", async () => {
    const h = await startHarness();
    try {
      h.fake.setScenario({ steps: [{ text: "ok" }] });
      assert.equal((await postStream(h.url, { message: "hi" })).status, 200);
      const reply = await request(h.url, { path: "/usage" });
      assert.equal(reply.status, 404);
      assert.equal(reply.json().error.code, "usage_not_enabled");
    } finally {
      await h.close();
    }
  });
});
