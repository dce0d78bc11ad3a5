import * as z from "zod";
import { maxTokensField } from "../max-tokens";
import type { ChatRequest } from "../../bedrock/chat-request";
import { invalidRequest } from "../schema-errors";

/**
 * The `POST /stream` body: the seed's `{"message": "..."}` or a conversation `{"messages": [...]}`, plus optional
 * inference settings. Strict objects: a misspelt field (`maxToken`) is an error, not a silently ignored default.
 */

export const MAX_MESSAGES = 200;
export const MAX_STOP_SEQUENCES = 8;
export const MAX_STOP_SEQUENCE_LENGTH = 256;

/** Bedrock rejects blank text blocks; say so before spending a round trip. */
const nonBlankText = z.string().refine((value) => value.trim().length > 0, "must not be empty or only whitespace");

const turnSchema = z.strictObject({
  role: z.enum(["user", "assistant"]),
  content: nonBlankText,
});

const chatRequestSchema = z
  .strictObject(
    {
      message: nonBlankText.optional(),
      messages: z.array(turnSchema).min(1, "must hold at least one message").max(MAX_MESSAGES).optional(),
      system: nonBlankText.optional(),
      maxTokens: maxTokensField().optional(),
      temperature: z.number().min(0).max(1).optional(),
      topP: z.number().min(0).max(1).optional(),
      stopSequences: z
        .array(z.string().min(1).max(MAX_STOP_SEQUENCE_LENGTH))
        .max(MAX_STOP_SEQUENCES)
        .optional(),
    },
    { error: "must be a JSON object" },
  )
  .superRefine((body, ctx) => {
    if (body.message !== undefined && body.messages !== undefined) {
      ctx.addIssue({ code: "custom", path: ["messages"], message: 'cannot be combined with "message"' });
    } else if (body.message === undefined && body.messages === undefined) {
      ctx.addIssue({ code: "custom", path: ["message"], message: 'is required (or "messages")' });
    }
    body.messages?.forEach((turn, index) => {
      const expected = index % 2 === 0 ? "user" : "assistant";
      if (turn.role !== expected) {
        const rule = "roles must alternate, starting with user";
        ctx.addIssue({ code: "custom", path: ["messages", index, "role"], message: `must be "${expected}" (${rule})` });
      }
    });
    if (body.messages && body.messages.length % 2 === 0 && body.messages.at(-1)?.role === "assistant") {
      const path = ["messages", body.messages.length - 1, "role"];
      ctx.addIssue({ code: "custom", path, message: 'the last message must come from "user"' });
    }
  });

/**
 * Validates a parsed JSON body into the internal request (always streamed, always the default model: this format
 * has no model field). Throws a 400 {@link ApiError} whose message names each offending field.
 */
export function parseNdjsonRequest(body: unknown): ChatRequest {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw invalidRequest(parsed.error);
  }
  const { message, messages, system, maxTokens, temperature, topP, stopSequences } = parsed.data;
  const turns = messages ?? [{ role: "user" as const, content: message! }];
  return {
    messages: turns.map((turn) => ({ role: turn.role, content: [{ text: turn.content }] })),
    system: system === undefined ? undefined : [{ text: system }],
    inferenceConfig: { maxTokens, temperature, topP, stopSequences },
    stream: true,
  };
}
