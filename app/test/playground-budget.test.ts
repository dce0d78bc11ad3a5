import assert from "node:assert/strict";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { type Browser, launchBrowser } from "./helpers/browser";
import { startHeaderProxy } from "./helpers/canned-gateway";
import { ChatProcess } from "./helpers/chat-process";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const KEY_ID = "key-id-tiny";
/** 40 tokens a reply against a daily budget of 50: the second reply is allowed, the third refused. */
const REPLY = { steps: [{ text: "Fine." }], usage: { inputTokens: 30, outputTokens: 10 } };
const REFUSAL = "Token budget exhausted: This API key has used its daily token budget; it resets at 2026-11-29T00:00:00.000Z. Try again in 12 h.";

describe("token budget refusals (the usage module's real 429 token_budget_exceeded) in both clients", function () {
  this.timeout(60_000);
  let h: UsageHarness;
  before(async () => {
    h = await startUsageHarness({ keys: { [KEY_ID]: { name: "tiny", tokensPerDay: 50 } }, now: "2026-11-28T12:00:00Z" });
    h.fake.setScenario(REPLY);
  });
  after(() => h.close());

  /** Spends the key's budget: two replies, charged. */
  async function exhaust(): Promise<void> {
    for (let i = 0; i < 2; i += 1) {
      const reply = await fetch(`${h.url}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...h.as(KEY_ID) },
        body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }),
      });
      assert.equal(reply.status, 200);
    }
    await h.charged();
  }

  it("the playground shows the refusal with when the budget resets", async () => {
    const browser: Browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      // What API Gateway's integration adds for the caller's key (its id, never its value).
      await page.route("**/chat/completions", (route) =>
        route.continue({ headers: { ...route.request().headers(), [GATEWAY_API_KEY_ID_HEADER]: KEY_ID } }),
      );
      await page.goto(`${h.url}/playground`);
      await exhaust();
      await page.locator("#prompt").fill("One more?");
      await page.locator("#send").click();
      await page.locator("#error").waitFor();
      assert.equal(await page.locator("#error").textContent(), REFUSAL);
    } finally {
      await browser.close();
    }
  });

  it("the terminal client prints it as one line and exits 1", async () => {
    const gateway = await startHeaderProxy(h.url, h.as(KEY_ID));
    try {
      const run = await ChatProcess.run(["One more?"], { CHAT_API_URL: gateway.url });
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `error: ${REFUSAL}\n`);
    } finally {
      await gateway.close();
    }
  });
});
