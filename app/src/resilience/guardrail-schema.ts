import * as z from "zod";

/**
 * The shape of a guardrail setting (the deployment's `guardrail`, or a key's own in `keys`): which Bedrock
 * guardrail every chat call applies. Zod only: the settings registry, the key schema and infra/ load it.
 */
export const GUARDRAIL_STREAM_MODES = ["sync", "async"] as const;

export const guardrailSchema = z
  .object({
    /** A guardrail id (`abc123def456`) or its ARN, as Bedrock's `guardrailIdentifier` takes either. */
    identifier: z.string().regex(
      /^([a-z0-9]{1,64}|arn:aws(-[a-z-]+)?:bedrock:[a-z0-9-]{1,20}:\d{12}:guardrail\/[a-z0-9]{1,64})$/,
      "must be a guardrail id or its ARN",
    ),
    /** A published version number, or `DRAFT`. */
    version: z.string().regex(/^([1-9]\d{0,7}|DRAFT)$/, 'must be a version number or "DRAFT"'),
    /**
     * How Bedrock checks a stream: `sync` holds each chunk back until it was assessed (nothing blocked ever reaches
     * the caller, at some latency), `async` sends chunks at once and assesses them alongside.
     */
    streamProcessingMode: z.enum(GUARDRAIL_STREAM_MODES).default("sync"),
  })
  .strict();

export type Guardrail = z.output<typeof guardrailSchema>;

/**
 * The deployment's `guardrail`: one, or `{}` for none (a Pulumi key needs a default, and an object key's is `{}`).
 */
export const deploymentGuardrailSchema = z.union([z.object({}).strict(), guardrailSchema]);

/** The guardrail a setting value names, if any (`{}` names none). */
export const guardrailOf = (value: z.output<typeof deploymentGuardrailSchema>): Guardrail | undefined =>
  "identifier" in value ? (value as Guardrail) : undefined;
