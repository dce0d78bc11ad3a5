import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { parseSse } from "./helpers/sse";

/**
 * Claude's native path on the Anthropic route: the Messages body goes to Bedrock through InvokeModel(WithResponse
 * Stream), adapted to the model through the catalog, and Anthropic's own events come back. Real SDK, real sockets,
 * the local stand-in.
 */

const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const OPUS = "global.anthropic.claude-opus-4-8";
const SONNET_46 = "us.anthropic.claude-sonnet-4-6";

/** Claude Code 2.1's first request (client-requests.md), texts shortened. */
const CLAUDE_CODE_BETAS = [
  "claude-code-20250219", "context-1m-2025-08-07", "interleaved-thinking-2025-05-14", "thinking-token-count-2026-05-13",
  "context-management-2025-06-27", "prompt-caching-scope-2026-01-05", "mid-conversation-system-2026-04-07", "effort-2025-11-24",
].join(",");
function claudeCodeBody(model: string): Record<string, unknown> {
  return {
    model,
    max_tokens: 32_000,
    stream: true,
    thinking: { type: "adaptive" },
    output_config: { effort: "high" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    metadata: { user_id: JSON.stringify({ device_id: "d", session_id: "s" }) },
    system: [{ type: "text", text: "billing header" }, { type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } }],
    tools: [{ name: "Read", description: "Read a file", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }],
    messages: [
      { role: "user", content: [{ type: "text", text: "context" }, { type: "text", text: "say hello", cache_control: { type: "ephemeral" } }] },
      { role: "system", content: "Remember the rules." },
    ],
  };
}

