import assert from "node:assert/strict";
import http from "node:http";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { seededRandom } from "./helpers/random-requests";
import { parseSse } from "./helpers/sse";

const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const CASES = Number(process.env.FUZZ_CASES ?? 1500);
const BODY_LIMIT = 16 * 1024;

describe("Anthropic Messages: 200 concurrent streams", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  /** A distinct, deterministic reply per stream, mixing ASCII and multi-byte text, with interleaving delays. */
  const pieces = (id: number) => Array.from({ length: 12 }, (_, i) => `#${id}.${i} ストリーム🙂${"é".repeat(id % 7)} `);

  /** Everything after `message_start` and its ping is fully determined by the script: compared byte for byte. */
  function expectedTail(id: number): string {
    const frame = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
    return [
      frame("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
      ...pieces(id).map((text) => frame("content_block_delta", { index: 0, delta: { type: "text_delta", text } })),
      frame("content_block_stop", { index: 0 }),
      // Claude's own message_delta, relayed as Bedrock sends it (the native path).
      frame("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 12 } }),
      frame("message_stop", {}),
    ].join("");
  }

  it("each client receives exactly its own event stream, byte for byte", async function () {
    this.timeout(30_000);
    h.fake.setScenario((req) => {
      const id = Number(/^stream (\d+)$/.exec(req.body.messages[0].content)![1]);
      return { steps: pieces(id).map((text, i) => ({ text, delayMs: (id * 7 + i * 3) % 11 })), usage: { inputTokens: id, outputTokens: 12 } };
    });
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const ids = Array.from({ length: 200 }, (_, id) => id);
    const body = (id: number) => ({ max_tokens: 100, stream: true, messages: [{ role: "user", content: `stream ${id}` }] });
    const replies = await Promise.all(ids.map((id) => request(h.url, { method: "POST", path: "/v1/messages", body: body(id), agent })));
    agent.destroy();
    for (const id of ids) {
      const reply = replies[id];
      assert.equal(reply.status, 200, `stream ${id}`);
      const head = /^event: message_start\ndata: (.*)\n\nevent: ping\ndata: \{"type":"ping"\}\n\n/.exec(reply.text);
      assert.ok(head, `stream ${id}: message_start then ping`);
      assert.equal(JSON.parse(head[1]).message.content.length, 0);
      const tail = reply.raw.subarray(Buffer.byteLength(head[0]));
      assert.ok(tail.equals(Buffer.from(expectedTail(id))), `stream ${id}: every later frame byte-exact`);
    }
    assert.equal(h.fake.requests.filter((r) => r.outcome === "completed").length, 200);
  });
});

describe(`Anthropic Messages: fuzzed bodies (${CASES} seeded mutations of valid requests, seed ${SEED})`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    h.fake.setScenario({ steps: [{ text: "fuzz" }, { toolUse: { id: "t", name: "f" } }, { toolInput: "{}" }], countTokens: 3 });
  });
  after(() => h.close());

  type Random = () => number;
  const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const ODD_VALUES = [null, true, 0, -1, 1.5, 1e308, "", " ", "🙂\ud800", "x".repeat(300), [], {}, [{}], { type: "text" }, { __proto__: 1 }, "text"];

  /** A request using every feature, so mutations reach deep into the block schemas. */
  const valid = (): any => ({
    model: undefined,
    max_tokens: 2000,
    stream: true,
    system: [{ type: "text", text: "sys", cache_control: { type: "ephemeral" } }],
    tools: [{ name: "f", description: "d", input_schema: { type: "object" }, cache_control: { type: "ephemeral", ttl: "1h" } }],
    tool_choice: { type: "auto" },
    thinking: { type: "enabled", budget_tokens: 1024 },
    metadata: { user_id: "u1" },
    stop_sequences: ["END"],
    messages: [
      { role: "user", content: [{ type: "text", text: "hi" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "t", signature: "s" },
          { type: "redacted_thinking", data: "AAAA" },
          { type: "tool_use", id: "t", name: "f", input: { a: 1 } },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: "r" }], is_error: false }] },
    ],
  });

  /** Replaces, deletes or adds one to three values anywhere in the body. */
  function mutate(random: Random, body: any): any {
    for (let n = 1 + Math.floor(random() * 3); n > 0; n -= 1) {
      let node = body;
      for (let depth = 0; depth < 6; depth += 1) {
        const keys = node && typeof node === "object" ? Object.keys(node) : [];
        if (keys.length === 0) break;
        const key = pick(random, keys);
        const child = node[key];
        if (child === null || typeof child !== "object" || random() < 0.3) {
          const roll = random();
          if (roll < 0.6) node[key] = structuredClone(pick(random, ODD_VALUES));
          else if (roll < 0.8) delete node[key];
          else node[`${key}_extra`] = structuredClone(pick(random, ODD_VALUES));
          break;
        }
        node = child;
      }
    }
    return body;
  }

  it("answers every mutation with 2xx or 4xx and a well-formed Anthropic body or event stream", async function () {
    this.timeout(90_000);
    const random = seededRandom(SEED);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const statuses = new Map<number, number>();
    for (let index = 0; index < CASES; index += 1) {
      const body = random() < 0.1 ? valid() : mutate(random, valid());
      const path = random() < 0.2 ? "/v1/messages/count_tokens" : "/v1/messages";
      if (path.endsWith("count_tokens")) for (const key of ["max_tokens", "stream", "metadata", "stop_sequences"]) delete body[key];
      const where = `case ${index} (seed ${SEED}, ${path})`;
      const reply = await request(h.url, { method: "POST", path, body, agent });
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      assert.ok(reply.status < 300 || (reply.status >= 400 && reply.status < 500), `${where}: ${reply.status} ${reply.text}`);
      assert.doesNotMatch(reply.text, /\bat .+:\d+:\d+|node_modules/, `${where}: no stack trace`);
      if (reply.status >= 400) {
        const error = reply.json();
        assert.equal(error.type, "error", where);
        const expected = { 400: "invalid_request_error", 404: "not_found_error", 413: "request_too_large" }[reply.status];
        assert.equal(error.error.type, expected, `${where}: ${reply.text}`);
      } else if (String(reply.headers["content-type"]).startsWith("text/event-stream")) {
        assert.equal(parseSse(reply.text).at(-1)?.event, "message_stop", where);
      } else {
        const json = reply.json();
        assert.ok(json.type === "message" || typeof json.input_tokens === "number", `${where}: ${reply.text}`);
      }
    }
    agent.destroy();
    console.log(`      statuses: ${[...statuses].map(([status, count]) => `${status}x${count}`).join(" ")}`);
    assert.ok((statuses.get(200) ?? 0) > CASES / 20, "a fair share of mutations stay valid and are answered");
    assert.ok((statuses.get(400) ?? 0) > CASES / 4, "most mutations are refused");
    assert.equal(h.server.activeStreams.size, 0, "no stream left behind");
  });
});
