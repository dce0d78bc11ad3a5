import { ApiError } from "../../http/errors";

/**
 * Fields OpenAI defines that this gateway does not map, sorted by the compatibility rule:
 * - REFUSED: honouring them is impossible and ignoring them would silently change a result the caller relies on
 *   (several choices, log probabilities, audio, moderation results, token bans). A 400 names the field, unless its
 *   value asks for nothing beyond the default (`n: 1`, `logprobs: false`, ...), which clients often send explicitly.
 * - IGNORED: they mean nothing here (storage, caching and routing hints, tags, sampling hints Converse lacks); the
 *   reply is what the caller would get without them. Accepted with any value.
 * docs/openai.md lists both tables; a test checks it names every field.
 */
interface Rule {
  /** True when the value asks for nothing beyond what the reply gives anyway. */
  harmless(value: unknown): boolean;
  why: string;
}

const absent = (value: unknown) => value === null || value === undefined;
const zero = (value: unknown) => absent(value) || value === 0;
const only = (...values: unknown[]) => (value: unknown) => absent(value) || values.includes(value);
const isEmptyObject = (value: unknown) =>
  absent(value) || (typeof value === "object" && !Array.isArray(value) && Object.keys(value as object).length === 0);
const onlyText = (value: unknown) =>
  absent(value) || (Array.isArray(value) && value.length === 1 && value[0] === "text");

export const REFUSED_FIELDS: Readonly<Record<string, Rule>> = {
  n: { harmless: only(1), why: "only one choice per request (n: 1)" },
  logprobs: { harmless: only(false), why: "Bedrock returns no token log probabilities" },
  top_logprobs: { harmless: zero, why: "Bedrock returns no token log probabilities" },
  logit_bias: { harmless: isEmptyObject, why: "Bedrock's Converse API cannot ban or favour tokens" },
  audio: { harmless: absent, why: "audio output is not supported" },
  modalities: { harmless: onlyText, why: 'only ["text"] output' },
  moderation: { harmless: absent, why: "no moderation results are produced" },
  web_search_options: { harmless: absent, why: "the gateway has no web search (its tasks have no internet access)" },
  functions: { harmless: absent, why: "deprecated by OpenAI; use tools" },
  function_call: { harmless: absent, why: "deprecated by OpenAI; use tool_choice" },
};

/** Field -> why it changes nothing here. `user` and `safety_identifier` are not listed: they are logged (schema). */
export const IGNORED_FIELDS: Readonly<Record<string, string>> = {
  store: "the gateway stores no completions",
  metadata: "only meaningful with store",
  seed: "Bedrock has no sampling seed; replies are not reproducible either way",
  prediction: "predicted outputs only speed OpenAI's models up",
  service_tier: "Bedrock's service tier is not chosen per request here",
  prompt_cache_key: "a routing hint for OpenAI's cache",
  prompt_cache_retention: "a hint for OpenAI's cache",
  prompt_cache_options: "a hint for OpenAI's cache",
  verbosity: "the models served have no verbosity setting (say it in the prompt)",
  presence_penalty: "a sampling hint Converse does not have",
  frequency_penalty: "a sampling hint Converse does not have",
};

/**
 * Throws a 400 for the first field asking for what Bedrock cannot do; returns the body without the refused fields
 * that ask for nothing and without the ignored ones (so the strict schema after this sees only what it maps).
 */
export function withoutUnmappedFields(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const rest: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const [name, rule] of Object.entries(REFUSED_FIELDS)) {
    if (!Object.hasOwn(rest, name)) continue;
    if (!rule.harmless(rest[name])) {
      throw new ApiError(400, "unsupported_parameter", `${name}: not supported: ${rule.why}`, { param: name });
    }
    delete rest[name];
  }
  for (const name of Object.keys(IGNORED_FIELDS)) delete rest[name];
  return rest;
}