describe("Anthropic Messages: Claude's native path", () => {
  let h: Harness;
  let client: Anthropic;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: `${OPUS},${SONNET_46}` });
    client = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "k", maxRetries: 0 });
  });
  after(() => h.close());

  const last = () => h.fake.requests.at(-1)!;
  const hi: Anthropic.MessageParam[] = [{ role: "user", content: "hi" }];

  it("streams Anthropic's own events with the answering model, and meters Bedrock's invocation metrics", async () => {
    h.fake.setScenario({
      steps: [{ reasoning: "hmm" }, { signature: "sig" }, { text: "Hel" }, { text: "lo" }],
      usage: { inputTokens: 30, outputTokens: 7, cacheReadInputTokens: 20, cacheWriteInputTokens: 2 },
    });
    const reply = await request(h.url, {
      method: "POST",
      path: "/v1/v1/messages",
      body: { model: "claude-haiku-4-5-20251001", max_tokens: 100, stream: true, messages: hi },
    });
    assert.equal(reply.status, 200);
    const events = parseSse(reply.text);
    assert.deepEqual(events.map((e) => e.event), [
      "message_start", "ping",
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
      "message_delta", "message_stop",
    ]);
    for (const e of events) assert.equal(e.data.type, e.event, "each event's JSON carries its name");
    assert.equal(events[0].data.message.model, HAIKU);
    assert.deepEqual(events.at(-1)!.data, { type: "message_stop" }, "Bedrock's invocation metrics stay out");
    assert.equal(events[4].data.delta.type, "signature_delta");
    assert.equal(last().operation, "invoke-with-response-stream");
    assert.equal(last().modelId, HAIKU);
    const body = last().body;
    assert.equal(body.anthropic_version, "bedrock-2023-05-31");
    assert.ok(!("model" in body) && !("stream" in body), "the model is in the URL, streaming is the operation");
    const log = await h.logFor(String(reply.headers["x-request-id"]));
    assert.equal(log.model, HAIKU);
    assert.equal(log.stopReason, "end_turn");
    assert.deepEqual(
      [log.usage.inputTokens, log.usage.outputTokens, log.usage.cacheReadInputTokens, log.usage.cacheWriteInputTokens],
      [30, 7, 20, 2],
    );
  });

  it("answers stream:false through InvokeModel with the whole message", async () => {
    h.fake.setScenario({ steps: [{ text: "whole" }], usage: { inputTokens: 5, outputTokens: 1 } });
    const message = await client.messages.create({ model: HAIKU, max_tokens: 50, messages: hi });
    assert.equal(last().operation, "invoke");
    assert.equal(message.model, HAIKU);
    assert.deepEqual(message.content, [{ type: "text", text: "whole" }]);
    assert.equal(message.usage.input_tokens, 5);
  });

  it("takes Claude Code's first request on a budget-only model: thinking becomes a budget, betas it cannot take are dropped and logged", async () => {
    h.fake.setScenario({ steps: [{ text: "Hello!" }] });
    const reply = await request(h.url, {
      method: "POST",
      path: "/v1/v1/messages?beta=true",
      headers: { "anthropic-beta": CLAUDE_CODE_BETAS, "anthropic-version": "2023-06-01" },
      body: claudeCodeBody("claude-opus-4-8"),
    });
    assert.equal(reply.status, 200, reply.text);
    // claude-opus-4-8 is served here: it answers.
    assert.equal(last().modelId, OPUS);
    const haikuReply = await request(h.url, {
      method: "POST",
      path: "/v1/v1/messages?beta=true",
      headers: { "anthropic-beta": CLAUDE_CODE_BETAS },
      body: claudeCodeBody("claude-haiku-4-5-20251001"),
    });
    assert.equal(haikuReply.status, 200, haikuReply.text);
    const body = last().body;
    assert.equal(last().modelId, HAIKU);
    assert.deepEqual(body.thinking, { type: "enabled", budget_tokens: 16_384 }, "high effort's budget");
    assert.equal(body.output_config, undefined, "Haiku 4.5 takes no effort");
    assert.deepEqual(body.context_management, { edits: [{ type: "clear_thinking_20251015", keep: "all" }] });
    assert.deepEqual(body.anthropic_beta, ["interleaved-thinking-2025-05-14", "context-management-2025-06-27"]);
    assert.equal(body.metadata, undefined);
    assert.deepEqual(body.messages, [{
      role: "user",
      content: [
        { type: "text", text: "context" },
        { type: "text", text: "say hello", cache_control: { type: "ephemeral" } },
        { type: "text", text: "<system>\nRemember the rules.\n</system>" },
      ],
    }]);
    const log = await h.logFor(String(haikuReply.headers["x-request-id"]));
    assert.deepEqual(log.betasDropped, [
      "claude-code-20250219", "context-1m-2025-08-07", "thinking-token-count-2026-05-13", "prompt-caching-scope-2026-01-05",
      "mid-conversation-system-2026-04-07", "effort-2025-11-24",
    ]);
  });

  it("adapts thinking per model: enabled becomes adaptive on adaptive-only models, whose sampling is their own", async () => {
    h.fake.setScenario({ steps: [{ text: "ok" }] });
    await client.messages.create({
      model: OPUS, max_tokens: 4000, temperature: 0.2, top_p: 0.9, thinking: { type: "enabled", budget_tokens: 2000 }, messages: hi,
    } as never);
    assert.deepEqual(last().body.thinking, { type: "adaptive" });
    assert.ok(!("temperature" in last().body) && !("top_p" in last().body));
    await client.messages.create({ model: OPUS, max_tokens: 4000, thinking: { type: "disabled" }, messages: hi });
    assert.equal(last().body.thinking, undefined, "no thinking is leaving it out");
    // Adaptive models take every form, and the effort at the nearest level they have.
    await client.messages.create({
      model: SONNET_46, max_tokens: 4000, thinking: { type: "adaptive" }, output_config: { effort: "xhigh" }, messages: hi,
    } as never);
    assert.deepEqual([last().body.thinking, last().body.output_config], [{ type: "adaptive" }, { effort: "high" }]);
    // Budget models: temperature with top_p keeps the temperature (4.5 refuses both).
    await client.messages.create({ model: HAIKU, max_tokens: 100, temperature: 0.5, top_p: 0.9, messages: hi } as never);
    assert.deepEqual([last().body.temperature, last().body.top_p], [0.5, undefined]);
  });

  it("takes current Claude Code's first request whole: beta-only fields are accepted, and left out of Bedrock's body where their beta is not forwarded", async () => {
    h.fake.setScenario({ steps: [{ text: "Hello!" }] });
    const plain = claudeCodeBody("claude-opus-5-5");
    const body = {
      ...plain,
      thinking: { type: "adaptive", display: "updates" },
      tools: [...(plain.tools as object[]), { name: "DeferredToolPlaceholder", input_schema: { type: "object" }, defer_loading: true }],
      messages: [
        { role: "user", content: "list files" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "ToolSearch", input: { query: "cron" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "tool_reference", tool_name: "CronCreate" }] }] },
        { role: "system", content: "Remember the rules.", output_config: { effort: "medium" } },
      ],
    };
    const betas = `${CLAUDE_CODE_BETAS},per-turn-control-2026-07-01,advanced-tool-use-2025-11-20,thinking-display-updates-2026-08-18`;
    const reply = await request(h.url, { method: "POST", path: "/v1/v1/messages?beta=true", headers: { "anthropic-beta": betas }, body });
    assert.equal(reply.status, 200, reply.text);
    const sent = last().body;
    assert.deepEqual(sent.thinking, { type: "adaptive" }, "a display Bedrock does not know is left to Claude's default");
    assert.deepEqual(sent.tools.map((tool: object) => "defer_loading" in tool), [false, false], "every tool is loaded from the start");
    assert.deepEqual(sent.messages.at(-1).content, [
      { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "Tool CronCreate is available." }] },
      { type: "text", text: "<system>\nRemember the rules.\n</system>" },
    ]);
    assert.ok(sent.messages.every((turn: object) => !("output_config" in turn)), "per-turn output_config stays out");
    assert.deepEqual(sent.output_config, { effort: "high" }, "the request's own effort still applies");
    // count_tokens takes the same fields, and counts the same Bedrock body.
    const { max_tokens: _max, stream: _stream, metadata: _metadata, ...countable } = body as Record<string, unknown>;
    const counted = await request(h.url, { method: "POST", path: "/v1/v1/messages/count_tokens?beta=true", headers: { "anthropic-beta": betas }, body: countable });
    assert.equal(counted.status, 200, counted.text);
    const countedBody = JSON.parse(Buffer.from(last().body.input.invokeModel.body, "base64").toString("utf8"));
    assert.deepEqual(countedBody.tools.map((tool: object) => "defer_loading" in tool), [false, false]);
  });

  it("answers GET and HEAD on the stage root, /v1 and their /api/hello with 200 (Claude Code probes its base URL)", async () => {
    for (const path of ["/", "/v1", "/v1/v1", "/api/hello", "/v1/api/hello", "/v1/v1/api/hello"]) {
      for (const method of ["GET", "HEAD"]) assert.equal((await request(h.url, { method, path })).status, 200, `${method} ${path}`);
    }
  });

  it("an unknown beta from the SDK never fails a request", async () => {
    h.fake.setScenario({ steps: [{ text: "fine" }] });
    const message = await client.beta.messages.create({
      model: HAIKU, max_tokens: 20, messages: hi, betas: ["some-beta-from-2030-01-01", "fine-grained-tool-streaming-2025-05-14"],
    });
    assert.deepEqual(message.content, [{ type: "text", text: "fine" }]);
    assert.deepEqual(last().body.anthropic_beta, ["fine-grained-tool-streaming-2025-05-14"]);
  });
});
