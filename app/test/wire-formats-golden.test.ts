import assert from "node:assert/strict";
import type { Scenario } from "../local/fake-bedrock";
import { type Harness, startHarness } from "./helpers/harness";
import { CHAT_COMPLETIONS_PATH, MESSAGES_PATH } from "../src/runtime-contract";
import { request } from "./helpers/http-client";

/**
 * One scripted Bedrock stream (thinking with a signature, text whose emoji is split across two deltas, a tool call
 * in two input pieces, cache usage) rendered by every wire format (NDJSON, OpenAI SSE, Anthropic SSE), compared with golden output byte for byte.
 * Only what is random per reply is normalised: the message id and Bedrock's latency.
 */
const SCRIPT: Scenario = {
  steps: [
    { reasoning: "Weather needs" },
    { reasoning: " a tool." },
    { signature: "c2lnbmF0dXJl" },
    { text: "Checking \ud83d" },
    { text: "\ude42 now." },
    { toolUse: { id: "tooluse_golden", name: "get_weather" } },
    { toolInput: '{"city":' },
    { toolInput: '"Paris"}' },
  ],
  stopReason: "tool_use",
  usage: { inputTokens: 30, outputTokens: 8, cacheReadInputTokens: 100, cacheWriteInputTokens: 20 },
};

const NDJSON_GOLDEN = `{"data":"Checking "}
{"data":"🙂 now."}
{"done":true,"stopReason":"tool_use","usage":{"inputTokens":30,"outputTokens":8,"totalTokens":38},"latencyMs":<latency>}
`;

const OPENAI_GOLDEN = `data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{"reasoning_content":"Weather needs"},"finish_reason":null}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{"reasoning_content":" a tool."},"finish_reason":null}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{"content":"Checking "},"finish_reason":null}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{"content":"🙂 now."},"finish_reason":null}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"tooluse_golden","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"Paris\\"}"}}]},"finish_reason":null}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

data: {"id":"chatcmpl-<id>","object":"chat.completion.chunk","created":<created>,"model":"<model>","choices":[],"usage":{"prompt_tokens":150,"completion_tokens":8,"total_tokens":158,"prompt_tokens_details":{"cached_tokens":100}}}

data: [DONE]

`;

const ANTHROPIC_GOLDEN = `event: message_start
data: {"type":"message_start","message":{"id":"msg_<id>","type":"message","role":"assistant","model":"<model>","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":4,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}

event: ping
data: {"type":"ping"}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Weather needs"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":" a tool."}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"c2lnbmF0dXJl"}}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: content_block_start
data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking "}}

event: content_block_delta
data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"🙂 now."}}

event: content_block_stop
data: {"type":"content_block_stop","index":1}

event: content_block_start
data: {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"tooluse_golden","name":"get_weather","input":{}}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\":"}}

event: content_block_delta
data: {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"\\"Paris\\"}"}}

event: content_block_stop
data: {"type":"content_block_stop","index":2}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":30,"output_tokens":8,"cache_creation_input_tokens":20,"cache_read_input_tokens":100}}

event: message_stop
data: {"type":"message_stop"}

`;

describe("golden output: one Bedrock stream in every wire format", () => {
  let h: Harness;
  before(async () => {
    // A model other than Claude, so every format, the Anthropic one included, translates the same Converse stream
    // (Claude on the Anthropic route relays Claude's own events: anthropic-native.test.ts).
    h = await startHarness({ MODEL_ID: "amazon.nova-pro-v1:0" });
    h.fake.setScenario(SCRIPT);
  });
  after(() => h.close());

  /** The prompt every format sends (the up-front input estimate counts its text and the role: 14 characters, 4 tokens). */
  const PROMPT = "Weather ? ";

  it("NDJSON (POST /stream)", async () => {
    const reply = await request(h.url, { method: "POST", path: "/stream", body: { message: PROMPT } });
    assert.equal(reply.status, 200);
    assert.equal(reply.text.replace(/"latencyMs":\d+/, '"latencyMs":<latency>'), NDJSON_GOLDEN);
  });

  it("OpenAI Chat Completions SSE (POST /chat/completions, with the usage chunk)", async () => {
    const body = { stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: PROMPT }] };
    const reply = await request(h.url, { method: "POST", path: CHAT_COMPLETIONS_PATH, body });
    assert.equal(reply.status, 200);
    const normalised = reply.text
      .replace(/"chatcmpl-[0-9a-f]{32}"/g, '"chatcmpl-<id>"')
      .replace(/"created":\d+/g, '"created":<created>')
      .replaceAll(`"model":"${h.config.modelId}"`, '"model":"<model>"');
    assert.equal(normalised, OPENAI_GOLDEN);
  });

  it("Anthropic Messages SSE (POST /v1/messages)", async () => {
    const body = { max_tokens: 100, stream: true, messages: [{ role: "user", content: PROMPT }] };
    const reply = await request(h.url, { method: "POST", path: MESSAGES_PATH, body });
    assert.equal(reply.status, 200);
    const normalised = reply.text.replace(/"msg_[0-9a-f]{32}"/, '"msg_<id>"').replace(`"model":"${h.config.modelId}"`, '"model":"<model>"');
    assert.equal(normalised, ANTHROPIC_GOLDEN);
  });
});
