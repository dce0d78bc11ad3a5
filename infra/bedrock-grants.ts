import { parseModelId } from "../app/src/bedrock/model-ids";
import type { Guardrail } from "../app/src/resilience/guardrail-schema";
import type { PolicyStatement } from "./policy-statement";

/**
 * The task role's Bedrock grants, derived from the configured models and guardrails: pure functions, so the role
 * (iam.ts), the bedrock-runtime endpoint's policy (endpoint-policies.ts) and the tests share one derivation.
 */

/** The action ConverseStream is authorised as (token counting has its own, below). */
export const BEDROCK_STREAM_ACTION = "bedrock:InvokeModelWithResponseStream";
/** The action InvokeModel is authorised as: embedding calls, and Claude's native path when a request is not streamed. */
export const BEDROCK_INVOKE_ACTION = "bedrock:InvokeModel";
/** What a chat model is called as: streamed (ConverseStream, InvokeModelWithResponseStream) or, natively, whole. */
export const CHAT_MODEL_ACTIONS: readonly string[] = [BEDROCK_STREAM_ACTION, BEDROCK_INVOKE_ACTION];

export interface ModelScope {
  readonly modelId: string;
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
}

/**
 * The statements allowing exactly the configured model, following the Bedrock user guide
 * (inference-profiles-prereq, global-cross-region-inference):
 * - plain model ID: that foundation model in this region;
 * - `global.` profile: the profile ARN, the foundation model in the source region and the region-less
 *   foundation-model ARN that global routing is authorised against (`aws:RequestedRegion` = "unspecified");
 * - geographic profile (`us.`, `eu.`, `apac.`, ...): the profile ARN and the foundation model in every region,
 *   allowed only through this profile (`bedrock:InferenceProfileArn`). A wildcard region bound to the profile is
 *   used instead of a region list because AWS adds destination regions to profiles over time; a stale list would
 *   turn into AccessDenied on some requests, while the condition keeps the grant to the regions the profile routes to.
 */
export function bedrockStatements(scope: ModelScope, actions: readonly string[] = CHAT_MODEL_ACTIONS): PolicyStatement[] {
  const { kind, foundationModelId } = parseModelId(scope.modelId);
  const bedrockArn = (region: string, account: string, resource: string) =>
    `arn:${scope.partition}:bedrock:${region}:${account}:${resource}`;
  const foundationModel = (region: string) => bedrockArn(region, "", `foundation-model/${foundationModelId}`);
  const allow = (Sid: string, Resource: string[], Condition?: PolicyStatement["Condition"]): PolicyStatement => ({
    Sid,
    Effect: "Allow",
    Action: [...actions],
    Resource,
    ...(Condition ? { Condition } : {}),
  });

  if (kind === "foundation-model") {
    return [allow("InvokeFoundationModel", [foundationModel(scope.region)])];
  }
  const profileArn = bedrockArn(scope.region, scope.accountId, `inference-profile/${scope.modelId}`);
  const viaProfile = { "bedrock:InferenceProfileArn": profileArn };
  if (kind === "global-profile") {
    return [
      allow("InvokeInferenceProfile", [profileArn]),
      allow("InvokeSourceRegionModelViaProfile", [foundationModel(scope.region)], { StringEquals: viaProfile }),
      allow("InvokeGlobalModelViaProfile", [foundationModel("")], {
        StringEquals: { "aws:RequestedRegion": "unspecified", ...viaProfile },
      }),
    ];
  }
  return [
    allow("InvokeInferenceProfile", [profileArn]),
    allow("InvokeDestinationRegionModelsViaProfile", [foundationModel("*")], { StringEquals: viaProfile }),
  ];
}

/** Token counting (`POST /v1/messages/count_tokens`): CountTokens is authorised as its own action. */
export const BEDROCK_COUNT_TOKENS_ACTION = "bedrock:CountTokens";

/**
 * CountTokens takes only a foundation model id (the app strips a profile prefix), so the grant is the foundation
 * model behind each served model, in this region. It cannot run inference: counting is free and reads only the
 * request.
 */
export function countTokensStatement(modelIds: readonly string[], scope: Pick<ModelScope, "region" | "partition">): PolicyStatement {
  const foundationModels = new Set(modelIds.map((modelId) => parseModelId(modelId).foundationModelId));
  return {
    Sid: "CountTokens",
    Effect: "Allow",
    Action: [BEDROCK_COUNT_TOKENS_ACTION],
    Resource: [...foundationModels].map((model) => `arn:${scope.partition}:bedrock:${scope.region}::foundation-model/${model}`),
  };
}

/**
 * The statements for every model the service may call (the default first): each model's statements exactly as
 * {@link bedrockStatements} gives them for one, the further models' Sids numbered so they stay unique.
 */
export function servedModelStatements(modelIds: readonly string[], scope: Omit<ModelScope, "modelId">): PolicyStatement[] {
  return [...new Set(modelIds)].flatMap((modelId, index) =>
    bedrockStatements({ ...scope, modelId }).map((statement) =>
      index === 0 ? statement : { ...statement, Sid: `${statement.Sid}Allowed${index}` }));
}

/** What Converse's `guardrailConfig` (and the native invoke's guardrail) is authorised as. */
export const APPLY_GUARDRAIL_ACTION = "bedrock:ApplyGuardrail";

/**
 * The configured guardrails (the deployment's and the keys' own), each by its ARN (an id is made one in this
 * account and region): chat calls may apply exactly these.
 */
export function guardrailStatement(
  guardrails: readonly Guardrail[],
  scope: Omit<ModelScope, "modelId">,
): PolicyStatement | undefined {
  const arns = [...new Set(guardrails.map(({ identifier }) => identifier.startsWith("arn:")
    ? identifier
    : `arn:${scope.partition}:bedrock:${scope.region}:${scope.accountId}:guardrail/${identifier}`))];
  if (arns.length === 0) return undefined;
  return { Sid: "ApplyConfiguredGuardrails", Effect: "Allow", Action: [APPLY_GUARDRAIL_ACTION], Resource: arns };
}

/**
 * The models the tasks call, by kind: the one list the task role's grants (and any other narrowing of Bedrock access,
 * such as an endpoint policy) derive from. Chat models are streamed (or, on Claude's native path, invoked whole), embedding
 * models invoked.
 */
export interface InvokedModels {
  /** The default model first, then the further allowed ones. */
  readonly chat: readonly string[];
  readonly embedding: readonly string[];
}

export function invokedModels(settings: { modelId: string; allowedModelIds: readonly string[]; embeddingModelIds: readonly string[] }): InvokedModels {
  return { chat: [settings.modelId, ...settings.allowedModelIds], embedding: settings.embeddingModelIds };
}

/**
 * Every statement allowing a model call: each chat model's grant ({@link servedModelStatements}), then
 * each embedding model's InvokeModel grant, shaped the same way per kind of ID, Sids prefixed `Embed` and numbered.
 */
export function modelCallStatements(models: InvokedModels, scope: Omit<ModelScope, "modelId">): PolicyStatement[] {
  const embedding = [...new Set(models.embedding)].flatMap((modelId, index) =>
    bedrockStatements({ ...scope, modelId }, [BEDROCK_INVOKE_ACTION]).map((statement) => ({ ...statement, Sid: `Embed${statement.Sid}${index}` })));
  return [...servedModelStatements(models.chat, scope), ...embedding];
}
