import type { IncomingHttpHeaders } from "node:http";
import { ApiError } from "../../http/errors";

/**
 * `anthropic-beta` values this gateway honours. A feature it cannot honour is refused with a 400 naming it: a client
 * that asked for a beta relies on it, and silently serving without it would be a quiet loss.
 */

/** Features Bedrock's Claude models take as `anthropic_beta` in the model's request fields: passed on as they are. */
export const FORWARDED_BETAS = [
  "interleaved-thinking-2025-05-14",
  "context-1m-2025-08-07",
  "output-128k-2025-02-19",
  "token-efficient-tools-2025-02-19",
] as const;

/** Features that need nothing from Bedrock here: generally available now, a client marker, or how we stream anyway. */
export const NO_OP_BETAS = [
  // Prompt caching is part of the API (cache_control becomes Converse cache points).
  "prompt-caching-2024-07-31",
  // Token counting is served (POST /v1/messages/count_tokens); the SDK's beta.messages.countTokens always sends it.
  "token-counting-2024-11-01",
  // Claude Code's own marker: changes nothing in the request.
  "claude-code-20250219",
  // Tool input is relayed piece by piece as Bedrock streams it, without buffering.
  "fine-grained-tool-streaming-2025-05-14",
] as const;

const FORWARDED = new Set<string>(FORWARDED_BETAS);
const NO_OP = new Set<string>(NO_OP_BETAS);

/** The betas to forward to Bedrock; throws a 400 naming every beta this gateway cannot honour. */
export function forwardedBetas(headers: IncomingHttpHeaders): string[] {
  const raw = headers["anthropic-beta"];
  const values = (Array.isArray(raw) ? raw : [raw ?? ""])
    .flatMap((header) => header.split(","))
    .map((value) => value.trim())
    .filter((value) => value !== "");
  const unsupported = [...new Set(values.filter((value) => !FORWARDED.has(value) && !NO_OP.has(value)))];
  if (unsupported.length > 0) {
    // Shown, but bounded: the header is the client's, and could be anything.
    const named = unsupported.slice(0, 10).map((value) => value.slice(0, 100)).join(", ");
    throw new ApiError(400, "invalid_request", `Unsupported anthropic-beta: ${named}`, { param: "anthropic-beta" });
  }
  return [...new Set(values.filter((value) => FORWARDED.has(value)))];
}
