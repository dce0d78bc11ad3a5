import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { LOCAL_USAGE_TABLE } from "../local/usage-table";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { StreamLeases } from "../src/usage/stream-leases";
import { parseLines, postStream } from "./helpers/http-client";
import { LiveStream } from "./helpers/live-stream";
import { type RecordingProxy, startRecordingProxy } from "./helpers/recording-proxy";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

/** swarm may have 2 streams in flight; bob has no limit of any kind; capped has day budgets but no stream limit. */
const KEYS = {
  "key-id-swarm": { name: "swarm", maxConcurrentStreams: 2 },
  "key-id-bob": { name: "bob" },
  "key-id-capped": { name: "capped", tokensPerDay: 1_000_000 },
};
const SWARM = "key-id-swarm";
/** A reply that holds its stream open until the client leaves (or the test ends). */
const HELD = { steps: [{ text: "a" }, { text: "b", delayMs: 30_000 }] };
const QUICK = { steps: [{ text: "ok" }], usage: { inputTokens: 3, outputTokens: 1 } };

describe("maxConcurrentStreams: streams in flight per key, leased in the usage table", () => {
  let h: UsageHarness;
  let proxy: RecordingProxy | undefined;
  afterEach(async () => {
    await h.close();
    await proxy?.close();
    proxy = undefined;
  });

  const leases = () => new StreamLeases(h.dynamodb, LOCAL_USAGE_TABLE).read("swarm");
  const open = async (keyId = SWARM) => {
    const stream = await LiveStream.open(h.url, { message: "hi" }, { headers: h.as(keyId) });
    await stream.waitForLines(1);
    return stream;
  };
  /** Waits until the server has finished the stream's request (its log line), then for its lease's release. */
  const ended = async (stream: LiveStream) => {
    await h.logFor(String(stream.res.headers["x-request-id"]));
    await h.charged();
  };

  it("refuses the stream over the limit (429, Retry-After, ConcurrencyRefusals) and frees slots on finish, error and disconnect", async () => {
    h = await startUsageHarness({ keys: KEYS });
    h.fake.setScenario(HELD);
    const first = await open();
    const second = await open();
    assert.equal(Object.keys((await leases()) ?? {}).length, 2);

    const refused = await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers["retry-after"], "1");
    assert.deepEqual(refused.json(), {
      error: {
        code: "concurrency_limit_exceeded",
        message: "This API key already has its limit of 2 stream(s) in flight; retry when one has ended",
      },
    });
    assert.equal(h.fake.requests.length, 2, "Bedrock was not called for the refused stream");
    const metric = h.metrics.find((m) => m.ConcurrencyRefusals === 1);
    assert.equal(metric?.ApiKey, "swarm");
    const bob = await open("key-id-bob");
    assert.equal(bob.status, 200, "other keys are not affected");
    bob.disconnect();
    await ended(bob);

    // Client disconnect frees its slot: the next stream is admitted and finishes (its own slot freed too).
    first.disconnect();
    await ended(first);
    assert.equal(Object.keys((await leases()) ?? {}).length, 1);
    h.fake.setScenario(QUICK);
    const finished = await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) });
    assert.equal(finished.status, 200);
    await h.charged();
    assert.equal(Object.keys((await leases()) ?? {}).length, 1, "a finished stream released its lease");

    // A stream that fails mid-way releases its slot too.
    h.fake.setScenario({ steps: [{ text: "half" }, { exception: "modelStreamErrorException" }] });
    const failed = await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) });
    assert.ok(parseLines(failed.text).at(-1).error, "the stream ended with an error line");
    await h.charged();
    assert.equal(Object.keys((await leases()) ?? {}).length, 1);

    second.disconnect();
    await ended(second);
    assert.deepEqual(await leases(), {});
  });

  it("each format's real client sees a 429 rate limit with Retry-After", async () => {
    h = await startUsageHarness({ keys: { ...KEYS, "key-id-swarm": { name: "swarm", maxConcurrentStreams: 1 } } });
    h.fake.setScenario(HELD);
    const held = await open();
    const headers = { [GATEWAY_API_KEY_ID_HEADER]: SWARM };
    const openai = new OpenAI({ baseURL: h.url, apiKey: "sk-local", maxRetries: 0, defaultHeaders: headers });
    const anthropic = new Anthropic({ baseURL: h.url, apiKey: "test-key", maxRetries: 0, defaultHeaders: headers });
    const model = h.config.modelId;
    for (const stream of [true, false]) {
      const calls = [
        openai.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], stream }),
        openai.responses.create({ model, input: "hi", stream }),
      ];
      for (const call of calls) {
        const err = await call.then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof OpenAI.RateLimitError, String(err));
        assert.equal(err.code, "concurrency_limit_exceeded");
        assert.equal(err.type, "rate_limit_error");
        assert.equal(err.headers?.get("retry-after"), "1");
      }
      const err = await anthropic.messages
        .create({ model, max_tokens: 50, messages: [{ role: "user", content: "hi" }], stream })
        .then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof Anthropic.RateLimitError, String(err));
      assert.equal((err.error as any).error.type, "rate_limit_error");
      assert.equal(err.headers?.get("retry-after"), "1");
    }
    assert.equal(h.fake.requests.length, 1, "only the held stream reached Bedrock");
    assert.equal(h.metrics.filter((m) => m.ConcurrencyRefusals === 1).length, 6);
    held.disconnect();
    await ended(held);
  });

  it("a key without a limit is not counted: no lease, no store round trip for it", async () => {
    h = await startUsageHarness({
      keys: KEYS,
      storeEndpoint: async (url) => (proxy = await startRecordingProxy(url)).url,
    });
    h.fake.setScenario(QUICK);
    const store = proxy!.requests;
    const streamsItem = () => store.filter((r) => JSON.stringify(r.body.Key ?? {}).includes('"streams"'));

    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as("key-id-bob") })).status, 200);
    await h.charged();
    assert.deepEqual(store.map((r) => r.operation), ["UpdateItem"], "bob: only the charge's write");
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as("key-id-capped") })).status, 200);
    await h.charged();
    assert.equal(streamsItem().length, 0, "a key with budgets but no stream limit never touches the streams item");

    // The control: a key with a limit takes and releases a lease.
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) })).status, 200);
    await h.charged();
    assert.ok(streamsItem().length >= 2, "acquire and release");
  });

  it("a crashed task's leases stop counting once expired (an expired lease is reaped, a live one is not)", async () => {
    h = await startUsageHarness({ keys: KEYS });
    h.fake.setScenario(QUICK);
    const now = h.clock.now.getTime();
    const table = new StreamLeases(h.dynamodb, LOCAL_USAGE_TABLE);
    // Two leases left by a task that died: one still within its life, one past it.
    assert.deepEqual(await table.acquire("swarm", ["dead-live"], 2, now, now + 30_000), ["dead-live"]);
    assert.deepEqual(await table.acquire("swarm", ["dead-expired"], 2, now, now - 1), ["dead-expired"]);
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) })).status, 200);
    await h.charged();
    assert.deepEqual(Object.keys((await leases()) ?? {}), ["dead-live"]);
    // Past the live one's expiry too: nothing of the dead task counts any more.
    assert.deepEqual(await table.acquire("swarm", ["dead-2"], 2, now, now + 30_000), ["dead-2"]);
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) })).status, 429);
    h.clock.set(new Date(now + 31_000).toISOString());
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) })).status, 200);
  });

  it("an acquisition whose write landed but whose answer was lost is granted again, not counted twice", async () => {
    h = await startUsageHarness({ keys: KEYS });
    const now = h.clock.now.getTime();
    const table = new StreamLeases(h.dynamodb, LOCAL_USAGE_TABLE);
    assert.deepEqual(await table.acquire("swarm", ["a", "b"], 2, now, now + 1000), ["a", "b"]);
    // The client's retry of the same write: the key is full, but these are its own leases.
    assert.deepEqual(await table.acquire("swarm", ["a", "b"], 2, now, now + 1000), ["a", "b"]);
    assert.deepEqual(await table.acquire("swarm", ["c"], 2, now, now + 1000), [], "full");
    assert.deepEqual(Object.keys((await leases()) ?? {}).sort(), ["a", "b"]);
  });

  it("renews the leases of a long stream, so it keeps its slot past the lease's first life", async () => {
    const ttl = 300;
    h = await startUsageHarness({ keys: { ...KEYS, "key-id-swarm": { name: "swarm", maxConcurrentStreams: 1 } }, leaseTtlMs: ttl });
    h.fake.setScenario(HELD);
    const held = await open();
    const [first] = Object.values((await leases()) ?? {});
    assert.equal(first, h.clock.now.getTime() + ttl);
    // The task's clock moves 10 s on: without a renewal the lease would be expired and reaped.
    h.clock.set(new Date(h.clock.now.getTime() + 10_000).toISOString());
    for (let i = 0; i < 100 && Object.values((await leases()) ?? {})[0] === first; i++) await new Promise((r) => setTimeout(r, ttl / 3));
    assert.equal(Object.values((await leases()) ?? {})[0], h.clock.now.getTime() + ttl, "renewed from the new time");
    assert.equal((await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) })).status, 429);
    held.disconnect();
    await ended(held);
  });

  for (const policy of ["serve", "refuse"] as const) {
    it(`store unreachable, policy ${policy}: ${policy === "serve" ? "served without a lease" : "503 usage_store_unavailable"}, logged and counted`, async () => {
      h = await startUsageHarness({ keys: KEYS, env: { USAGE_STORE_FAILURE_POLICY: policy } });
      h.fake.setScenario(QUICK);
      await h.dynamo.close();
      const reply = await postStream(h.url, { message: "hi" }, { headers: h.as(SWARM) });
      assert.equal(reply.status, policy === "serve" ? 200 : 503);
      if (policy === "refuse") {
        assert.equal(reply.json().error.code, "usage_store_unavailable");
        assert.equal(reply.headers["retry-after"], "5");
        assert.equal(h.fake.requests.length, 0);
      }
      const effect = policy === "serve" ? "stream served without a concurrency lease" : "request refused";
      const log = h.logs.find((l) => l.level === "error" && l.msg === `usage store unavailable: ${effect}`);
      assert.equal(log?.apiKey, "swarm");
      assert.ok(h.metrics.some((m) => m.UsageStoreFailures === 1));
    });
  }
});
