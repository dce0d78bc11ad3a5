import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page, Request } from "playwright-core";
import { type Browser, launchBrowser } from "./helpers/browser";
import { type Harness, startHarness } from "./helpers/harness";

const MODEL_ID = "test.playground-model-v1:0";
/** docs/playground.md's picture; refreshed only on request (UPDATE_SCREENSHOTS=1), so a test run leaves the tree clean. */
const DOCS_SCREENSHOT = path.resolve(__dirname, "../../docs/playground.png");

const pieces = (text: string, delayMs = 0) => text.split(/(?<= )/).map((piece) => ({ text: piece, delayMs }));
const paced = (text: string) => pieces(text, 25).map((step, index) => (index === 0 ? { ...step, delayMs: 300 } : step));

describe("playground page in Chromium (playwright-core), against the service and the local stand-in", function () {
  this.timeout(60_000);
  let h: Harness;
  let browser: Browser;
  let page: Page;

  before(async () => {
    h = await startHarness({ MODEL_ID, STAGE_PREFIX: "v1" });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  beforeEach(async () => {
    h.fake.setScenario({});
    page = await browser.context.newPage();
    // Injected by the test harness (not subject to the page's CSP): every CSP violation the page causes.
    await page.addInitScript(`
      window.cspViolations = [];
      document.addEventListener("securitypolicyviolation", (e) => cspViolations.push(e.violatedDirective + " " + e.blockedURI));
    `);
    await page.goto(`${h.url}/playground`);
    await page.locator("#model option", { hasText: MODEL_ID }).waitFor({ state: "attached" });
  });
  afterEach(async () => {
    assert.deepEqual(await page.evaluate("cspViolations"), [], "the page runs within its own CSP");
    await page.close();
  });

  const reply = () => page.locator(".turn.assistant").last();
  async function send(text: string): Promise<void> {
    await page.locator("#prompt").fill(text);
    await page.locator("#send").click();
  }

  it("lists the served models from GET /models, the default first", async () => {
    const options = await page.locator("#model option").allTextContents();
    assert.deepEqual(options, [`${MODEL_ID} (default)`]);
  });

  it("under the stage path (as deployed: <stage URL>/playground) calls the API beside it", async () => {
    const staged = await browser.context.newPage();
    const paths: string[] = [];
    staged.on("request", (request) => paths.push(new URL(request.url()).pathname));
    await staged.goto(`${h.url}/v1/playground`);
    await staged.locator("#prompt").fill("Hi");
    await staged.locator("#send").click();
    await staged.locator(".turn.assistant .stats").waitFor();
    assert.deepEqual(paths.filter((p) => p !== "/favicon.ico"), ["/v1/playground", "/v1/models", "/v1/chat/completions"]);
    await staged.close();
  });

  it("behind a gateway that wants a key, asks for it first, then lists the models with it", async () => {
    const key = "typed-key-123";
    const gated = await browser.context.newPage();
    // API Gateway's answer without a key (its authorizer's 401), and with the key: the request reaches the app.
    await gated.route("**/models", (route) =>
      route.request().headers().authorization === `Bearer ${key}`
        ? route.continue()
        : route.fulfill({ status: 401, contentType: "application/json", body: '{"message":"Unauthorized"}' }),
    );
    await gated.goto(`${h.url}/playground`);
    await gated.locator("#status", { hasText: "Type the API key to start." }).waitFor();
    assert.equal(await gated.locator("#error").isHidden(), true);
    await gated.locator("#api-key").fill(key);
    await gated.locator("#api-key").press("Tab");
    await gated.locator("#model option", { hasText: MODEL_ID }).waitFor({ state: "attached" });
    await gated.close();
  });

  it("shows the reply in several DOM updates while it streams, then its figures", async () => {
    h.fake.setScenario({ steps: pieces("One two three four five six seven eight.", 15), usage: { inputTokens: 9, outputTokens: 8 } });
    // Each change of the reply's text, and whether the reply was still running at that moment.
    await page.evaluate(`
      window.updates = [];
      new MutationObserver(() => {
        const turn = document.querySelector(".turn.assistant:last-of-type");
        const text = turn?.querySelector(".text")?.textContent;
        if (text) updates.push({ text, busy: turn.getAttribute("aria-busy") === "true" });
      }).observe(document.getElementById("transcript"), { childList: true, subtree: true, characterData: true });
    `);
    await send("Count to eight");
    await reply().locator(".stats").waitFor();
    const updates = (await page.evaluate("updates")) as { text: string; busy: boolean }[];
    const whileStreaming = updates.filter((update) => update.busy);
    assert.ok(new Set(whileStreaming.map((update) => update.text)).size >= 3, JSON.stringify(updates));
    for (const update of whileStreaming) assert.ok("One two three four five six seven eight.".startsWith(update.text));
    assert.equal(await reply().locator(".text").textContent(), "One two three four five six seven eight.");
    assert.match(await reply().locator(".stats").textContent() ?? "", /^TTFT \d+ ms · [\d.]+ tok\/s · 9 in \+ 8 out = 17 tokens · [\d.]+ s · stop$/);
    assert.equal(await page.locator("#status").textContent(), "Reply complete.");
  });

  it("shows extended thinking in a collapsed Reasoning section, apart from the answer", async () => {
    h.fake.setScenario({ steps: [{ reasoning: "Let me think. " }, { reasoning: "Two plus two." }, { signature: "sig" }, { text: "Four." }] });
    await send("What is 2+2?");
    await reply().locator(".stats").waitFor();
    const reasoning = reply().locator("details.reasoning");
    assert.equal(await reasoning.getAttribute("open"), null);
    assert.equal(await reasoning.locator("summary").textContent(), "Reasoning");
    assert.equal(await reasoning.locator("div").textContent(), "Let me think. Two plus two.");
    assert.equal(await reply().locator(".text").textContent(), "Four.");
  });

  it("keeps a multi-turn history and sends the settings (model, system prompt, max tokens, temperature)", async () => {
    const before = h.fake.requests.length;
    h.fake.setScenario((req) => ({ steps: [{ text: req.id === before + 1 ? "Paris." : "About 2.1 million." }] }));
    await page.locator("#model").selectOption(MODEL_ID);
    await page.locator("#system").fill("Answer in one sentence.");
    await page.locator("#max-tokens").fill("200");
    await page.locator("#temperature").fill("0.4");
    await send("Capital of France?");
    await reply().locator(".stats").waitFor();
    await send("Its population?");
    await page.locator(".turn.assistant .stats").nth(1).waitFor();
    const [first, second] = h.fake.requests.slice(before);
    const turns = second.body.messages.map((m: any) => `${m.role}: ${m.content[0].text}`);
    assert.deepEqual(turns, ["user: Capital of France?", "assistant: Paris.", "user: Its population?"]);
    assert.equal(first.modelId, MODEL_ID);
    assert.deepEqual(second.body.system, [{ text: "Answer in one sentence." }]);
    assert.deepEqual(second.body.inferenceConfig, { maxTokens: 200, temperature: 0.4 });
  });

  it("Stop aborts the request, which closes the upstream Bedrock call", async () => {
    h.fake.setScenario({ steps: [{ text: "Partial " }, { text: "reply" }, { hang: true }] });
    const before = h.fake.requests.length;
    await send("Write a long essay");
    await page.locator(".turn.assistant .text", { hasText: "Partial reply" }).waitFor();
    const [upstream] = (await h.fake.waitForRequests(before + 1)).slice(before);
    assert.equal(upstream.closedAt, undefined, "the text is on screen while the upstream still streams");
    await page.locator("#stop").click();
    assert.equal((await h.fake.waitForClose(upstream)).outcome, "client-aborted");
    await reply().locator(".stats").waitFor();
    assert.match(await reply().locator(".stats").textContent() ?? "", / · stopped$/);
    assert.equal(await page.locator("#status").textContent(), "Stopped.");
    assert.equal(await page.locator("#send").isEnabled(), true);
    assert.equal(await page.locator("#stop").isEnabled(), false);
  });

  describe("errors as readable messages", () => {
    it("429 throttled, with its retry time", async () => {
      h.fake.setScenario({ error: { type: "ThrottlingException" } });
      await send("Hello");
      const error = page.locator("#error");
      await error.waitFor();
      assert.match(await error.textContent() ?? "", /^Too many requests \(throttled\): .+\. Try again in 5 s\.$/);
      assert.equal(await error.getAttribute("role"), "alert");
      assert.equal(await page.locator("#prompt").inputValue(), "Hello", "the prompt comes back for a retry");
    });

    it("the model service is down (503)", async () => {
      h.fake.setScenario({ error: { type: "ServiceUnavailableException" } });
      await send("Hello");
      await page.locator("#error").waitFor();
      assert.match(await page.locator("#error").textContent() ?? "", /^The model service is unavailable \(503 service_unavailable\): .+\. Try again in 5 s\.$/);
    });

    it("a reply cut short mid-stream keeps its text and says why", async () => {
      h.fake.setScenario({ steps: [{ text: "Half an answer" }, { exception: "modelStreamErrorException" }] });
      await send("Hello");
      await page.locator("#error").waitFor();
      assert.match(await page.locator("#error").textContent() ?? "", /^The reply was cut short \(model_stream_error\): /);
      assert.equal(await reply().locator(".text").textContent(), "Half an answer");
    });
  });

  it("keeps the API key in this tab's session storage only, and sends it only as request headers", async () => {
    const key = "playground-test-key-7f3a9c";
    const calls: Request[] = [];
    page.on("request", (request) => calls.push(request));
    await page.locator("#api-key").fill(key);
    await page.locator("#api-key").press("Tab");
    await send("Hi");
    await reply().locator(".stats").waitFor();

    assert.equal(await page.evaluate(`sessionStorage.getItem("chat-playground.api-key")`), key);
    assert.equal(await page.evaluate("localStorage.length"), 0);
    assert.deepEqual(await browser.context.cookies(), []);
    const chat = calls.find((request) => request.url().endsWith("/chat/completions"))!;
    assert.equal(chat.headers()["x-api-key"], key);
    assert.equal(chat.headers().authorization, `Bearer ${key}`);
    for (const request of calls) {
      assert.ok(!request.url().includes(key) && !(request.postData() ?? "").includes(key), request.url());
    }
    assert.ok(!JSON.stringify(h.logs).includes(key), "the service never logs it");

    await page.reload();
    assert.equal(await page.locator("#api-key").inputValue(), key, "the tab keeps it across a reload");
    const otherTab = await browser.context.newPage();
    await otherTab.goto(`${h.url}/playground`);
    assert.equal(await otherTab.locator("#api-key").inputValue(), "", "another tab does not see it");
    await otherTab.close();
  });

  it("works with the keyboard alone: labelled controls in a sensible focus order, Enter sends, Escape stops", async () => {
    const unlabelled = await page.evaluate(
      `[...document.querySelectorAll("input, select, textarea")].filter((el) => el.labels?.length !== 1).map((el) => el.id)`,
    );
    assert.deepEqual(unlabelled, []);
    // The page opens with the focus in the message box; Tab then goes round the page once (Stop is disabled when
    // idle, and "" is the moment the focus leaves the document before it wraps around).
    assert.equal(await page.evaluate("document.activeElement.id"), "prompt");
    const order: string[] = [];
    for (let i = 0; i < 9; i += 1) {
      await page.keyboard.press("Tab");
      order.push((await page.evaluate("document.activeElement.id")) as string);
    }
    assert.deepEqual(order, ["send", "", "api-key", "model", "system", "max-tokens", "temperature", "new-chat", "prompt"]);

    // Back to a setting and forth again; Enter in a settings field submits nothing (no navigation, no CSP report).
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    assert.equal(await page.evaluate("document.activeElement.id"), "temperature");
    await page.keyboard.type("0.5");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate("document.activeElement.id"), "prompt");

    h.fake.setScenario({ steps: [{ text: "Streaming " }, { hang: true }] });
    const before = h.fake.requests.length;
    await page.keyboard.type("First line");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("second line");
    await page.keyboard.press("Enter");
    await page.locator(".turn.assistant .text", { hasText: "Streaming" }).waitFor();
    const [upstream] = (await h.fake.waitForRequests(before + 1)).slice(before);
    assert.equal(upstream.body.messages[0].content[0].text, "First line\nsecond line");
    assert.equal(upstream.body.inferenceConfig.temperature, 0.5);
    await page.keyboard.press("Escape");
    assert.equal((await h.fake.waitForClose(upstream)).outcome, "client-aborted");
    await page.locator("#status", { hasText: "Stopped." }).waitFor();
    assert.equal(await page.evaluate("document.activeElement.id"), "prompt", "focus stays where the user types");
  });

  it("takes docs/playground.md's screenshot of a conversation", async () => {
    // Paced like the local mode (a first token after 300 ms, then a piece every 25 ms), so the figures look real.
    h.fake.setScenario((req) => ({
      steps: paced(
        req.body.messages.length === 1
          ? "Response streaming means each token leaves Bedrock, crosses the gateway and reaches you the moment the model writes it, instead of after the whole answer is ready."
          : "Time to first token is the wait before anything appears; tokens per second is how fast the rest follows. Both are shown under every reply.",
      ),
      usage: { inputTokens: 31 * req.body.messages.length, outputTokens: 34 },
    }));
    await page.locator("#system").fill("Answer in two sentences.");
    await send("What does response streaming change for users?");
    await reply().locator(".stats").waitFor();
    await send("Which figures tell me how it feels?");
    await page.locator(".turn.assistant .stats").nth(1).waitFor();
    await page.locator("#prompt").fill("And with a real model?");
    const png = await page.screenshot({ fullPage: true });
    assert.equal(png.subarray(1, 4).toString(), "PNG");
    const target = process.env.UPDATE_SCREENSHOTS ? DOCS_SCREENSHOT : path.join(tmpdir(), "playground.png");
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, png);
  });
});
