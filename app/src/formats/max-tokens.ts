import * as z from "zod";

/**
 * The largest `max_tokens` a request may state. Far above every model's limit on purpose: the catalog lowers the
 * value to the answering model's own limit (models/limits.ts), so a client written for one model works with
 * another; this bound only keeps absurd numbers out, and its message names it.
 */
export const MAX_TOKENS_ACCEPTED = 10_000_000;

/** A `max_tokens`-like field; every rule's message states its own limit. `required`: the message when absent. */
export function maxTokensField(required?: string) {
  return z
    .number({ error: (issue) => (issue.input === undefined && required ? required : "must be a number") })
    .int("must be an integer")
    .min(1, "must be at least 1")
    .max(MAX_TOKENS_ACCEPTED, `must be at most ${MAX_TOKENS_ACCEPTED} (it is then lowered to the model's own limit)`);
}
