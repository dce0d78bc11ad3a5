import * as z from "zod";
import { MAX_TOKENS_LIMIT } from "../../config";
import { ApiError } from "../../http/errors";

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
      maxTokens: z.number().int().min(1).max(MAX_TOKENS_LIMIT).optional(),
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

export interface ChatTurn {
  role: "user" | "assistant";
  content: string;
}

export interface ChatRequest {
  messages: ChatTurn[];
  system?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

/** `["messages", 1, "role"]` -> `messages[1].role`; the root is called `body`. */
function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "body";
  return path
    .map((key, index) => (typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`))
    .join("");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${fieldName([...issue.path, key])}: unknown field`).join("; ");
  }
  return `${fieldName(issue.path)}: ${issue.message}`;
}

/** Validates a parsed JSON body; throws a 400 {@link ApiError} whose message names each offending field. */
export function parseChatRequest(body: unknown): ChatRequest {
  const parsed = chatRequestSchema.safeParse(body);
  if (!parsed.success) {
    const message = parsed.error.issues.slice(0, 5).map(describeIssue).join("; ");
    throw new ApiError(400, "invalid_request", message);
  }
  const { message, messages, ...settings } = parsed.data;
  return { messages: messages ?? [{ role: "user", content: message! }], ...settings };
}
