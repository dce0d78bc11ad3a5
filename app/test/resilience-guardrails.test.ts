import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText } from "ai";
import OpenAI from "openai";
import { createChaos, GUARDRAIL_BLOCKED_MESSAGE } from "../local/chaos";
import { type Harness, startHarness } from "./helpers/harness";
import { parseLines, postStream } from "./helpers/http-client";
import { metricLines } from "./helpers/resilience";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";

const NOVA = "us.amazon.nova-lite-v1:0";
const DEPLOYMENT_GUARDRAIL = { identifier: "gr1deployment", version: "3", streamProcessingMode: "async" };
const KEYS = {
  "key-id-alice": { name: "alice" },
  "key-id-carol": { name: "carol", guardrail: { identifier: "gr2carol", version: "DRAFT" } },
};

/**
 * Guardrails: every chat call carries the configured guardrail (a key's own instead when it names one), and an
 * intervention mid-stream ends each format's reply with its content-filter stop reason, counted per key.
 */
describe("guardrails", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", ALLOWED_MODEL_IDS: NOVA, GUARDRAIL: JSON.stringify(DEPLOYMENT_GUARDRAIL), API_KEYS: JSON.stringify(KEYS) });
    h.fake.setScenario(createChaos({ guardrailIntervention: { afterSteps: 2 } }).source({ steps: [{ text: "One" }, { text: " two" }, { text: " three" }] }));
  });
  after(() => h.close());
  const as = (keyId: string) => ({ [GATEWAY_API_KEY_ID_HEADER]: keyId });
  const lastConfig = () => h.fake.requests.at(-1)!.body.guardrailConfig;

  it("OpenAI: the stream ends with finish_reason content_filter after the text before the intervention", async () => {
    const openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0, defaultHeaders: as("key-id-alice") });
    let text = "";
    let finish: string | null = null;
    const stream = await openai.chat.completions.create({ model: "", messages: [{ role: "user", content: "hi" }], stream: true });
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(finish, "content_filter");
    assert.equal(text, `One two${GUARDRAIL_BLOCKED_MESSAGE}`);
    assert.deepEqual(lastConfig(), { guardrailIdentifier: "gr1deployment", guardrailVersion: "3", streamProcessingMode: "async" });
  });

  // A model the Anthropic format reaches through Converse (Claude models go the native path, anthropic/native.ts).
  it("Anthropic: the message stops with stop_reason refusal; a key's own guardrail replaces the deployment's", async () => {
    const anthropic = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "local", maxRetries: 0, defaultHeaders: as("key-id-carol") });
    const message = await anthropic.messages.stream({ model: NOVA, max_tokens: 100, messages: [{ role: "user", content: "hi" }] }).finalMessage();
    assert.equal(message.stop_reason, "refusal");
    assert.deepEqual(lastConfig(), { guardrailIdentifier: "gr2carol", guardrailVersion: "DRAFT", streamProcessingMode: "sync" });
  });

  it("NDJSON: the done line says guardrail_intervened; interventions are counted per key", async () => {
    const reply = await postStream(h.url, { message: "hi" }, { headers: as("key-id-alice") });
    assert.equal(parseLines(reply.text).at(-1).stopReason, "guardrail_intervened");
    const counted = metricLines(h, "GuardrailInterventions").map((m) => [m.ApiKey, m.GuardrailInterventions]);
    assert.deepEqual(counted, [["alice", 1], ["carol", 1], ["alice", 1]]);
  });

  const openai = () => new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "sk-local", maxRetries: 0, defaultHeaders: as("key-id-alice") });
  const blocked = `One two${GUARDRAIL_BLOCKED_MESSAGE}`;

  it("OpenAI, not streamed: the choice's finish_reason is content_filter", async () => {
    const completion = await openai().chat.completions.create({ model: "", messages: [{ role: "user", content: "hi" }] });
    assert.equal(completion.choices[0].finish_reason, "content_filter");
    assert.equal(completion.choices[0].message.content, blocked);
  });

  it("Anthropic, not streamed (a model on Converse): stop_reason refusal", async () => {
    const anthropic = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "local", maxRetries: 0, defaultHeaders: as("key-id-alice") });
    const message = await anthropic.messages.create({ model: NOVA, max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    assert.equal(message.stop_reason, "refusal");
  });

  // openai-node documents `incomplete_details.reason: 'max_output_tokens' | 'content_filter'` on an incomplete response.
  it("Responses, streamed and not: status incomplete with incomplete_details.reason content_filter", async () => {
    const streamed = await openai().responses.stream({ model: NOVA, input: "hi" }).finalResponse();
    const whole = await openai().responses.create({ model: NOVA, input: "hi" });
    for (const response of [streamed, whole]) {
      assert.equal(response.status, "incomplete");
      assert.deepEqual(response.incomplete_details, { reason: "content_filter" });
      assert.equal(response.output_text, blocked);
    }
  });

  it("Vercel AI SDK: finishReason content-filter, streamed and not", async () => {
    const gateway = createOpenAICompatible({ name: "gateway", baseURL: `${h.url}/v1`, apiKey: "sk-local", headers: as("key-id-alice") });
    const streamed = streamText({ model: gateway(NOVA), prompt: "hi", maxRetries: 0 });
    assert.equal(await streamed.text, blocked);
    assert.equal(await streamed.finishReason, "content-filter");
    const whole = await generateText({ model: gateway(NOVA), prompt: "hi", maxRetries: 0 });
    assert.equal(whole.finishReason, "content-filter");
  });
});

describe("without a guardrail", () => {
  it("calls carry no guardrailConfig and the stand-in does not intervene", async () => {
    const h = await startHarness();
    try {
      h.fake.setScenario(createChaos({ guardrailIntervention: { afterSteps: 1 } }).source({ steps: [{ text: "a" }, { text: "b" }] }));
      const reply = await postStream(h.url, { message: "hi" });
      assert.equal(parseLines(reply.text).at(-1).stopReason, "end_turn");
      assert.equal(h.fake.requests[0].body.guardrailConfig, undefined);
      assert.deepEqual(metricLines(h, "GuardrailInterventions"), []);
    } finally {
      await h.close();
    }
  });
});
