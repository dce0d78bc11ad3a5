import assert from "node:assert/strict";
import { estimateInputTokens } from "../src/bedrock/chat-request";
import { parseLines, postStream, request } from "./helpers/http-client";
import { LiveStream } from "./helpers/live-stream";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const ALICE = "key-id-alice"; // 100 tokens a day, 250 a month
const BOB = "key-id-bob"; // no limits

/** Reported usage of one reply: 40 tokens in total. */
const REPLY = { steps: [{ text: "Hello" }, { text: " there" }], usage: { inputTokens: 30, outputTokens: 10 } };

describe("token budgets (NDJSON /stream)", () => {
  let h: UsageHarness;
  beforeEach(async () => {
    h = await startUsageHarness();
    h.fake.setScenario(REPLY);
  });
  afterEach(() => h.close());

  const chat = (keyId: string) => postStream(h.url, { message: "hi" }, { headers: h.as(keyId) });

  it("charges what Bedrock reported to the key's day and month, and counts the request", async () => {
    h.fake.setScenario({ ...REPLY, usage: { ...REPLY.usage, cacheReadInputTokens: 7, cacheWriteInputTokens: 3 } });
    const reply = await chat(ALICE);
    assert.equal(reply.status, 200);
    await h.charged();
    const usage = await h.usageOf(ALICE);
    const expected = {
      inputTokens: 30, outputTokens: 10, cacheReadInputTokens: 7, cacheWriteInputTokens: 3,
      // Haiku 4.5 on the global profile: 30*1 + 10*5 + 7*0.1 + 3*1.25 = 84.45 micro-dollars.
      requests: 1, estimatedRequests: 0, costMicroUsd: 84, totalTokens: 50,
    };
    const model = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
    const { totalTokens: _, ...counters } = expected;
    assert.deepEqual(usage, {
      key: "alice",
      day: {
        window: "2026-11-28", resetsAt: "2026-11-29T00:00:00.000Z", ...expected, tokenLimit: 100, remainingTokens: 50, usdLimit: null,
        models: { [model]: { costMicroUsd: 84, requests: 1 } },
      },
      month: {
        window: "2026-11", resetsAt: "2026-12-01T00:00:00.000Z", ...expected, tokenLimit: 250, remainingTokens: 200, usdLimit: null,
        models: { [model]: counters },
      },
    });
  });

  it("refuses a key over its daily limit with 429 token_budget_exceeded and Retry-After until UTC midnight, without calling Bedrock", async () => {
    for (let i = 0; i < 3; i++) assert.equal((await chat(ALICE)).status, 200); // 120 tokens: over 100
    await h.charged();
    const before = h.fake.requests.length;
    h.clock.set("2026-11-28T23:00:00Z");
    const refused = await chat(ALICE);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers["retry-after"], "3600");
    assert.deepEqual(refused.json(), {
      error: {
        code: "token_budget_exceeded",
        message: "This API key has used its daily token budget; it resets at 2026-11-29T00:00:00.000Z",
      },
    });
    assert.equal(h.fake.requests.length, before, "Bedrock was not called");
    // Another key is not affected.
    assert.equal((await chat(BOB)).status, 200);
    const log = await h.logFor(String(refused.headers["x-request-id"]));
    assert.equal(log.errorCode, "token_budget_exceeded");
    assert.equal(log.apiKey, "alice");
    // A refusal is not charged.
    await h.charged();
    assert.equal((await h.usageOf(ALICE)).day.requests, 3);
  });

  it("rolls the day over at UTC midnight and the month over on the 1st (injected clock)", async () => {
    for (let i = 0; i < 3; i++) await chat(ALICE); // day 28: 120 tokens
    await h.charged();
    assert.equal((await chat(ALICE)).status, 429);

    h.clock.set("2026-11-29T00:00:00Z"); // a new day: allowed again
    for (let i = 0; i < 3; i++) assert.equal((await chat(ALICE)).status, 200); // day 29: 120, month: 240
    await h.charged();
    assert.equal((await chat(ALICE)).status, 429, "the day's limit again");

    h.clock.set("2026-11-30T10:00:00Z"); // a new day, but 240 + 40 crosses the month's 250
    assert.equal((await chat(ALICE)).status, 200);
    await h.charged();
    const refused = await chat(ALICE);
    assert.equal(refused.status, 429);
    assert.match(refused.json().error.message, /monthly token budget; it resets at 2026-12-01T00:00:00.000Z/);
    assert.equal(refused.headers["retry-after"], String(14 * 3600));

    h.clock.set("2026-12-01T00:00:00Z");
    assert.equal((await chat(ALICE)).status, 200);
    await h.charged();
    const usage = await h.usageOf(ALICE);
    assert.equal(usage.day.window, "2026-12-01");
    assert.equal(usage.month.window, "2026-12");
    assert.equal(usage.month.totalTokens, 40);
  });

  it("over both limits, Retry-After waits for the month (the day's reset would not help)", async () => {
    h.clock.set("2026-11-30T20:00:00Z");
    h.fake.setScenario({ ...REPLY, usage: { inputTokens: 200, outputTokens: 100 } });
    await chat(ALICE);
    await h.charged();
    const refused = await chat(ALICE);
    assert.equal(refused.headers["retry-after"], String(4 * 3600));
  });

  it("is soft by the streams in flight: streams admitted before the key crossed its limit finish, the next is refused", async () => {
    // Three streams start while alice has used nothing; each is charged 60 tokens when it ends (180 > 100).
    h.fake.setScenario({ steps: [{ text: "a", delayMs: 300 }], usage: { inputTokens: 50, outputTokens: 10 } });
    const replies = await Promise.all([1, 2, 3].map(() => chat(ALICE)));
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200]);
    await h.charged();
    assert.equal((await h.usageOf(ALICE)).day.totalTokens, 180, "the overshoot is what those streams used");
    assert.equal((await chat(ALICE)).status, 429);
  });

  it("keys without limits are metered but never refused", async () => {
    h.fake.setScenario({ ...REPLY, usage: { inputTokens: 5000, outputTokens: 5000 } });
    for (let i = 0; i < 2; i++) assert.equal((await chat(BOB)).status, 200);
    await h.charged();
    const usage = await h.usageOf(BOB);
    assert.equal(usage.day.totalTokens, 20_000);
    assert.equal(usage.day.tokenLimit, null);
    assert.equal(usage.day.remainingTokens, null);
  });

  it("emits embedded metrics per key and model, with the refusal counted, and no prompt text", async () => {
    for (let i = 0; i < 3; i++) await chat(ALICE);
    await h.charged();
    await chat(ALICE);
    const ok = h.metrics.find((m) => m.ApiKey === "alice" && m.Requests === 1 && !m.ErrorCode);
    assert.ok(ok);
    assert.equal(ok.InputTokens, 30);
    assert.equal(ok.OutputTokens, 10);
    assert.equal(typeof ok.TimeToFirstToken, "number");
    assert.equal(typeof ok.StreamDuration, "number");
    assert.equal(ok.Model, h.config.modelId);
    const refusal = h.metrics.find((m) => m.ErrorCode === "token_budget_exceeded");
    assert.ok(refusal);
    assert.equal(refusal.BudgetRefusals, 1);
    assert.equal(refusal.Errors, 1);
    const names = refusal._aws.CloudWatchMetrics.flatMap((d: any) => d.Metrics.map((m: any) => m.Name));
    assert.ok(names.includes("BudgetRefusals") && names.includes("Errors"));
    const text = JSON.stringify(h.metrics);
    assert.ok(!text.includes("hi\"") && !text.includes("Hello") && !text.includes(ALICE), "no prompt, reply or key id");
  });
});

