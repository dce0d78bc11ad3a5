import type { ContentBlock } from "@aws-sdk/client-bedrock-runtime";

/**
 * A reasoning item's `encrypted_content`: Bedrock's reasoning block (its text and signature, or the provider's
 * redacted bytes), so a client that keeps no reasoning text still sends back what Bedrock needs to continue a tool
 * round with thinking. It is opaque to clients but not encrypted by this gateway (the signature is the provider's).
 */
const PREFIX = "bedrock-reasoning.v1.";

type Stored = { text: string; signature: string } | { redacted: string };

export function reasoningToken(block: { text: string; signature?: string } | { data: Uint8Array }): string | undefined {
  const stored: Stored | undefined =
    "data" in block
      ? { redacted: Buffer.from(block.data).toString("base64") }
      : block.signature
        ? { text: block.text, signature: block.signature }
        : undefined;
  return stored && PREFIX + Buffer.from(JSON.stringify(stored)).toString("base64url");
}

/** The Converse block a token stands for; undefined for anything else (e.g. another provider's encrypted content). */
export function reasoningBlock(token: string): ContentBlock | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  let stored: Partial<{ text: unknown; signature: unknown; redacted: unknown }>;
  try {
    stored = JSON.parse(Buffer.from(token.slice(PREFIX.length), "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof stored.redacted === "string") {
    return { reasoningContent: { redactedContent: Buffer.from(stored.redacted, "base64") } };
  }
  if (typeof stored.text === "string" && typeof stored.signature === "string") {
    return { reasoningContent: { reasoningText: { text: stored.text, signature: stored.signature } } };
  }
  return undefined;
}
