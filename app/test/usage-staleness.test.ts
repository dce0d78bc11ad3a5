import assert from "node:assert/strict";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createUsageTable, type LocalDynamo, localDynamoClient, startDynalite } from "../local/usage-table";
import { ApiError } from "../src/http/errors";
import type { RequestRecord } from "../src/http/request-record";
import { createLogger } from "../src/logger";
import { ServiceMetrics } from "../src/metrics/service-metrics";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import type { FailurePolicy } from "../src/usage/key-schema";
import type { ApiKeys, Caller } from "../src/usage/keys";
import { UsageMeter } from "../src/usage/meter";
import { UsageStore } from "../src/usage/store";
import { postStream } from "./helpers/http-client";
import { ManualClock, startUsageHarness } from "./helpers/usage";

/**
 * BUDGET_READ_MAX_AGE_MS: two meters on one dynalite table are two tasks of the service, each with its own DynamoDB
 * client (whose GetItem calls are counted), both on one manual clock.
 */

const KEYS: ApiKeys = {
  "key-id-alice": { name: "alice", tokensPerDay: 100, tokensPerMonth: 250 },
  "key-id-bob": { name: "bob", tokensPerDay: 100, tokensPerMonth: 250 },
};

interface Task {
  meter: UsageMeter;
  caller: Caller;
  /** GetItem calls this task has sent so far. */
  reads(): number;
  /** UpdateItem calls (charge writes) this task has sent so far. */
  writes(): number;
  /** The store failures this task counted in its metrics, by operation. */
  failures(): string[];
  admitted(): Promise<boolean>;
  /** Settles one request of `tokens` input tokens (written in the background, as after a stream). */
  charge(tokens: number): void;
}