describe("usage recorded for every way a stream ends", () => {
  let h: UsageHarness;
  beforeEach(async () => {
    h = await startUsageHarness();
  });
  afterEach(() => h.close());

  const body = { message: "count me" };
  const estimate = estimateInputTokens({ messages: [{ role: "user", content: [{ text: "count me" }] }] });

  it("done: Bedrock's usage", async () => {
    h.fake.setScenario(REPLY);
    await postStream(h.url, body, { headers: h.as(BOB) });
    await h.charged();
    const day = (await h.usageOf(BOB)).day;
    assert.deepEqual([day.inputTokens, day.outputTokens, day.requests, day.estimatedRequests], [30, 10, 1, 0]);
  });

  it("client gone mid-stream: the input estimate plus the deltas sent, marked estimated in the log", async () => {
    h.fake.setScenario({ steps: [{ text: "a" }, { text: "b" }, { text: "c" }, { hang: true }] });
    const stream = await LiveStream.open(h.url, body, { headers: h.as(BOB) });
    await stream.waitForLines(3);
    stream.disconnect();
    const log = await h.logFor(String(stream.res.headers["x-request-id"]));
    assert.equal(log.errorCode, "client_closed");
    assert.equal(log.usageEstimated, true);
    assert.deepEqual(log.usage, { inputTokens: estimate, outputTokens: 3, totalTokens: estimate + 3 });
    await h.charged();
    const day = (await h.usageOf(BOB)).day;
    assert.deepEqual([day.inputTokens, day.outputTokens, day.requests, day.estimatedRequests], [estimate, 3, 1, 1]);
  });

  it("upstream error mid-stream: estimated", async () => {
    h.fake.setScenario({ steps: [{ text: "a" }, { text: "b" }, { exception: "modelStreamErrorException" }] });
    const reply = await postStream(h.url, body, { headers: h.as(BOB) });
    assert.equal(parseLines(reply.text).at(-1).error.code, "model_stream_error");
    await h.charged();
    const day = (await h.usageOf(BOB)).day;
    assert.deepEqual([day.inputTokens, day.outputTokens, day.estimatedRequests], [estimate, 2, 1]);
  });

  it("Bedrock stops without metadata: estimated", async () => {
    h.fake.setScenario({ steps: [{ text: "a" }], afterStop: "silence" });
    await postStream(h.url, body, { headers: h.as(BOB) });
    await h.charged();
    const day = (await h.usageOf(BOB)).day;
    assert.deepEqual([day.inputTokens, day.outputTokens, day.estimatedRequests], [estimate, 1, 1]);
  });

  it("Bedrock refuses before the stream: the request counts, no tokens", async () => {
    h.fake.setScenario({ error: { type: "ThrottlingException" } });
    const reply = await postStream(h.url, body, { headers: h.as(BOB) });
    assert.equal(reply.status, 429);
    await h.charged();
    const day = (await h.usageOf(BOB)).day;
    assert.deepEqual([day.totalTokens, day.requests, day.estimatedRequests], [0, 1, 0]);
  });

  it("shutdown cuts the stream: charged before the server finishes shutting down", async () => {
    h.fake.setScenario({ steps: [{ text: "a" }, { text: "b" }, { hang: true }] });
    const stream = await LiveStream.open(h.url, body, { headers: h.as(BOB) });
    await stream.waitForLines(2);
    await h.server.shutdown("test");
    // No h.charged(): shutdown itself waited for the charge.
    const { GetItemCommand } = await import("@aws-sdk/client-dynamodb");
    const item = await h.dynamodb.send(new GetItemCommand({
      TableName: h.config.usageTableName, Key: { keyName: { S: "bob" }, window: { S: "month#2026-11" } }, ConsistentRead: true,
    }));
    assert.equal(item.Item?.d28_outputTokens?.N, "2");
    assert.equal(item.Item?.d28_estimatedRequests?.N, "1");
    assert.equal(item.Item?.d28_inputTokens?.N, String(estimate));
    assert.equal(item.Item?.outputTokens?.N, "2", "the month's counter, in the same item");
    // TTL: the month's item (days included) expires 400 days after the month ends.
    assert.equal(item.Item?.expiresAt?.N, String(Date.UTC(2026, 11, 1) / 1000 + 400 * 86_400));
  });
});

