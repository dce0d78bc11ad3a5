import assert from "node:assert/strict";
import {
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import type { Scenario } from "../local/fake-bedrock";
import { useStandIn } from "./helpers/stand-in";

const MODEL_ID = "global.anthropic.claude-haiku-4-5-20251001-v1:0";

/** A native Messages body as Claude Code's Bedrock mode sends it. */
function nativeBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    anthropic_version: "bedrock-2023-05-31",
    anthropic_beta: ["interleaved-thinking-2025-05-14", "some-future-beta-2099-01-01"],
    max_tokens: 1000,
    system: [{ type: "text", text: "Be brief." }],
    messages: [{ role: "user", content: "Hello there" }],
    ...extra,
  };
}

const encode = (body: unknown) => new TextEncoder().encode(JSON.stringify(body));

/**
 * Claude's native path on the stand-in, as the real SDK decodes it: InvokeModelWithResponseStream's `chunk`
 * events carry Anthropic's own stream events, InvokeModel answers with the whole message, CountTokens counts the
 * native body. The same scenario scripts ConverseStream and the native events.
 */
describe("local Bedrock stand-in: Claude's native InvokeModel(WithResponseStream) with the real SDK", () => {
  const stand = useStandIn();
  beforeEach(() => stand.fake.setScenario({}));

  /** Streams one native call; returns the decoded Anthropic events (and the error the loop threw, if any). */
  async function stream(body = nativeBody(), abortSignal?: AbortSignal): Promise<{ events: any[]; error?: any }> {
    const out = await stand.client.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL_ID, body: encode(body) }), { abortSignal });
    const events: any[] = [];
    try {
      for await (const part of out.body!) {
        assert.ok(part.chunk?.bytes instanceof Uint8Array, `expected a chunk, got ${Object.keys(part)}`);
        events.push(JSON.parse(new TextDecoder().decode(part.chunk.bytes)));
      }
    } catch (error) {
      return { events, error };
    }
    return { events };
  }

  const SCRIPT: Scenario = {
    steps: [
      { reasoning: "Let me think" },
      { reasoning: " more." },
      { signature: "sig-123" },
      { redacted: Buffer.from("secret").toString("base64") },
      { text: "Calling " },
      { text: "a tool." },
      { toolUse: { id: "toolu_1", name: "get_weather" } },
      { toolInput: '{"city":' },
      { toolInput: '"Paris"}' },
    ],
    stopReason: "tool_use",
    usage: { inputTokens: 50, outputTokens: 9, cacheReadInputTokens: 40, cacheWriteInputTokens: 3 },
  };

  it("streams a scripted reply as Anthropic's events, numbered into blocks, with invocation metrics last", async () => {
    stand.fake.setScenario(SCRIPT);
    const { events, error } = await stream();
    assert.equal(error, undefined);
    assert.deepEqual(
      events.map((e) => `${e.type}${e.index === undefined ? "" : `@${e.index}`}`),
      [
        "message_start",
        "content_block_start@0", "content_block_delta@0", "content_block_delta@0", "content_block_delta@0", "content_block_stop@0",
        "content_block_start@1", "content_block_stop@1",
        "content_block_start@2", "content_block_delta@2", "content_block_delta@2", "content_block_stop@2",
        "content_block_start@3", "content_block_delta@3", "content_block_delta@3", "content_block_stop@3",
        "message_delta",
        "message_stop",
      ],
    );
    const start = events[0].message;
    assert.equal(start.model, "claude-haiku-4-5-20251001");
    assert.match(start.id, /^msg_bdrk_/);
    assert.deepEqual(start.usage, { input_tokens: 50, cache_creation_input_tokens: 3, cache_read_input_tokens: 40, output_tokens: 1 });
    assert.deepEqual(events[1].content_block, { type: "thinking", thinking: "", signature: "" });
    assert.deepEqual(events[3].delta, { type: "thinking_delta", thinking: " more." });
    assert.deepEqual(events[4].delta, { type: "signature_delta", signature: "sig-123" });
    assert.deepEqual(events[6].content_block, { type: "redacted_thinking", data: Buffer.from("secret").toString("base64") });
    assert.deepEqual(events[8].content_block, { type: "text", text: "" });
    assert.deepEqual(events[10].delta, { type: "text_delta", text: "a tool." });
    assert.deepEqual(events[12].content_block, { type: "tool_use", id: "toolu_1", name: "get_weather", input: {} });
    assert.deepEqual(events[14].delta, { type: "input_json_delta", partial_json: '"Paris"}' });
    assert.deepEqual(events[16], { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 9 } });
    const metrics = events[17]["amazon-bedrock-invocationMetrics"];
    assert.deepEqual(
      { ...metrics, invocationLatency: typeof metrics.invocationLatency, firstByteLatency: typeof metrics.firstByteLatency },
      { inputTokenCount: 50, outputTokenCount: 9, invocationLatency: "number", firstByteLatency: "number", cacheReadInputTokenCount: 40, cacheWriteInputTokenCount: 3 },
    );
    const [request] = stand.fake.requests.slice(-1);
    assert.equal(request.operation, "invoke-with-response-stream");
    assert.deepEqual(request.body.anthropic_beta, ["interleaved-thinking-2025-05-14", "some-future-beta-2099-01-01"]);
    assert.equal((await stand.fake.waitForClose(request)).outcome, "completed");
  });

  it("the same scenario scripts ConverseStream: the same content in Converse's events", async () => {
    stand.fake.setScenario(SCRIPT);
    const out = await stand.client.send(new ConverseStreamCommand({ modelId: MODEL_ID, messages: [{ role: "user", content: [{ text: "hi" }] }] }));
    const deltas: any[] = [];
    for await (const event of out.stream!) if (event.contentBlockDelta) deltas.push(event.contentBlockDelta.delta);
    assert.deepEqual(
      deltas.map((d) => d.text ?? d.toolUse?.input ?? d.reasoningContent?.text ?? d.reasoningContent?.signature ?? "redacted"),
      ["Let me think", " more.", "sig-123", "redacted", "Calling ", "a tool.", '{"city":', '"Paris"}'],
    );
  });

  it("InvokeModel answers with the whole message the events add up to", async () => {
    stand.fake.setScenario(SCRIPT);
    const out = await stand.client.send(new InvokeModelCommand({ modelId: MODEL_ID, body: encode(nativeBody()), contentType: "application/json" }));
    const message = JSON.parse(new TextDecoder().decode(out.body));
    assert.equal(out.contentType, "application/json");
    assert.deepEqual(message.content, [
      { type: "thinking", thinking: "Let me think more.", signature: "sig-123" },
      { type: "redacted_thinking", data: Buffer.from("secret").toString("base64") },
      { type: "text", text: "Calling a tool." },
      { type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Paris" } },
    ]);
    assert.equal(message.stop_reason, "tool_use");
    assert.equal(message.usage.output_tokens, 9);
    assert.equal(message.role, "assistant");
    assert.equal(stand.fake.requests.at(-1)?.operation, "invoke");
  });

  it("answers InvokeModel's token and latency headers", async () => {
    stand.fake.setScenario({ steps: [{ text: "a" }, { text: "b" }], usage: { inputTokens: 7, outputTokens: 2 } });
    const response = await fetch(`${stand.fake.url}/model/${encodeURIComponent(MODEL_ID)}/invoke`, { method: "POST", body: JSON.stringify(nativeBody()) });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-amzn-bedrock-input-token-count"), "7");
    assert.equal(response.headers.get("x-amzn-bedrock-output-token-count"), "2");
    assert.match(response.headers.get("x-amzn-bedrock-invocation-latency") ?? "", /^\d+$/);
    assert.equal(((await response.json()) as any).content[0].text, "ab");
  });

  it("a default reply without a script: text deltas, end_turn, usage from the prompt", async () => {
    const { events } = await stream();
    const text = events.filter((e) => e.delta?.type === "text_delta").map((e) => e.delta.text).join("");
    assert.ok(text.length > 40, text);
    assert.equal(events.at(-2).delta.stop_reason, "end_turn");
    assert.equal(events[0].message.usage.input_tokens, Math.ceil(("Be brief.".length + "Hello there".length) / 4));
  });

  it("an in-stream exception is thrown from the loop after the events before it; InvokeModel gets it as its error", async () => {
    stand.fake.setScenario({ steps: [{ text: "partial" }, { exception: "throttlingException", message: "slow down" }] });
    const { events, error } = await stream();
    assert.deepEqual(events.map((e) => e.type), ["message_start", "content_block_start", "content_block_delta"]);
    assert.equal(error?.name, "ThrottlingException");
    assert.equal(error?.message, "slow down");
    await assert.rejects(stand.client.send(new InvokeModelCommand({ modelId: MODEL_ID, body: encode(nativeBody()) })), (e: any) => {
      assert.equal(e.name, "ThrottlingException");
      assert.equal(e.$metadata.httpStatusCode, 429);
      return true;
    });
  });

  it("pre-stream errors, hangs and resets apply to the native path too", async () => {
    stand.fake.setScenario({ error: { type: "AccessDeniedException", message: "no access" } });
    await assert.rejects(stream(), { name: "AccessDeniedException", message: "no access" });

    stand.fake.setScenario({ steps: [{ text: "a" }, { hang: true }] });
    const abort = new AbortController();
    const seen = stand.fake.requests.length;
    const pending = stream(nativeBody(), abort.signal).catch((error: Error) => ({ events: [], error }));
    const request = (await stand.fake.waitForRequests(seen + 1)).at(-1)!;
    assert.equal(stand.fake.openStreams(), 1);
    abort.abort();
    await pending;
    assert.equal((await stand.fake.waitForClose(request)).outcome, "client-aborted");

    stand.fake.setScenario({ steps: [{ text: "a" }, { reset: true, scope: "stream", delayMs: 10 }] });
    const reset = await stream();
    assert.ok(reset.error, "a reset stream is not a finished message");
    assert.equal(reset.events.some((e) => e.type === "message_stop"), false);
  });

  it("afterStop silence: message_delta, then nothing (no message_stop) with the stream held open", async () => {
    stand.fake.setScenario({ steps: [{ text: "done" }], afterStop: "silence" });
    const out = await stand.client.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL_ID, body: encode(nativeBody()) }));
    const iterator = out.body![Symbol.asyncIterator]();
    const types: string[] = [];
    while (types.at(-1) !== "message_delta") {
      const next = await iterator.next();
      types.push(JSON.parse(new TextDecoder().decode(next.value.chunk!.bytes)).type);
    }
    assert.deepEqual(types, ["message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta"]);
    assert.equal(stand.fake.openStreams(), 1);
    await iterator.return?.();
  });

  it("CountTokens counts a native body given as input.invokeModel.body", async () => {
    const body = encode(nativeBody({ messages: [{ role: "user", content: [{ type: "text", text: "count these words please" }] }] }));
    const counted = await stand.client.send(new CountTokensCommand({ modelId: MODEL_ID, input: { invokeModel: { body } } }));
    assert.equal(counted.inputTokens, Math.ceil(("Be brief.".length + "count these words please".length) / 4));
    stand.fake.setScenario({ countTokens: 99 });
    assert.equal((await stand.client.send(new CountTokensCommand({ modelId: MODEL_ID, input: { invokeModel: { body } } }))).inputTokens, 99);
  });

  it("refuses a body that is not a native Messages body, as Bedrock does (ValidationException)", async () => {
    await assert.rejects(
      stand.client.send(new InvokeModelWithResponseStreamCommand({ modelId: MODEL_ID, body: encode({ messages: [] }) })),
      (e: any) => e.name === "ValidationException" && /anthropic_version/.test(e.message),
    );
  });
});
