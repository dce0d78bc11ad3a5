import * as z from "zod";
import type { Scenario } from "./scenario";
import { IN_STREAM_EXCEPTIONS, PRE_STREAM_ERRORS } from "./wire";

/**
 * Validates a scenario given as JSON on the command line (`--scenario`), so a typo such as
 * `{"error":{"type":"Throttling"}}` is refused at start-up with the field named, instead of failing every request.
 * Tests pass typed `Scenario` objects and need no runtime check.
 */
const delayMs = z.number().min(0).optional();
const step = z.union([
  z.strictObject({ text: z.string(), delayMs }),
  z.strictObject({ reasoning: z.string(), delayMs }),
  z.strictObject({ signature: z.string(), delayMs }),
  z.strictObject({ redacted: z.base64(), delayMs }),
  z.strictObject({ toolUse: z.strictObject({ id: z.string().min(1), name: z.string().min(1) }), delayMs }),
  z.strictObject({ toolInput: z.string(), delayMs }),
  z.strictObject({ exception: z.enum(IN_STREAM_EXCEPTIONS), message: z.string().optional(), delayMs }),
  z.strictObject({ hang: z.literal(true) }),
  z.strictObject({ reset: z.literal(true), scope: z.enum(["connection", "stream"]).optional(), delayMs }),
]);
const scenarioSchema = z.strictObject({
  error: z
    .strictObject({
      type: z.enum(PRE_STREAM_ERRORS as [string, ...string[]]),
      status: z.number().int().min(400).max(599).optional(),
      message: z.string().optional(),
      delayMs,
    })
    .optional(),
  headersDelayMs: delayMs,
  messageStart: z.boolean().optional(),
  steps: z.array(step).optional(),
  stopReason: z.string().optional(),
  usage: z
    .strictObject({
      inputTokens: z.number().int().min(0),
      outputTokens: z.number().int().min(0),
      cacheReadInputTokens: z.number().int().min(0).optional(),
      cacheWriteInputTokens: z.number().int().min(0).optional(),
    })
    .optional(),
  countTokens: z.number().int().min(0).optional(),
  countTokensReply: z
    .strictObject({ status: z.number().int().min(200).max(599), body: z.string(), contentType: z.string().optional() })
    .optional(),
  afterStop: z.enum(["metadata", "silence"]).optional(),
  toolCall: z.strictObject({ name: z.string().min(1), input: z.record(z.string(), z.unknown()).optional() }).optional(),
});

/** Parses scenario JSON text; throws an Error whose message names the offending field. */
export function parseScenarioJson(text: string): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${JSON.stringify(text)}`);
  }
  const result = scenarioSchema.safeParse(value);
  if (!result.success) throw new Error(z.prettifyError(result.error).replace(/\n/g, "; "));
  return result.data as Scenario;
}