describe("concurrency", () => {
  let h: UsageHarness;
  const calls = new Map<string, number>();
  before(async () => {
    h = await startUsageHarness({
      keys: { "key-id-bob": { name: "bob" }, "key-id-carol": { name: "carol", tokensPerDay: 1_000_000, tokensPerMonth: 1_000_000 } },
    });
    // Counts what the service's DynamoDB client sends (the same client the service uses, injected by the harness).
    h.dynamodb.middlewareStack.add(
      (next, context) => (args) => {
        calls.set(context.commandName!, (calls.get(context.commandName!) ?? 0) + 1);
        return next(args);
      },
      { step: "initialize", name: "countCalls" },
    );
  });
  after(() => h.close());

  for (const [keyId, limited] of [["key-id-bob", false], ["key-id-carol", true]] as const) {
    it(`100 parallel streams from one key${limited ? " with limits" : ""}: exact totals, no lost increment`, async function () {
      this.timeout(30_000);
      calls.clear();
      h.fake.setScenario({ steps: [{ text: "x" }], usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 1 } });
      const replies = await Promise.all(
        Array.from({ length: 100 }, () => postStream(h.url, { message: "hi" }, { headers: h.as(keyId) })),
      );
      assert.ok(replies.every((r) => r.status === 200));
      await h.charged();
      const writes = calls.get("UpdateItemCommand") ?? 0;
      const reads = calls.get("GetItemCommand") ?? 0;
      const { day, month } = await h.usageOf(keyId);
      for (const window of [day, month]) {
        assert.deepEqual(
          [window.inputTokens, window.outputTokens, window.cacheReadInputTokens, window.requests],
          [700, 300, 100, 100],
        );
      }
      // Charges that meet an in-flight write leave together; checks that meet an in-flight read share it.
      assert.ok(writes >= 1 && writes < 100, `${writes} writes`);
      if (limited) assert.ok(reads >= 1 && reads < 100, `${reads} reads`);
      else assert.equal(reads, 0, "a key without limits is never read before a request");
    });
  }
});

