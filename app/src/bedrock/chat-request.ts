import type {
  ConverseStreamCommandInput,
  InferenceConfiguration,
  Message,
  OutputConfig,
  SystemContentBlock,
  ToolConfiguration,
} from "@aws-sdk/client-bedrock-runtime";
import { documentTokens, imageTokens } from "./attachment-tokens";
import { clampMaxTokens, fitThinkingBudget, modelInfo } from "../models";

/**
 * The one internal request every wire format's schema produces. It is Converse's own vocabulary (messages, system
 * blocks, tool configuration, additional model fields), so nothing a format can express is lost on the way to
 * Bedrock: tools, images, documents, reasoning blocks with signatures and cache points all pass as Converse blocks.
 */
export interface ChatRequest {
  /** The model or inference profile the caller named; undefined means the deployment's default. */
  model?: string;
  messages: Message[];
  system?: SystemContentBlock[];
  inferenceConfig?: InferenceConfiguration;
  toolConfig?: ToolConfiguration;
  /** Model-specific fields Converse passes through (Claude: `thinking`, `top_k`). */
  additionalModelRequestFields?: ConverseStreamCommandInput["additionalModelRequestFields"];
  /** Structured output (`textFormat` with a JSON schema the reply must match). */
  outputConfig?: OutputConfig;
  /**
   * The request as Claude's native Messages body (the Anthropic format sets it): Claude models are then called
   * with InvokeModel(WithResponseStream) and this body instead of Converse (formats/anthropic/native.ts).
   */
  native?: { body: Readonly<Record<string, unknown>>; betas: readonly string[] };
  /** Why the request cannot go to Converse (thrown only when it would). */
  converseRefusal?: Error;
  /** Whether the caller wants the reply streamed. */
  stream: boolean;
  /** An opaque caller-chosen tag (OpenAI `user`, Anthropic `metadata.user_id`): logged, never interpreted. */
  userTag?: string;
}

/**
 * The ConverseStream input for a validated request addressed to `modelId` (already resolved and allowed). Its
 * `maxTokens` is lowered to the model's own limit (the catalog's), keeping a thinking budget below it.
 */
export function converseInput(request: ChatRequest, modelId: string, defaultMaxTokens: number): ConverseStreamCommandInput {
  const { messages, system, inferenceConfig, toolConfig, additionalModelRequestFields, outputConfig } = request;
  if (request.converseRefusal) throw request.converseRefusal;
  const maxTokens = clampMaxTokens(modelInfo(modelId), inferenceConfig?.maxTokens, defaultMaxTokens);
  return {
    modelId,
    messages,
    system,
    inferenceConfig: { ...inferenceConfig, maxTokens },
    toolConfig,
    additionalModelRequestFields: fitThinkingBudget(additionalModelRequestFields, maxTokens),
    outputConfig,
  };
}

/**
 * A rough input token count, for what must be said before Bedrock reports the real count at the end of the stream
 * and what a cut stream is charged: about four characters a token over every text the request carries, plus each
 * image and document estimated from its bytes (attachment-tokens.ts).
 */
export function estimateInputTokens(request: Pick<ChatRequest, "messages" | "system" | "toolConfig">): number {
  let characters = 0;
  let attachments = 0;
  const visit = (value: unknown): void => {
    if (typeof value === "string") characters += value.length;
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object" && !(value instanceof Uint8Array)) {
      const block = value as { image?: Attachment; document?: Attachment };
      const image = block.image?.source?.bytes;
      const document = block.document?.source?.bytes;
      if (image instanceof Uint8Array) attachments += imageTokens(image);
      if (document instanceof Uint8Array) attachments += documentTokens(document);
      Object.values(value).forEach(visit);
    }
  };
  visit([request.system, request.messages, request.toolConfig]);
  return Math.max(1, Math.ceil(characters / 4) + attachments);
}

type Attachment = { source?: { bytes?: unknown } } | undefined;
