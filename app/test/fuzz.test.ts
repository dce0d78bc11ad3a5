import assert from "node:assert/strict";
import http from "node:http";
import { type Harness, startHarness } from "./helpers/harness";
import { parseLines, request } from "./helpers/http-client";
import { randomRequest, seededRandom } from "./helpers/random-requests";

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
const CONCURRENCY = 16;
const BODY_LIMIT = 16 * 1024;

describe(`fuzzing POST /stream and friends (${CASES} random requests, seed ${SEED})`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    h.fake.setScenario({ steps: [{ text: "fuzz" }, { text: " ok" }] });
  });
  after(() => h.close());

  it("answers every request with 2xx or 4xx, a well-formed body, and keeps serving", async function () {
    this.timeout(90_000);
    const random = seededRandom(SEED);
    const cases = Array.from({ length: CASES }, () => randomRequest(random, BODY_LIMIT));
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const index = next++;
        const { kind, ...options } = cases[index];
        const where = `case ${index} (${kind} ${options.method} ${options.path}, seed ${SEED})`;
        const reply = await request(h.url, { ...options, agent });
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        assert.ok((reply.status >= 200 && reply.status < 300) || (reply.status >= 400 && reply.status < 500), `${where}: status ${reply.status} ${reply.text}`);
        assert.doesNotMatch(reply.text, /\bat .+:\d+:\d+|node_modules/, `${where}: no stack trace`);
        if (options.method === "HEAD" || reply.status === 204) continue;
        if (reply.status >= 400) {
          const body = JSON.parse(reply.text || "null") ?? assert.fail(`${where}: empty ${reply.status} body`);
          assert.equal(typeof body.error.code, "string", where);
          assert.equal(typeof body.error.message, "string", where);
        } else if (String(reply.headers["content-type"]).startsWith("application/x-ndjson")) {
          const lines = parseLines(reply.text);
          assert.equal(lines.at(-1).done, true, `${where}: stream completed`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    agent.destroy();
    const summary = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}x${count}`).join(" ");
    console.log(`      statuses: ${summary}`);
    assert.ok((statuses.get(200) ?? 0) > 50, "a fair share of valid requests streamed");
    for (const status of [400, 404, 405, 413, 415]) assert.ok(statuses.has(status), `some requests got ${status}`);
    const health = await request(h.url, { path: "/health" });
    assert.equal(health.status, 200, "still serving");
    assert.equal(h.server.activeStreams.size, 0, "no stream left behind");
  });
});