describe("budget reads with a maximum age (BUDGET_READ_MAX_AGE_MS)", () => {
  let dynamo: LocalDynamo;
  let tableName: string;
  let clock: ManualClock;
  const clients: DynamoDBClient[] = [];

  beforeEach(async () => {
    dynamo = await startDynalite();
    const admin = localDynamoClient(dynamo.url);
    clients.push(admin);
    tableName = await createUsageTable(admin);
    clock = new ManualClock(new Date("2026-11-28T12:00:00.000Z"));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await dynamo.close();
  });

  function task(budgetReadMaxAgeMs: number, failurePolicy: FailurePolicy = "serve"): Task {
    const client = localDynamoClient(dynamo.url);
    clients.push(client);
    let reads = 0;
    let writes = 0;
    const lines: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === "GetItemCommand") reads += 1;
        if (context.commandName === "UpdateItemCommand") writes += 1;
        return next(args);
      },
      { step: "initialize", name: "countReads" },
    );
    const meter = new UsageMeter({
      keys: KEYS,
      store: new UsageStore(client, tableName),
      failurePolicy,
      budgetReadMaxAgeMs,
      metrics: new ServiceMetrics({ write: (line: string) => void lines.push(line) }, "Test"),
      logger: createLogger("silent"),
      clock: clock.read,
    });
    const record = (): RequestRecord => ({ requestId: "r", startedAt: 0, deltas: 0 });
    const caller = meter.identify({ [GATEWAY_API_KEY_ID_HEADER]: "key-id-alice" }, record());
    return {
      meter,
      caller,
      reads: () => reads,
      writes: () => writes,
      failures: () =>
        lines.map((line) => JSON.parse(line)).filter((m) => m.UsageStoreFailures === 1).map((m) => m.operation),
      admitted: () =>
        meter.admit(caller).then(
          () => true,
          (err: unknown) => {
            if (err instanceof ApiError && err.status === 429) return false;
            throw err;
          },
        ),
      charge(tokens) {
        meter.settle(record(), caller, {
          request: { messages: [], stream: true },
          summary: { usage: { inputTokens: tokens, outputTokens: 0, totalTokens: tokens } },
          accepted: true,
        });
      },
    };
  }
  /** B checks alice (and sees her counters), then A charges her 100 tokens, her daily limit: B's view misses it. */
  async function chargedAfterBLooked(budgetReadMaxAgeMs: number): Promise<Task> {
    const [a, b] = [task(budgetReadMaxAgeMs), task(budgetReadMaxAgeMs)];
    assert.equal(await b.admitted(), true);
    a.charge(100);
    await a.meter.idle();
    return b;
  }
  const at = (iso: string) => clock.set(iso);
  const after = (ms: number) => (clock.now = new Date(clock.now.getTime() + ms));

  it("0 (exact): B refuses right after A's charge crosses the limit", async () => {
    const b = await chargedAfterBLooked(0);
    assert.equal(await b.admitted(), false);
    assert.equal(b.reads(), 2, "every check reads");
  });

  it("N: B admits from its view until it is N ms old, then reads and refuses", async () => {
    const b = await chargedAfterBLooked(1000);
    after(499);
    assert.equal(await b.admitted(), true, "B has not seen A's charge yet");
    assert.equal(b.reads(), 1);
    after(501);
    assert.equal(await b.admitted(), false, "N ms old: the check waits for a read");
    assert.equal(b.reads(), 2);
    after(60_000);
    assert.equal(await b.admitted(), false, "a view over the limit stays over it, however old");
    assert.equal(b.reads(), 2);
  });

  it("past half its age, a check still answers from the view and has it read again behind it", async () => {
    const b = await chargedAfterBLooked(1000);
    after(499);
    assert.equal(await b.admitted(), true);
    assert.equal(b.reads(), 1, "under half its age: no read");
    after(1);
    assert.equal(await b.admitted(), true, "answered from the view, which has not seen A's charge");
    assert.equal(b.reads(), 2, "and read again behind the check");
    await b.meter.idle();
    assert.equal(await b.admitted(), false, "once idle() has waited for it, the refreshed view has A's charge");
    assert.equal(b.reads(), 2, "no check waited for a read");
  });

  it("N: a view answers for all of its N ms (the refresh behind the check does not hold it up)", async () => {
    const b = await chargedAfterBLooked(1000);
    after(999);
    assert.equal(await b.admitted(), true, "999 ms old: answered from the view");
    assert.equal(b.reads(), 2, "the refresh started behind it");
  });

  it("a failed store call expires the views of every key, not only the failed call's", async () => {
    const b = task(60_000, "refuse");
    const bob = b.meter.identify({ [GATEWAY_API_KEY_ID_HEADER]: "key-id-bob" }, { requestId: "r", startedAt: 0, deltas: 0 });
    assert.equal(await b.admitted(), true);
    await b.meter.admit(bob);
    assert.equal(b.reads(), 2);
    await dynamo.close();
    b.charge(1);
    await b.meter.idle();
    await assert.rejects(b.meter.admit(bob), (err) => err instanceof ApiError && err.status === 503);
    assert.equal(b.reads(), 3, "bob's check read after alice's write failed");
  });

  it("a background refresh that fails is logged and counted, and expires the views", async () => {
    const b = task(1000, "refuse");
    assert.equal(await b.admitted(), true);
    await dynamo.close();
    after(500);
    const answers = await Promise.all(Array.from({ length: 5 }, () => b.admitted()));
    assert.deepEqual(answers, [true, true, true, true, true], "answered from the view; the one refresh behind them fails");
    let refused = false;
    for (let tries = 0; !refused && tries < 100; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      refused = await b.meter.admit(b.caller).then(() => false, (err) => err instanceof ApiError && err.status === 503);
    }
    assert.equal(refused, true, "the next check read the table and met the policy");
    assert.deepEqual(b.failures(), ["read", "read"], "the failed refresh once, then the check's own read");
  });

  it("a task's own charge counts at once, before and after its write", async () => {
    const b = task(60_000);
    assert.equal(await b.admitted(), true);
    b.charge(100);
    assert.equal(await b.admitted(), false, "while the charge is still being written");
    await b.meter.idle();
    assert.equal(await b.admitted(), false, "once written");
    assert.equal(b.reads(), 1);
  });

  it("a charge's write brings the totals back: B's own write refreshes its view with A's charges", async () => {
    const [a, b] = [task(1000), task(1000)];
    assert.equal(await b.admitted(), true); // read at 12:00:00.000: 0
    a.charge(30);
    await a.meter.idle();
    after(900);
    b.charge(20);
    await b.meter.idle(); // the write answers 50 (A's 30 and B's 20), seen at 12:00:00.900
    a.charge(45);
    await a.meter.idle(); // 95 in the table
    after(400);
    b.charge(10); // B's own: 50 seen + 10 = 60 without a read, A's 45 not seen yet
    assert.equal(await b.admitted(), true);
    assert.equal(b.reads(), 1, "answered from the write's totals, 400 ms old, although the read is 1.3 s old");
    await b.meter.idle(); // the write answers 105
    assert.equal(await b.admitted(), false);
    assert.equal(b.reads(), 1);
  });

  it("N: a key's charges are held for N / 2 and leave together; shutdown's idle() writes them at once, exactly", async () => {
    const [a, b] = [task(60_000), task(60_000)];
    for (const tokens of [10, 20, 30]) a.charge(tokens);
    assert.equal(a.writes(), 0, "held: nothing written yet (the hold is 30 s)");
    assert.equal(await b.admitted(), true);
    await a.meter.idle(); // would wait 30 s (past the test's timeout) if idle() did not release held charges
    assert.equal(a.writes(), 1, "three charges, one UpdateItem");
    const report = await b.meter.report(b.caller);
    assert.deepEqual([report.day.inputTokens, report.day.requests], [60, 3]);
  });

  it("0: no charge is held, each leaves as soon as the key's write in flight allows", async () => {
    const a = task(0);
    a.charge(10);
    assert.equal(a.writes(), 1, "written at once");
    await a.meter.idle();
  });

  it("day and month roll-over still reset, and a previous day's charge written after midnight counts for the month", async () => {
    const [a, b] = [task(60_000), task(60_000)];
    at("2026-11-27T12:00:00Z");
    a.charge(200); // the month: 200 of 250
    await a.meter.idle();
    at("2026-11-28T23:59:59.000Z");
    assert.equal(await b.admitted(), true);
    b.charge(60); // the 28th: 60; the month: 260
    at("2026-11-29T00:00:00.100Z");
    assert.equal(await b.admitted(), false, "while yesterday's charge is still being written");
    await b.meter.idle();
    assert.equal(await b.admitted(), false, "and once written");

    at("2026-11-30T23:59:59.900Z");
    assert.equal(await b.admitted(), false);
    at("2026-12-01T00:00:00.000Z");
    assert.equal(await b.admitted(), true, "a new month");
    b.charge(100); // the 1st: 100 of 100
    assert.equal(await b.admitted(), false);
    at("2026-12-02T00:00:00.000Z");
    assert.equal(await b.admitted(), true, "a new day, 100 of the month's 250");
    await b.meter.idle();
  });

  it("GET /usage counts the caller's charges this task still holds (none is in the table yet)", async () => {
    const a = task(60_000);
    a.charge(25);
    assert.equal(a.writes(), 0, "held");
    const report = await a.meter.report(a.caller);
    assert.deepEqual([report.day.totalTokens, report.day.requests, report.month.totalTokens], [25, 1, 25]);
    await a.meter.idle();
    const written = await a.meter.report(a.caller);
    assert.deepEqual([written.day.totalTokens, written.month.totalTokens], [25, 25], "counted once, after the write too");
  });

  it("GET /usage's report always reads the table", async () => {
    const [a, b] = [task(60_000), task(60_000)];
    assert.equal(await b.admitted(), true);
    a.charge(60);
    await a.meter.idle();
    const report = await b.meter.report(b.caller);
    assert.deepEqual([report.day.totalTokens, report.month.totalTokens], [60, 60]);
    assert.equal(b.reads(), 2);
  });

  it("the store down: a check that must read follows the failure policy", async () => {
    const b = task(1000);
    assert.equal(await b.admitted(), true);
    await dynamo.close();
    assert.equal(await b.admitted(), true, "answered from the view: no read, so nothing failed");
    after(1000);
    assert.equal(await b.admitted(), true, "served without a check (policy serve)");
    assert.equal(b.reads(), 2);
  });

  it("a failed store call expires every view: the next check reads and meets the failure policy (refuse: 503)", async () => {
    const b = task(60_000, "refuse");
    assert.equal(await b.admitted(), true);
    await dynamo.close();
    assert.equal(await b.admitted(), true, "answered from the view: nothing has failed yet");
    b.charge(1);
    await b.meter.idle();
    await assert.rejects(b.meter.admit(b.caller), (err) => err instanceof ApiError && err.status === 503);
    assert.equal(b.reads(), 2, "the check after the failed write read the table");
  });

  it("a view over a limit still refuses after a store failure expired it", async () => {
    const b = task(60_000, "refuse");
    assert.equal(await b.admitted(), true);
    b.charge(100);
    await b.meter.idle();
    await dynamo.close();
    await assert.rejects(b.meter.report(b.caller), (err) => err instanceof ApiError && err.status === 503);
    assert.equal(await b.admitted(), false, "429, not 503: counters only grow");
    assert.equal(b.reads(), 2, "the failed /usage read; no check read");
  });
});

