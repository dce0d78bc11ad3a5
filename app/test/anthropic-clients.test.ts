import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createAnthropic } from "@ai-sdk/anthropic";
import { ChatAnthropic } from "@langchain/anthropic";
import Anthropic from "@anthropic-ai/sdk";
import { generateText, streamText } from "ai";
import * as z from "zod";
import { assertNoFailedRequests } from "./helpers/assertions";
import { type Harness, startHarness } from "./helpers/harness";

/**
 * Other Anthropic clients against the native path, as their users configure them: the Claude Agent SDK's
 * `query()`, LangChain's ChatAnthropic with structured output, the Vercel AI SDK's Anthropic provider, and the
 * Anthropic SDK sending betas this gateway has never heard of. Real sockets, the local stand-in.
 */

const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

describe("Anthropic clients against the native path", function () {
  this.timeout(120_000);
  let h: Harness;
  let base: string;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: HAIKU });
    base = `${h.url}/v1`;
  });
  after(() => h.close());

  const last = () => h.fake.requests.at(-1)!;

  it("the Claude Agent SDK's query() streams an answer through Claude Code", async () => {
    h.fake.setScenario({ steps: [{ text: "Agent says hi." }] });
    const home = mkdtempSync(path.join(tmpdir(), "agent-home-"));
    try {
      const { query } = await import("@anthropic-ai/claude-agent-sdk");
      const env = {
        PATH: process.env.PATH ?? "", HOME: home, ANTHROPIC_BASE_URL: base, ANTHROPIC_API_KEY: "sk-local-test",
        DISABLE_AUTOUPDATER: "1", DISABLE_TELEMETRY: "1", DISABLE_ERROR_REPORTING: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      };
      const from = h.logs.length;
      let result: string | undefined;
      for await (const message of query({ prompt: "say hi", options: { env, cwd: home, maxTurns: 1 } })) {
        if (message.type === "result" && message.subtype === "success") result = message.result;
      }
      assert.match(result ?? "", /Agent says hi\./);
      assertNoFailedRequests(h.logs, from);
      assert.equal(last().body.anthropic_version, "bedrock-2023-05-31");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("LangChain ChatAnthropic withStructuredOutput returns an instance of the schema", async () => {
    // The model's forced tool call, scripted: what is checked is the request and the reply's way back.
    h.fake.setScenario({
      steps: [{ toolUse: { id: "toolu_so_1", name: "extract" } }, { toolInput: '{"city":"Lyon",' }, { toolInput: '"population":520000}' }],
      stopReason: "tool_use",
    });
    const schema = z.object({ city: z.string(), population: z.number() });
    const model = new ChatAnthropic({ model: "claude-haiku-4-5", anthropicApiUrl: base, apiKey: "k", maxRetries: 0 });
    const answer = await model.withStructuredOutput(schema).invoke("Name a city and its population.");
    assert.deepEqual(answer, { city: "Lyon", population: 520000 });
    assert.deepEqual(last().body.tool_choice, { type: "tool", name: "extract" }, "the tool is forced, natively");
    assert.equal(last().modelId, HAIKU, "Anthropic's name resolved to the served model");
  });

  it("the Vercel AI SDK's Anthropic provider generates and streams text", async () => {
    const anthropic = createAnthropic({ baseURL: `${base}/v1`, apiKey: "k" });
    h.fake.setScenario({ steps: [{ text: "AI SDK " }, { text: "works." }] });
    const generated = await generateText({ model: anthropic("claude-haiku-4-5"), prompt: "hi", maxRetries: 0 });
    assert.equal(generated.text, "AI SDK works.");
    const streamed = streamText({ model: anthropic("claude-haiku-4-5"), prompt: "hi", maxRetries: 0 });
    let text = "";
    for await (const piece of streamed.textStream) text += piece;
    assert.equal(text, "AI SDK works.");
    assert.equal(last().operation, "invoke-with-response-stream");
  });

  it("the Anthropic SDK with betas it does not know yet is answered, not refused", async () => {
    h.fake.setScenario({ steps: [{ text: "still fine" }] });
    const client = new Anthropic({ baseURL: base, apiKey: "k", maxRetries: 0 });
    const message = await client.beta.messages.create({
      model: "claude-haiku-4-5-20251001",
      max_tokens: 50,
      betas: ["brand-new-feature-2031-02-03", "interleaved-thinking-2025-05-14"],
      messages: [{ role: "user", content: "hi" }],
    });
    assert.deepEqual(message.content, [{ type: "text", text: "still fine" }]);
    assert.deepEqual(last().body.anthropic_beta, ["interleaved-thinking-2025-05-14"]);
  });
});
