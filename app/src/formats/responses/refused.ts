import { ApiError } from "../../http/errors";

/**
 * The few Responses fields that are refused with a 400 naming them: each would silently change what the caller
 * relies on (state this gateway does not keep, log probabilities it cannot give). Everything else that means nothing
 * here is accepted and ignored (docs/openai.md lists both).
 */
const absent = (value: unknown) => value === null || value === undefined;
const STATELESS = "this gateway keeps no responses or conversations: send the whole conversation in input (with store: false)";

const RULES: ReadonlyArray<{ field: string; honoured: (value: unknown) => boolean; why: string }> = [
  { field: "previous_response_id", honoured: absent, why: STATELESS },
  { field: "conversation", honoured: absent, why: STATELESS },
  { field: "prompt", honoured: absent, why: "stored prompt templates are not available here: send the prompt in input" },
  { field: "background", honoured: (value) => absent(value) || value === false, why: "background responses need stored state" },
  { field: "top_logprobs", honoured: (value) => absent(value) || value === 0, why: "Bedrock returns no token log probabilities" },
  {
    field: "include",
    honoured: (value) => !Array.isArray(value) || !value.includes("message.output_text.logprobs"),
    why: "message.output_text.logprobs: Bedrock returns no token log probabilities",
  },
];

/** Throws the 400 for the first refused field the body sets. */
export function refuseUnhonoured(body: unknown): void {
  if (typeof body !== "object" || body === null) return;
  const fields = body as Record<string, unknown>;
  for (const { field, honoured, why } of RULES) {
    if (!honoured(fields[field])) {
      throw new ApiError(400, "unsupported_parameter", `${field}: not supported: ${why}`, { param: field });
    }
  }
}