describe("100 parallel streams of one key with BUDGET_READ_MAX_AGE_MS=1000", () => {
  it("exact totals, no lost increment, one read", async function () {
    this.timeout(30_000);
    const h = await startUsageHarness({
      keys: { "key-id-carol": { name: "carol", tokensPerDay: 1_000_000, tokensPerMonth: 1_000_000 } },
      env: { BUDGET_READ_MAX_AGE_MS: "1000" },
    });
    try {
      let reads = 0;
      h.dynamodb.middlewareStack.add(
        (next, context) => (args) => {
          if (context.commandName === "GetItemCommand") reads += 1;
          return next(args);
        },
        { step: "initialize", name: "countReads" },
      );
      h.fake.setScenario({ steps: [{ text: "x" }], usage: { inputTokens: 7, outputTokens: 3, cacheReadInputTokens: 1 } });
      const replies = await Promise.all(
        Array.from({ length: 100 }, () => postStream(h.url, { message: "hi" }, { headers: h.as("key-id-carol") })),
      );
      assert.ok(replies.every((r) => r.status === 200));
      await h.charged();
      assert.equal(reads, 1, "the clock stands still: every later check is answered from the view");
      const { day, month } = await h.usageOf("key-id-carol");
      for (const window of [day, month]) {
        assert.deepEqual(
          [window.inputTokens, window.outputTokens, window.cacheReadInputTokens, window.requests],
          [700, 300, 100, 100],
        );
      }
    } finally {
      await h.close();
    }
  });
});
