import type { CachePointBlock, ContentBlock, DocumentBlock, ToolResultContentBlock } from "@aws-sdk/client-bedrock-runtime";
import * as z from "zod";
import { toolReferenceBlock, toolReferenceText } from "./beta-fields";

/**
 * Anthropic content blocks (what a client sends in `system`, `messages[].content` and tool results) and their
 * Converse equivalents. Each block type Converse can carry is converted losslessly; the rest are refused with a
 * message naming the field, never dropped.
 */

const cacheControl = z
  .strictObject({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() })
  .nullish();
type CacheControl = z.infer<typeof cacheControl>;

/**
 * The one prompt-caching rule, for system blocks, tools and message content alike: a block marked with
 * `cache_control` is followed by a Converse `cachePoint`, which caches the prompt up to and including it.
 */
export function withCachePoint<T>(block: T, marker: CacheControl): (T | { cachePoint: CachePointBlock })[] {
  if (!marker) return [block];
  return [block, { cachePoint: { type: "default", ...(marker.ttl ? { ttl: marker.ttl } : {}) } }];
}

/** Citations in a reply cannot be rendered back (Converse's citation events are not relayed), so none are asked for. */
const noCitations = z.array(z.unknown()).max(0, "citations are not supported by this gateway").nullish();

export const textBlock = z.strictObject({
  type: z.literal("text"),
  text: z.string().min(1, "text content blocks must be non-empty"),
  cache_control: cacheControl,
  citations: noCitations,
});

const base64Data = z.base64("must be base64-encoded");

/**
 * The API's shorthand: a string where blocks are expected is one text block (an empty string: none). Expanded
 * before validation, so a bad block is reported at its own path rather than as "not a string either".
 */
export function textOrBlocks<T extends z.ZodType>(blocks: z.ZodArray<T>) {
  return z.preprocess(
    (value) => (typeof value === "string" ? (value === "" ? [] : [{ type: "text", text: value }]) : value),
    blocks,
  );
}

const imageBlock = z.strictObject({
  type: z.literal("image"),
  source: z.strictObject({
    type: z.literal("base64", { error: 'must be "base64" (URL and file sources are not supported: send the bytes)' }),
    media_type: z.enum(["image/jpeg", "image/png", "image/gif", "image/webp"]),
    data: base64Data,
  }),
  cache_control: cacheControl,
});

const documentBlock = z.strictObject({
  type: z.literal("document"),
  source: z.discriminatedUnion(
    "type",
    [
      z.strictObject({ type: z.literal("base64"), media_type: z.literal("application/pdf"), data: base64Data }),
      z.strictObject({ type: z.literal("text"), media_type: z.literal("text/plain"), data: z.string().min(1) }),
    ],
    { error: unsupportedType("base64 (PDF), text") },
  ),
  title: z.string().max(500).nullish(),
  context: z.string().nullish(),
  citations: z
    .strictObject({ enabled: z.literal(false, { error: "citations are not supported by this gateway" }) })
    .nullish(),
  cache_control: cacheControl,
});

const toolUseBlock = z.strictObject({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  cache_control: cacheControl,
  // Present on blocks copied from a reply (`finalMessage().content`); only a direct call is a plain tool call.
  caller: z.strictObject({ type: z.literal("direct") }).optional(),
  toolset_name: z.null().optional(),
});

const toolResultBlock = z.strictObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: textOrBlocks(
    z.array(
      z.discriminatedUnion("type", [textBlock, imageBlock, documentBlock, toolReferenceBlock], {
        error: unsupportedType("text, image, document, tool_reference"),
      }),
    ),
  ).optional(),
  is_error: z.boolean().optional(),
  cache_control: cacheControl,
  toolset_name: z.null().optional(),
});

const thinkingBlock = z.strictObject({ type: z.literal("thinking"), thinking: z.string(), signature: z.string() });
const redactedThinkingBlock = z.strictObject({ type: z.literal("redacted_thinking"), data: base64Data });

const MESSAGE_BLOCKS = [textBlock, imageBlock, documentBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock] as const;

export const messageBlock = z.discriminatedUnion("type", [...MESSAGE_BLOCKS], {
  error: unsupportedType(MESSAGE_BLOCKS.map((block) => block.shape.type.value).join(", ")),
});
export type MessageBlock = z.infer<typeof messageBlock>;

function unsupportedType(supported: string) {
  return (issue: { code: string; note?: string }) =>
    issue.code === "invalid_union" && issue.note === "No matching discriminator"
      ? `unsupported block type (supported: ${supported})`
      : undefined;
}

const IMAGE_FORMATS = { "image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif", "image/webp": "webp" } as const;

function imageOf(block: z.infer<typeof imageBlock>): { image: NonNullable<ContentBlock["image"]> } {
  return { image: { format: IMAGE_FORMATS[block.source.media_type], source: { bytes: Buffer.from(block.source.data, "base64") } } };
}

/**
 * Converse names documents and allows only letters, digits, single spaces, hyphens, parentheses and brackets in
 * the name (the model sees it): a title is reduced to that, an untitled document numbered.
 */
function documentName(title: string | null | undefined, ordinal: number): string {
  const cleaned = (title ?? "").replace(/[^A-Za-z0-9\s()[\]-]+/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
  return cleaned || `document-${ordinal}`;
}

function documentOf(block: z.infer<typeof documentBlock>, ordinal: number): { document: DocumentBlock } {
  const pdf = block.source.type === "base64";
  return {
    document: {
      format: pdf ? "pdf" : "txt",
      name: documentName(block.title, ordinal),
      source: { bytes: Buffer.from(block.source.data, pdf ? "base64" : "utf8") },
      ...(block.context ? { context: block.context } : {}),
    },
  };
}

function toolResultContent(content: z.infer<typeof toolResultBlock>["content"] = [], documents: DocumentCounter): ToolResultContentBlock[] {
  return content.map((part) => {
    if (part.type === "text") return { text: part.text };
    if (part.type === "tool_reference") return { text: toolReferenceText(part.tool_name) };
    return part.type === "image" ? imageOf(part) : documentOf(part, documents.next());
  });
}

/** Counts documents across one request, so untitled ones get distinct names. */
export class DocumentCounter {
  private count = 0;
  next(): number {
    this.count += 1;
    return this.count;
  }
}

/** One Anthropic message block as Converse blocks (the block, then a cache point when it is marked). */
export function converseBlocks(block: MessageBlock, documents: DocumentCounter): ContentBlock[] {
  switch (block.type) {
    case "text":
      return withCachePoint({ text: block.text }, block.cache_control);
    case "image":
      return withCachePoint(imageOf(block), block.cache_control);
    case "document":
      return withCachePoint(documentOf(block, documents.next()), block.cache_control);
    case "tool_use":
      return withCachePoint({ toolUse: { toolUseId: block.id, name: block.name, input: block.input as never } }, block.cache_control);
    case "tool_result": {
      // A mark inside a tool result's content marks the result: Converse has no cache point inside one.
      const inner = block.content?.flatMap((part) => (part.type !== "tool_reference" && part.cache_control ? [part.cache_control] : []))[0];
      const toolResult = {
        toolUseId: block.tool_use_id,
        content: toolResultContent(block.content, documents),
        ...(block.is_error ? { status: "error" as const } : {}),
      };
      return withCachePoint({ toolResult }, block.cache_control ?? inner);
    }
    case "thinking":
      return [{ reasoningContent: { reasoningText: { text: block.thinking, signature: block.signature } } }];
    case "redacted_thinking":
      return [{ reasoningContent: { redactedContent: Buffer.from(block.data, "base64") } }];
  }
}