describe("GET /usage", () => {
  let h: UsageHarness;
  before(async () => {
    h = await startUsageHarness();
  });
  after(() => h.close());

  it("shows each key only its own usage", async () => {
    h.fake.setScenario(REPLY);
    await postStream(h.url, { message: "hi" }, { headers: h.as(ALICE) });
    await h.charged();
    const alice = await h.usageOf(ALICE);
    const bob = await h.usageOf(BOB);
    assert.equal(alice.key, "alice");
    assert.equal(alice.day.totalTokens, 40);
    assert.equal(bob.key, "bob");
    assert.equal(bob.day.totalTokens, 0);
    assert.equal(bob.day.requests, 0);
  });

  it("refuses a key id the deployment does not know (403) and answers the anonymous caller without a key", async () => {
    const unknown = await request(h.url, { path: "/usage", headers: h.as("key-id-mallory") });
    assert.equal(unknown.status, 403);
    assert.deepEqual(unknown.json(), {
      error: { code: "unknown_api_key", message: "The API key is not configured for this deployment" },
    });
    const anonymous = await request(h.url, { path: "/usage" });
    assert.equal(anonymous.status, 200);
    assert.equal(anonymous.json().key, "anonymous");
    assert.equal(anonymous.headers["cache-control"], "no-store");
  });

  it("is also served under the stage prefix", async () => {
    await h.close();
    h = await startUsageHarness({ env: { STAGE_PREFIX: "v1" } });
    const reply = await request(h.url, { path: "/v1/usage", headers: h.as(BOB) });
    assert.equal(reply.status, 200);
    assert.equal(reply.json().key, "bob");
  });
});
