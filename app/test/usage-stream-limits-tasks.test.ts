import assert from "node:assert/strict";
import { maxInFlight } from "../local/in-flight";
import { postStream } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const KEYS = { "key-id-swarm": { name: "swarm", maxConcurrentStreams: 3 } };

describe("maxConcurrentStreams across tasks: two app instances on one usage table", () => {
  let a: UsageHarness;
  let b: UsageHarness;
  before(async () => {
    a = await startUsageHarness({ keys: KEYS });
    // The second task: its own server and store client, the same table and the same stand-in.
    b = await startUsageHarness({ keys: KEYS, shareDynamo: a.dynamo, upstreamUrl: a.fake.url });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  it("12 streams at once, split over both, never have more than 3 in flight; the rest get 429", async () => {
    a.fake.setScenario({ steps: [{ text: "a" }, { text: "b", delayMs: 400 }], usage: { inputTokens: 1, outputTokens: 2 } });
    const replies = await Promise.all(
      Array.from({ length: 12 }, (_, i) => postStream((i % 2 ? b : a).url, { message: `hi ${i}` }, { headers: a.as("key-id-swarm") })),
    );
    const served = replies.filter((r) => r.status === 200).length;
    const refused = replies.filter((r) => r.status === 429);
    assert.equal(served + refused.length, 12, `statuses: ${replies.map((r) => r.status)}`);
    assert.ok(refused.every((r) => r.json().error.code === "concurrency_limit_exceeded"));
    assert.equal(a.fake.requests.length, served, "every served stream reached the stand-in, no refused one did");
    assert.equal(maxInFlight(a.fake.requests), 3, "the limit was reached and never exceeded");
    const refusals = [...a.metrics, ...b.metrics].filter((m) => m.ConcurrencyRefusals === 1).length;
    assert.equal(refusals, refused.length);
    assert.ok(refused.length >= 1);
  });
});
