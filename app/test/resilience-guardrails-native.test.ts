import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createChaos, GUARDRAIL_BLOCKED_MESSAGE } from "../local/chaos";
import { type Harness, startHarness, waitUntil } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { metricLines } from "./helpers/resilience";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";

const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
const DEPLOYMENT_GUARDRAIL = { identifier: "gr1deployment", version: "3", streamProcessingMode: "async" };
const KEYS = {
  "key-id-alice": { name: "alice" },
  "key-id-carol": { name: "carol", guardrail: { identifier: "gr2carol", version: "DRAFT" } },
};
const ALICE = { [GATEWAY_API_KEY_ID_HEADER]: "key-id-alice" };
const STEPS = [{ text: "One" }, { text: " two" }, { text: " three" }];

/**
 * Guardrails on Claude's native path (InvokeModel / InvokeModelWithResponseStream): the call names the guardrail in
 * its guardrail parameters, and Bedrock's `amazon-bedrock-guardrailAction: INTERVENED` ends the reply with
 * Anthropic's `refusal`, counted per key. Bedrock's own fields never reach the client.
 */
describe("guardrails on Claude's native path", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1", ALLOWED_MODEL_IDS: HAIKU, GUARDRAIL: JSON.stringify(DEPLOYMENT_GUARDRAIL), API_KEYS: JSON.stringify(KEYS) });
  });
  after(() => h.close());
  beforeEach(() => h.fake.setScenario(createChaos({ guardrailIntervention: { afterSteps: 2 } }).source({ steps: STEPS })));
  const client = (keyId: string) =>
    new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "local", maxRetries: 0, defaultHeaders: { [GATEWAY_API_KEY_ID_HEADER]: keyId } });
  const ask = { model: HAIKU, max_tokens: 100, messages: [{ role: "user" as const, content: "hi" }] };
  const last = () => h.fake.requests.at(-1)!;
  const interventions = () => metricLines(h, "GuardrailInterventions").map((m) => [m.ApiKey, m.GuardrailInterventions]);

  it("streamed: the SDK sees stop_reason refusal after the text so far; the call carries the guardrail and its async mode", async () => {
    const stream = client("key-id-alice").messages.stream(ask);
    const message = await stream.finalMessage();
    assert.equal(message.stop_reason, "refusal");
    assert.equal(message.content.map((block) => (block.type === "text" ? block.text : "")).join(""), `One two${GUARDRAIL_BLOCKED_MESSAGE}`);
    assert.equal(last().operation, "invoke-with-response-stream");
    assert.equal(last().headers["x-amzn-bedrock-guardrailidentifier"], "gr1deployment");
    assert.equal(last().headers["x-amzn-bedrock-guardrailversion"], "3");
    assert.deepEqual(last().body["amazon-bedrock-guardrailConfig"], { streamProcessingMode: "ASYNCHRONOUS" });
    await waitUntil(() => (interventions().length === 1 ? true : undefined), 5000, "the intervention metric");
    assert.deepEqual(interventions(), [["alice", 1]]);
  });

  it("streamed: Bedrock's guardrail field is not relayed, and the message_delta says refusal", async () => {
    const reply = await request(h.url, { method: "POST", path: "/v1/messages", headers: ALICE, body: { ...ask, stream: true } });
    assert.doesNotMatch(reply.text, /amazon-bedrock-/);
    assert.match(reply.text, /event: message_delta\ndata: \{[^\n]*"stop_reason":"refusal"/);
  });

  it("not streamed: the message stops with refusal; a key's own guardrail replaces the deployment's, no stream mode", async () => {
    const message = await client("key-id-carol").messages.create(ask);
    assert.equal(message.stop_reason, "refusal");
    assert.equal((message as unknown as Record<string, unknown>)["amazon-bedrock-guardrailAction"], undefined);
    assert.equal(last().operation, "invoke");
    assert.equal(last().headers["x-amzn-bedrock-guardrailidentifier"], "gr2carol");
    assert.equal(last().headers["x-amzn-bedrock-guardrailversion"], "DRAFT");
    assert.equal(last().body["amazon-bedrock-guardrailConfig"], undefined);
    await waitUntil(() => (interventions().some(([key]) => key === "carol") ? true : undefined), 5000, "carol's intervention metric");
  });

  it("a guardrail that lets the reply through: end_turn, Bedrock's NONE not relayed, nothing counted", async () => {
    h.fake.setScenario({ steps: STEPS });
    const before = interventions().length;
    const raw = await request(h.url, { method: "POST", path: "/v1/messages", headers: ALICE, body: { ...ask, stream: true } });
    assert.match(raw.text, /"stop_reason":"end_turn"/);
    assert.doesNotMatch(raw.text, /amazon-bedrock-/);
    const streamed = await client("key-id-alice").messages.stream(ask).finalMessage();
    const whole = await client("key-id-alice").messages.create(ask);
    assert.deepEqual([streamed.stop_reason, whole.stop_reason], ["end_turn", "end_turn"]);
    assert.equal((whole as unknown as Record<string, unknown>)["amazon-bedrock-guardrailAction"], undefined);
    assert.equal(interventions().length, before);
  });
});
