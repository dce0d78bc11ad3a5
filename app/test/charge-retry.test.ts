import assert from "node:assert/strict";
import { setTimeout as delay } from "node:timers/promises";
import { windowsAt } from "../src/usage/windows";
import { UsageStore } from "../src/usage/store";
import { LOCAL_USAGE_TABLE } from "../local/usage-table";
import { postStream } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const KEYS = {
  "key-id-erin": { name: "erin" },
  "key-id-frank": { name: "frank" },
  "key-id-grace": { name: "grace", tokensPerDay: 10_000_000 },
};
const WORKERS = 50;
/** Each worker's requests at most: bounds the test whatever the machine's speed. */
const MAX_PER_WORKER = 60;

describe("charges during a store outage", function () {
  this.timeout(60_000);
  let h: UsageHarness;
  after(() => h.close());

  it(`${WORKERS} workers, the store unreachable for 5 s: every served request is charged once it is back`, async () => {
    h = await startUsageHarness({ storeProxy: true, keys: KEYS });
    h.fake.setScenario({ steps: [{ text: "ok" }], usage: { inputTokens: 5, outputTokens: 2 } });
    const ids = Object.keys(KEYS);
    const served = new Map<string, number>(ids.map((id) => [id, 0]));
    let running = true;
    const worker = async (n: number) => {
      for (let i = 0; running && i < MAX_PER_WORKER; i++) {
        const id = ids[(n + i) % ids.length];
        const reply = await postStream(h.url, { message: "hi" }, { headers: h.as(id) });
        assert.equal(reply.status, 200, reply.text);
        served.set(id, served.get(id)! + 1);
      }
    };
    const workers = Promise.all(Array.from({ length: WORKERS }, (_, n) => worker(n)));
    await delay(1000);
    h.proxy!.set({ kind: "down" });
    await delay(5000);
    h.proxy!.set({ kind: "pass" });
    await delay(1000);
    running = false;
    await workers;

    const failedWrites = h.logs.filter((line) => line.operation === "write" && line.level === "error");
    assert.ok(failedWrites.length > 0, "the outage did fail writes");
    // Shutdown writes what is held (the process's own path); the table is then read directly.
    await h.server.shutdown("test over");
    assert.deepEqual(h.logs.filter((line) => /not charged/.test(line.msg)), [], "nothing given up");
    const store = new UsageStore(h.dynamodb, LOCAL_USAGE_TABLE);
    const windows = windowsAt(h.clock.now);
    for (const [id, { name }] of Object.entries(KEYS)) {
      const used = await store.read(name, windows);
      const servedHere = served.get(id)!;
      assert.ok(used.day.requests >= servedHere, `${name}: ${used.day.requests} of ${servedHere} served requests charged`);
      // A write the store applied but whose answer was lost (the outage, or a timeout on a loaded machine) is
      // written again, so a few more may be charged: never fewer.
      assert.equal(used.day.inputTokens, 5 * used.day.requests);
    }
  });
});
