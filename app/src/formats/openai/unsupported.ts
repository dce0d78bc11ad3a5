import { ApiError } from "../../http/errors";

/**
 * Parameters OpenAI defines that Bedrock cannot honour. Silently ignoring them would hand the caller a reply that
 * is not what it asked for (no log probabilities, not JSON, not reproducible), so each is a 400 naming it, unless
 * its value asks for nothing beyond the default (`n: 1`, `presence_penalty: 0`, `logprobs: false`, ...), which
 * clients and frameworks often send explicitly. docs/openai.md lists this table.
 */
interface Rule {
  /** True when the value asks for nothing Bedrock cannot do. */
  honoured(value: unknown): boolean;
  why: string;
}

const absent = (value: unknown) => value === null || value === undefined;
const zero = (value: unknown) => absent(value) || value === 0;
const only = (...values: unknown[]) => (value: unknown) => absent(value) || values.includes(value);
const isEmptyObject = (value: unknown) =>
  absent(value) || (typeof value === "object" && !Array.isArray(value) && Object.keys(value as object).length === 0);
const onlyText = (value: unknown) =>
  absent(value) || (Array.isArray(value) && value.length === 1 && value[0] === "text");
const textFormat = (value: unknown) =>
  absent(value) || (typeof value === "object" && (value as { type?: unknown }).type === "text");

export const UNSUPPORTED_PARAMETERS: Readonly<Record<string, Rule>> = {
  n: { honoured: only(1), why: "only one choice per request (n: 1)" },
  logprobs: { honoured: only(false), why: "Bedrock returns no token log probabilities" },
  top_logprobs: { honoured: zero, why: "Bedrock returns no token log probabilities" },
  presence_penalty: { honoured: zero, why: "Bedrock's Converse API has no presence penalty" },
  frequency_penalty: { honoured: zero, why: "Bedrock's Converse API has no frequency penalty" },
  logit_bias: { honoured: isEmptyObject, why: "Bedrock's Converse API has no logit bias" },
  seed: { honoured: absent, why: "Bedrock has no sampling seed" },
  response_format: {
    honoured: textFormat,
    why: 'only {"type":"text"}: JSON mode and structured outputs are not supported (a forced tool call is the alternative)',
  },
  parallel_tool_calls: { honoured: only(true), why: "Bedrock cannot forbid parallel tool calls" },
  store: { honoured: only(false), why: "this gateway stores no completions" },
  service_tier: { honoured: only("auto", "default"), why: "Bedrock's service tiers cannot be chosen per request here" },
  modalities: { honoured: onlyText, why: 'only ["text"] output' },
  audio: { honoured: absent, why: "audio output is not supported" },
  prediction: { honoured: absent, why: "predicted outputs are not supported" },
  web_search_options: { honoured: absent, why: "the gateway has no web search (its tasks have no internet access)" },
  verbosity: { honoured: absent, why: "the models served have no verbosity setting" },
  functions: { honoured: absent, why: "deprecated by OpenAI; use tools" },
  function_call: { honoured: absent, why: "deprecated by OpenAI; use tool_choice" },
};

/**
 * Throws a 400 for the first parameter asking for what Bedrock cannot do; returns the body without the parameters
 * that ask for nothing (so the strict schema after this sees only what it maps).
 */
export function withoutHonouredDefaults(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const rest: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const [name, rule] of Object.entries(UNSUPPORTED_PARAMETERS)) {
    if (!Object.hasOwn(rest, name)) continue;
    if (!rule.honoured(rest[name])) {
      throw new ApiError(400, "unsupported_parameter", `${name}: not supported: ${rule.why}`, { param: name });
    }
    delete rest[name];
  }
  return rest;
}
