import assert from "node:assert/strict";
import { modelInfo } from "../src/models";
import { CHAT_COMPLETIONS_PATH, ESTIMATED_COST_HEADER } from "../src/route-paths";
import { type Browser, launchBrowser } from "./helpers/browser";
import { ChatProcess } from "./helpers/chat-process";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";

const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const UNPRICED = "test.unpriced-model-v1:0";
const USAGE = { inputTokens: 1200, outputTokens: 345, cacheReadInputTokens: 1000 };
/** From the catalog's list prices (US$ per million tokens = micro-dollars per token), not from the gateway's arithmetic. */
const rates = modelInfo(HAIKU).prices!.base;
const EXPECTED_MICRO = Math.round(USAGE.inputTokens * rates.input + USAGE.outputTokens * rates.output + USAGE.cacheReadInputTokens * rates.cacheRead!);
const EXPECTED_SHOWN = `est. $${(EXPECTED_MICRO / 1e6).toFixed(6)}`;

/** The reply's estimated cost, from the gateway's usage chunk to the two clients that show it beside tokens per second. */
describe("estimated reply cost in the playground and the terminal client", function () {
  this.timeout(60_000);
  let h: Harness;
  before(async () => {
    h = await startHarness({ MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: UNPRICED });
    h.fake.setScenario({ steps: [{ text: "Fine, " }, { text: "thanks." }], usage: USAGE });
  });
  after(() => h.close());

  const usageChunk = async (headers: Record<string, string>, model = HAIKU) => {
    const reply = await request(h.url, {
      path: CHAT_COMPLETIONS_PATH,
      headers,
      body: { model, messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } },
    });
    assert.equal(reply.status, 200, reply.text);
    // Data-only frames (Chat Completions); the one before `[DONE]` is the usage chunk.
    const frames = reply.text.split("\n\n").filter((frame) => frame.startsWith("data: ")).map((frame) => frame.slice(6));
    assert.equal(frames.at(-1), "[DONE]");
    return JSON.parse(frames.at(-2)!).usage;
  };

  it("the usage chunk carries estimated_cost_micro_usd only when the client's header asks, and only for a priced model", async () => {
    assert.equal(EXPECTED_MICRO, 3025); // 1200 * 1 + 345 * 5 + 1000 * 0.1
    const asked = await usageChunk({ [ESTIMATED_COST_HEADER]: "true" });
    assert.equal(asked.estimated_cost_micro_usd, EXPECTED_MICRO);
    assert.equal(asked.prompt_tokens, 2200);
    const plain = await usageChunk({});
    assert.deepEqual(Object.keys(plain), ["prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details"]);
    const unpriced = await usageChunk({ [ESTIMATED_COST_HEADER]: "true" }, UNPRICED);
    assert.equal("estimated_cost_micro_usd" in unpriced, false);
  });

  it("the terminal client prints the cost beside tokens per second", async () => {
    const run = await ChatProcess.run(["How are you?"], { CHAT_API_URL: h.url });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`^\\[TTFT \\d+ ms · [\\d.]+ tok/s · ${EXPECTED_SHOWN.replace(/[$.]/g, "\\$&")} · 2200 in \\+ 345 out`, "m"));
    const unpriced = await ChatProcess.run(["--model", UNPRICED, "How are you?"], { CHAT_API_URL: h.url });
    assert.doesNotMatch(unpriced.stderr, /est\. \$/);
  });

  it("the playground shows it in the reply's figures", async () => {
    const browser: Browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${h.url}/playground`);
      await page.locator("#model option", { hasText: HAIKU }).waitFor({ state: "attached" });
      await page.locator("#prompt").fill("How are you?");
      await page.locator("#send").click();
      const stats = page.locator(".turn.assistant .stats");
      await stats.waitFor();
      const shown = /· est\. \$(\d+\.\d{6}) ·/.exec((await stats.textContent()) ?? "");
      assert.ok(shown, await stats.textContent() ?? "");
      assert.equal(Math.round(Number(shown[1]) * 1e6), EXPECTED_MICRO);
    } finally {
      await browser.close();
    }
  });
});
