import assert from "node:assert/strict";
import type { Scenario } from "../local/fake-bedrock";
import { type Harness, startHarness } from "./helpers/harness";
import { CHAT_COMPLETIONS_PATH, MESSAGES_PATH, RESPONSES_PATH } from "../src/runtime-contract";
import { request } from "./helpers/http-client";

/**
 * One scripted Bedrock stream (thinking with a signature, text whose emoji is split across two deltas, a tool call
 * in two input pieces, cache usage) rendered by every wire format (NDJSON, OpenAI Chat Completions SSE, OpenAI Responses SSE, Anthropic SSE), compared with golden output byte for byte.
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
{"done":true,"stopReason":"tool_use","usage":{"inputTokens":30,"outputTokens":8,"totalTokens":38},"latencyMs":<latency>,"model":"<model>"}
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

/** With the reasoning summary and its encrypted content asked for, as Codex does. */
const RESPONSES_GOLDEN = `event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_<id>","object":"response","created_at":<created>,"status":"in_progress","background":false,"error":null,"incomplete_details":null,"model":"<model>","previous_response_id":null,"store":false,"truncation":"disabled","instructions":null,"max_output_tokens":null,"parallel_tool_calls":true,"reasoning":{"effort":null,"summary":"auto"},"temperature":null,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[{"type":"function","name":"get_weather"}],"top_p":null,"usage":null,"metadata":{},"output":[]}}

event: response.in_progress
data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_<id>","object":"response","created_at":<created>,"status":"in_progress","background":false,"error":null,"incomplete_details":null,"model":"<model>","previous_response_id":null,"store":false,"truncation":"disabled","instructions":null,"max_output_tokens":null,"parallel_tool_calls":true,"reasoning":{"effort":null,"summary":"auto"},"temperature":null,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[{"type":"function","name":"get_weather"}],"top_p":null,"usage":null,"metadata":{},"output":[]}}

event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"type":"reasoning","id":"rs_<id>_0","summary":[]}}

event: response.reasoning_summary_part.added
data: {"type":"response.reasoning_summary_part.added","sequence_number":3,"item_id":"rs_<id>_0","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":""}}

event: response.reasoning_summary_text.delta
data: {"type":"response.reasoning_summary_text.delta","sequence_number":4,"item_id":"rs_<id>_0","output_index":0,"summary_index":0,"delta":"Weather needs"}

event: response.reasoning_summary_text.delta
data: {"type":"response.reasoning_summary_text.delta","sequence_number":5,"item_id":"rs_<id>_0","output_index":0,"summary_index":0,"delta":" a tool."}

event: response.reasoning_summary_text.done
data: {"type":"response.reasoning_summary_text.done","sequence_number":6,"item_id":"rs_<id>_0","output_index":0,"summary_index":0,"text":"Weather needs a tool."}

event: response.reasoning_summary_part.done
data: {"type":"response.reasoning_summary_part.done","sequence_number":7,"item_id":"rs_<id>_0","output_index":0,"summary_index":0,"part":{"type":"summary_text","text":"Weather needs a tool."}}

event: response.output_item.done
data: {"type":"response.output_item.done","sequence_number":8,"output_index":0,"item":{"type":"reasoning","id":"rs_<id>_0","summary":[{"type":"summary_text","text":"Weather needs a tool."}],"encrypted_content":"bedrock-reasoning.v1.eyJ0ZXh0IjoiV2VhdGhlciBuZWVkcyBhIHRvb2wuIiwic2lnbmF0dXJlIjoiYzJsbmJtRjBkWEpsIn0"}}

event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":9,"output_index":1,"item":{"type":"message","id":"msg_<id>_1","status":"in_progress","role":"assistant","content":[]}}

event: response.content_part.added
data: {"type":"response.content_part.added","sequence_number":10,"item_id":"msg_<id>_1","output_index":1,"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":11,"item_id":"msg_<id>_1","output_index":1,"content_index":0,"logprobs":[],"delta":"Checking "}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":12,"item_id":"msg_<id>_1","output_index":1,"content_index":0,"logprobs":[],"delta":"🙂 now."}

event: response.output_text.done
data: {"type":"response.output_text.done","sequence_number":13,"item_id":"msg_<id>_1","output_index":1,"content_index":0,"logprobs":[],"text":"Checking 🙂 now."}

event: response.content_part.done
data: {"type":"response.content_part.done","sequence_number":14,"item_id":"msg_<id>_1","output_index":1,"content_index":0,"part":{"type":"output_text","text":"Checking 🙂 now.","annotations":[],"logprobs":[]}}

event: response.output_item.done
data: {"type":"response.output_item.done","sequence_number":15,"output_index":1,"item":{"type":"message","id":"msg_<id>_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Checking 🙂 now.","annotations":[],"logprobs":[]}]}}

event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":16,"output_index":2,"item":{"type":"function_call","id":"fc_<id>_2","call_id":"tooluse_golden","name":"get_weather","arguments":"","status":"in_progress"}}

event: response.function_call_arguments.delta
data: {"type":"response.function_call_arguments.delta","sequence_number":17,"item_id":"fc_<id>_2","output_index":2,"delta":"{\\"city\\":"}

event: response.function_call_arguments.delta
data: {"type":"response.function_call_arguments.delta","sequence_number":18,"item_id":"fc_<id>_2","output_index":2,"delta":"\\"Paris\\"}"}

event: response.function_call_arguments.done
data: {"type":"response.function_call_arguments.done","sequence_number":19,"item_id":"fc_<id>_2","output_index":2,"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}

event: response.output_item.done
data: {"type":"response.output_item.done","sequence_number":20,"output_index":2,"item":{"type":"function_call","id":"fc_<id>_2","call_id":"tooluse_golden","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}","status":"completed"}}

event: response.completed
data: {"type":"response.completed","sequence_number":21,"response":{"id":"resp_<id>","object":"response","created_at":<created>,"status":"completed","background":false,"error":null,"incomplete_details":null,"model":"<model>","previous_response_id":null,"store":false,"truncation":"disabled","instructions":null,"max_output_tokens":null,"parallel_tool_calls":true,"reasoning":{"effort":null,"summary":"auto"},"temperature":null,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[{"type":"function","name":"get_weather"}],"top_p":null,"usage":{"input_tokens":150,"input_tokens_details":{"cached_tokens":100},"output_tokens":8,"output_tokens_details":{"reasoning_tokens":6},"total_tokens":158},"metadata":{},"output":[{"type":"reasoning","id":"rs_<id>_0","summary":[{"type":"summary_text","text":"Weather needs a tool."}],"encrypted_content":"bedrock-reasoning.v1.eyJ0ZXh0IjoiV2VhdGhlciBuZWVkcyBhIHRvb2wuIiwic2lnbmF0dXJlIjoiYzJsbmJtRjBkWEpsIn0"},{"type":"message","id":"msg_<id>_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Checking 🙂 now.","annotations":[],"logprobs":[]}]},{"type":"function_call","id":"fc_<id>_2","call_id":"tooluse_golden","name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}","status":"completed"}]}}

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
    const normalised = reply.text.replace(/"latencyMs":\d+/, '"latencyMs":<latency>').replace(`"model":"${h.config.modelId}"`, '"model":"<model>"');
    assert.equal(normalised, NDJSON_GOLDEN);
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

  it("OpenAI Responses SSE (POST /responses, with the reasoning summary and encrypted content)", async () => {
    const body = {
      stream: true, input: PROMPT, reasoning: { summary: "auto" }, include: ["reasoning.encrypted_content"],
      tools: [{ type: "function", name: "get_weather" }],
    };
    const reply = await request(h.url, { method: "POST", path: RESPONSES_PATH, body });
    assert.equal(reply.status, 200);
    const normalised = reply.text
      .replace(/_[0-9a-f]{32}/g, "_<id>")
      .replace(/"created_at":\d+/g, '"created_at":<created>')
      .replaceAll(`"model":"${h.config.modelId}"`, '"model":"<model>"');
    assert.equal(normalised, RESPONSES_GOLDEN);
  });
});
