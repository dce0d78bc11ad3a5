import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { fromBase64 } from "@smithy/core/serde";

/**
 * The SDK's ConverseStream events (and InvokeModelWithResponseStream's `chunk`) built straight from Bedrock's JSON
 * payloads, without the SDK's schema walk.
 *
 * Why: the SDK deserializes every streamed token through an async, schema-driven walk of the event's shape; for the
 * handful of shapes Bedrock actually streams, the JSON already *is* the SDK's object, except for Bedrock's random
 * padding field `p` (dropped, as the SDK drops every member its model does not name) and blob members (base64 in
 * the JSON, `Uint8Array` in the SDK's object). Each rule below accepts only what it converts exactly as the SDK
 * would (members of the SDK's model, `ConverseStreamOutput$` in `@aws-sdk/client-bedrock-runtime`, with the JSON
 * types it expects); anything else (a member it does not know, a null, a document, citations, images, traces,
 * more than one union member) makes {@link converseEvent} return undefined, and the caller hands that event to the
 * SDK's own deserializer instead.
 */

type Json = Record<string, unknown>;
/** Checks (and, for blobs, converts) one member's value; {@link REJECT} when not sure. */
type Rule = (value: unknown) => unknown;

const REJECT = Symbol("not converted here");

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

const string: Rule = (value) => (typeof value === "string" ? value : REJECT);
const integer: Rule = (value) => (typeof value === "number" ? value : REJECT);
/** The SDK's own base64 decoder: the same bytes, and the same error for a malformed value. */
const blob: Rule = (value) => (typeof value === "string" ? fromBase64(value) : REJECT);

/** A structure: every member must have a rule; values are converted in place. */
function struct(rules: Record<string, Rule>): Rule {
  return (value) => {
    if (!isObject(value)) return REJECT;
    for (const key in value) {
      if (key === "p") continue;
      if (!Object.hasOwn(rules, key)) return REJECT;
      const member = value[key];
      const converted = rules[key](member);
      if (converted === REJECT) return REJECT;
      if (converted !== member) value[key] = converted;
    }
    // Bedrock's padding, always the last member written: deleting it keeps the object's fast shape.
    if (Object.hasOwn(value, "p")) delete value.p;
    return value;
  };
}

/** A union: exactly one member, one this module knows. */
function union(rules: Record<string, Rule>): Rule {
  const asStruct = struct(rules);
  return (value) => {
    if (!isObject(value)) return REJECT;
    let members = 0;
    for (const key in value) if (key !== "p") members += 1;
    return members === 1 ? asStruct(value) : REJECT;
  };
}

const EVENT_RULES: Readonly<Record<string, Rule>> = {
  messageStart: struct({ role: string }),
  contentBlockStart: struct({
    contentBlockIndex: integer,
    start: union({ toolUse: struct({ toolUseId: string, name: string, type: string }) }),
  }),
  contentBlockDelta: struct({
    contentBlockIndex: integer,
    delta: union({
      text: string,
      toolUse: struct({ input: string }),
      reasoningContent: union({ text: string, signature: string, redactedContent: blob }),
    }),
  }),
  contentBlockStop: struct({ contentBlockIndex: integer }),
  messageStop: struct({ stopReason: string }),
  // InvokeModelWithResponseStream's one event (PayloadPart): Claude's native path streams an event per token as these.
  chunk: struct({ bytes: blob }),
  metadata: struct({
    usage: struct({
      inputTokens: integer,
      outputTokens: integer,
      totalTokens: integer,
      cacheReadInputTokens: integer,
      cacheWriteInputTokens: integer,
    }),
    metrics: struct({ latencyMs: integer }),
    performanceConfig: struct({ latency: string }),
    serviceTier: struct({ type: string }),
  }),
};

/** Whether events of this type may take the fast path at all. */
export function isFastEventType(eventType: string): boolean {
  return Object.hasOwn(EVENT_RULES, eventType);
}

/**
 * The SDK's event for a parsed payload of a known event type, or undefined when the SDK's deserializer must do it.
 * Throws the SDK's own error for a malformed blob.
 */
export function converseEvent(eventType: string, payload: unknown): ConverseStreamOutput | undefined {
  // The rules checked every member against the SDK's model, so the objects are the SDK's types.
  const converted = EVENT_RULES[eventType](payload) as never;
  if ((converted as unknown) === REJECT) return undefined;
  switch (eventType) {
    case "contentBlockDelta":
      return { contentBlockDelta: converted } as ConverseStreamOutput;
    case "contentBlockStart":
      return { contentBlockStart: converted } as ConverseStreamOutput;
    case "contentBlockStop":
      return { contentBlockStop: converted } as ConverseStreamOutput;
    case "messageStart":
      return { messageStart: converted } as ConverseStreamOutput;
    case "messageStop":
      return { messageStop: converted } as ConverseStreamOutput;
    case "chunk":
      // ResponseStream's member, not ConverseStream's: the one caller that gets it casts its batches to ResponseStream.
      return { chunk: converted } as unknown as ConverseStreamOutput;
    default:
      return { metadata: converted } as ConverseStreamOutput;
  }
}
