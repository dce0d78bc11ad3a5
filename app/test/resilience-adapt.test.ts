import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import { createChaos } from "../local/chaos";
import OpenAI from "openai";
import { type Harness, startHarness } from "./helpers/harness";

const OPUS = "global.anthropic.claude-opus-4-7"; // adaptive thinking only, fixed sampling
const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"; // thinking with a budget only
const LLAMA = "us.meta.llama3-2-1b-instruct-v1:0"; // no thinking, no tools
let prompts = 0;
const prompt = () => `adapt question ${++prompts}`;

/**
 * A request moved down a fallback chain is adapted through the model catalog: the Anthropic SDK's request reaches
 * each model in a form that model accepts, and a model that lacks what the request needs is skipped.
 */
describe("fallback requests adapted through the model catalog", () => {
  let h: Harness;
  let anthropic: Anthropic;
  before(async () => {
    h = await startHarness({
      STAGE_PREFIX: "v1", MODEL_ID: HAIKU, ALLOWED_MODEL_IDS: `${OPUS},${LLAMA}`, UPSTREAM_MAX_ATTEMPTS: "1",
      CIRCUIT_THROTTLES: "0", MODEL_FALLBACKS: JSON.stringify({ [HAIKU]: [OPUS, LLAMA] }),
    });
    anthropic = new Anthropic({ baseURL: `${h.url}/v1`, apiKey: "local", maxRetries: 0 });
  });
  after(() => h.close());
  const callTo = (model: string) => h.fake.requests.filter((r) => r.modelId === model).at(-1)!.body;
  const throttle = (...models: string[]) =>
    h.fake.setScenario(createChaos({ throttleEveryAttempt: Object.fromEntries(models.map((m) => [m, 1])) }).source({ steps: [{ text: "ok" }] }));

  it("a thinking budget becomes adaptive thinking on an adaptive-only model, without the sampling it refuses", async () => {
    throttle(HAIKU);
    const message = await anthropic.messages.create({
      model: HAIKU, max_tokens: 3000, temperature: 1, thinking: { type: "enabled", budget_tokens: 2000 },
      messages: [{ role: "user", content: prompt() }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    assert.equal(message.model, OPUS);
    // Claude's native bodies (the Anthropic route's path for Claude), each adapted to its model.
    assert.deepEqual(callTo(HAIKU).thinking, { type: "enabled", budget_tokens: 2000 });
    const opus = callTo(OPUS);
    assert.deepEqual(opus.thinking, { type: "adaptive" });
    assert.equal(opus.temperature, undefined);
    assert.equal(callTo(HAIKU).temperature, 1);
  });

  it("thinking is dropped for a model without it, and max_tokens is clamped to that model's limit", async () => {
    throttle(HAIKU, OPUS);
    // Through Converse (OpenAI's format): Claude's native requests fall back among Claude models only.
    const openai = new OpenAI({ baseURL: `${h.url}/v1`, apiKey: "local", maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: HAIKU, max_completion_tokens: 30_000, reasoning_effort: "medium", messages: [{ role: "user", content: prompt() }],
    });
    assert.equal(completion.model, LLAMA);
    assert.ok(callTo(HAIKU).additionalModelRequestFields.thinking, "the first model was asked to think");
    const llama = callTo(LLAMA);
    assert.equal(llama.additionalModelRequestFields, undefined);
    assert.equal(llama.inferenceConfig.maxTokens, 2048);
  });

  it("skips a fallback that lacks tools: the caller gets the chain's failure rather than an answer without its tools", async () => {
    throttle(HAIKU, OPUS);
    const before = h.fake.requests.length;
    await assert.rejects(
      anthropic.messages.create({
        model: HAIKU, max_tokens: 100, messages: [{ role: "user", content: prompt() }],
        tools: [{ name: "lookup", description: "Looks up", input_schema: { type: "object", properties: {} } }],
      }),
      (err: unknown) => err instanceof Anthropic.RateLimitError,
    );
    assert.deepEqual(h.fake.requests.slice(before).map((r) => r.modelId), [HAIKU, OPUS]);
  });
});
