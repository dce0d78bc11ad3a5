import assert from "node:assert/strict";
import http from "node:http";
import OpenAI from "openai";
import { type Harness, startHarness, waitUntil } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { seededRandom } from "./helpers/random-requests";

const MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

const postChat = (url: string, body: unknown, agent?: http.Agent) =>
  request(url, { method: "POST", path: "/chat/completions", body: JSON.stringify(body), headers: { "Content-Type": "application/json" }, agent });

describe("OpenAI streams: cancellation, 200 concurrent streams, fuzzed bodies", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ MODEL_ID: MODEL, BODY_LIMIT_BYTES: String(16 * 1024) });
  });
  after(() => h.close());

  it("a client abort (the SDK's AbortController) cancels the Bedrock call", async () => {
    h.fake.setScenario({ steps: [{ text: "one" }, { text: "two" }, { hang: true }] });
    const client = new OpenAI({ baseURL: h.url, apiKey: "sk-local", maxRetries: 0 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: "user", content: "long" }], stream: true }, { signal: controller.signal });
    const [call] = h.fake.requests.slice(-1);
    const seen: string[] = [];
    // The SDK ends the iteration quietly on its own abort.
    for await (const chunk of stream) {
      seen.push(chunk.choices[0]?.delta.content ?? "");
      if (seen.length === 3) controller.abort();
    }
    assert.deepEqual(seen, ["", "one", "two"]);
    assert.equal((await h.fake.waitForClose(call, 2000)).outcome, "client-aborted");
    const log = await waitUntil(() => h.logs.find((line) => line.route === "/chat/completions" && line.errorCode === "client_closed"), 2000, "the abort's log line");
    assert.equal(log.aborted, true);
    assert.equal(log.format, "openai");
    await waitUntil(() => (h.server.activeStreams.size === 0 ? true : undefined), 1000, "the stream to be forgotten");
  });

  it("200 concurrent SSE streams: each client receives exactly its own chunks, byte for byte", async function () {
    this.timeout(30_000);
    const pieces = (id: number) => Array.from({ length: 12 }, (_, i) => `#${id}.${i} ストリーム🙂${"é".repeat(id % 7)} "q"\n`);
    h.fake.setScenario((req) => {
      const id = Number(/^stream (\d+)$/.exec(req.body.messages[0].content[0].text)![1]);
      return { steps: pieces(id).map((text, i) => ({ text, delayMs: (id * 7 + i * 3) % 11 })), usage: { inputTokens: id, outputTokens: 12 } };
    });
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const ids = Array.from({ length: 200 }, (_, id) => id);
    const replies = await Promise.all(ids.map((id) => postChat(h.url, { messages: [{ role: "user", content: `stream ${id}` }], stream: true, stream_options: { include_usage: true } }, agent)));
    agent.destroy();
    const seenIds = new Set<string>();
    for (const id of ids) {
      const reply = replies[id];
      assert.equal(reply.status, 200, `stream ${id}`);
      assert.equal(reply.headers["content-type"], "text/event-stream; charset=utf-8");
      const first = JSON.parse(reply.text.slice("data: ".length, reply.text.indexOf("\n")));
      seenIds.add(first.id);
      const base = { id: first.id, object: "chat.completion.chunk", created: first.created, model: MODEL };
      const event = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
      const chunk = (delta: unknown, finish: string | null = null) => event({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
      const expected = [
        chunk({ role: "assistant", content: "" }),
        ...pieces(id).map((content) => chunk({ content })),
        chunk({}, "stop"),
        event({ ...base, choices: [], usage: { prompt_tokens: id, completion_tokens: 12, total_tokens: id + 12, prompt_tokens_details: { cached_tokens: 0 } } }),
        "data: [DONE]\n\n",
      ].join("");
      assert.ok(reply.raw.equals(Buffer.from(expected, "utf8")), `stream ${id}: byte-exact`);
    }
    assert.equal(seenIds.size, 200, "every reply has its own id");
  });

  it("fuzzed bodies on POST /chat/completions: only 2xx and 4xx, errors in OpenAI's shape", async function () {
    this.timeout(60_000);
    h.fake.setScenario({ steps: [{ text: "fuzz" }] });
    const random = seededRandom(Number(process.env.FUZZ_SEED ?? 20261128));
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const values: unknown[] = [null, true, 0, -1, 1.5, 2, 3, 1e308, "", " ", "x", "auto", "none", "required", "🙂", [], [""], {}, { type: "text" }, { type: "function", function: { name: "f" } }, { include_usage: true }];
    const parts = [{ type: "text", text: "hi" }, { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }, { type: "image_url", image_url: { url: "http://x/y.png" } }, { type: "input_audio" }, { type: "text" }, "text"];
    const messages = () => Array.from({ length: Math.floor(random() * 4) }, () => ({
      role: pick(["system", "developer", "user", "assistant", "tool", "function", 1]),
      content: pick<unknown>(["hi", "", null, [pick(parts)], [pick(parts), pick(parts)], 5]),
      ...(random() < 0.2 ? { tool_calls: [{ id: pick(["c1", "bad id", ""]), type: "function", function: { name: "f", arguments: pick(["{}", "{", "[]", '{"a":1}']) } }] } : {}),
      ...(random() < 0.2 ? { tool_call_id: pick(["c1", "c2"]) } : {}),
    }));
    const keys = ["model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop", "tools", "tool_choice", "reasoning_effort", "user", "n", "logprobs", "seed", "response_format", "presence_penalty", "metadata", "unknown_field"];
    const body = (): unknown => {
      const valid = [{ role: "user", content: "hi" }];
      const value: Record<string, unknown> = { messages: random() < 0.4 ? valid : random() < 0.9 ? messages() : pick(values) };
      for (let i = Math.floor(random() * 3); i > 0; i -= 1) {
        const key = pick(keys);
        value[key] = key === "tools" && random() < 0.5 ? [{ type: "function", function: { name: pick(["f", "g", "bad name"]) } }] : key === "reasoning_effort" ? pick(["low", "high", "max", null]) : pick(values);
      }
      return random() < 0.05 ? pick(values) : value;
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const statuses = new Map<number, number>();
    const cases = Array.from({ length: 1500 }, body);
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const index = next++;
        const reply = await postChat(h.url, cases[index], agent);
        const where = `case ${index}: ${JSON.stringify(cases[index]).slice(0, 300)} -> ${reply.status} ${reply.text.slice(0, 300)}`;
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        assert.ok(reply.status < 300 || (reply.status >= 400 && reply.status < 500), where);
        if (reply.status >= 400) {
          const error = reply.json().error;
          assert.deepEqual(Object.keys(error).sort(), ["code", "message", "param", "type"], where);
          assert.equal(error.type, "invalid_request_error", where);
        } else if (String(reply.headers["content-type"]).startsWith("text/event-stream")) {
          assert.ok(reply.text.endsWith("data: [DONE]\n\n"), where);
        } else {
          assert.equal(reply.json().object, "chat.completion", where);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    agent.destroy();
    console.log(`      statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(" ")}`);
    assert.ok((statuses.get(200) ?? 0) > 20, "a fair share of bodies were valid");
    assert.ok((statuses.get(400) ?? 0) > 500, "most were refused with a named parameter");
    assert.equal(h.server.activeStreams.size, 0);
  });
});
