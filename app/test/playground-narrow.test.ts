import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Page } from "playwright-core";
import { type Browser, launchBrowser } from "./helpers/browser";
import { type Harness, startHarness } from "./helpers/harness";

/** Real Bedrock IDs are long; a closed <select> shows only its own width of them. */
const DEFAULT_MODEL = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const OTHER_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
/** A long stage path, as the endpoint line in the header shows it. */
const STAGE = "v1-a-long-stage-name-as-some-deployments-have";
const LONG_TOKEN = `https://example.com/${"a".repeat(90)}`;
/** A phone's width (iPhone SE to 13 mini). */
const PHONE = { width: 375, height: 740 };

describe("playground on a phone-sized screen (Chromium, playwright-core)", function () {
  this.timeout(60_000);
  let h: Harness;
  let browser: Browser;
  let page: Page;

  before(async () => {
    h = await startHarness({ MODEL_ID: DEFAULT_MODEL, ALLOWED_MODEL_IDS: OTHER_MODEL, STAGE_PREFIX: STAGE });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });
  beforeEach(async () => {
    page = await browser.context.newPage();
    await page.setViewportSize(PHONE);
    await page.goto(`${h.url}/${STAGE}/playground`);
    await page.locator("#model option", { hasText: OTHER_MODEL }).waitFor({ state: "attached" });
  });
  afterEach(() => page.close());

  /** The element's text is all inside its box (not cut) and the box inside the screen. */
  async function wholeOnScreen(selector: string): Promise<void> {
    const box = await page.locator(selector).evaluate((el) => {
      const rect = el.getBoundingClientRect();
      return { left: rect.left, right: rect.right, scrollWidth: el.scrollWidth, clientWidth: el.clientWidth };
    });
    assert.ok(box.scrollWidth <= box.clientWidth, `${selector} cuts its text: ${JSON.stringify(box)}`);
    assert.ok(box.left >= 0 && box.right <= PHONE.width, `${selector} is off the screen: ${JSON.stringify(box)}`);
  }

  it("the model picker shows the chosen model's whole name, and every option is a whole name", async () => {
    assert.deepEqual(await page.locator("#model option").allTextContents(), [`${DEFAULT_MODEL} (default)`, OTHER_MODEL]);
    assert.equal(await page.locator("#model-name").textContent(), `${DEFAULT_MODEL} (default)`);
    await wholeOnScreen("#model-name");
    assert.equal(await page.locator("#model").getAttribute("aria-describedby"), "model-name");

    await page.locator("#model").selectOption(OTHER_MODEL);
    assert.equal(await page.locator("#model-name").textContent(), OTHER_MODEL);
    await wholeOnScreen("#model-name");
  });

  it("shows the reply without scrolling sideways, long unbroken words and reasoning included", async () => {
    h.fake.setScenario({ steps: [{ reasoning: `Thinking about ${LONG_TOKEN}` }, { text: `A reply with ${LONG_TOKEN} in it, and more words after.` }] });
    await page.locator("#prompt").fill(`Look at ${LONG_TOKEN}`);
    await page.locator("#send").click();
    await page.locator(".turn.assistant .stats").waitFor();
    await page.locator(".turn.assistant details.reasoning summary").click();

    const widths = await page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]");
    assert.deepEqual(widths, [PHONE.width, PHONE.width], "the page is wider than the screen");
    for (const selector of [".turn.assistant .text", ".turn.assistant details.reasoning", ".turn.user .text", "#endpoint", ".turn.assistant .stats"]) {
      await wholeOnScreen(selector);
    }
    assert.match((await page.locator(".turn.assistant .text").textContent()) ?? "", /and more words after\.$/);
    // For a person to look at (the test's own checks are above): the whole page as a phone shows it.
    await page.screenshot({ path: path.join(tmpdir(), "playground-375.png"), fullPage: true });
  });
});
