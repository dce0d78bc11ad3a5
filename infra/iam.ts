import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { parseModelId } from "../app/src/bedrock/model-ids";
import type { Guardrail } from "../app/src/resilience/guardrail-schema";
import { bedrockEndpointPolicy } from "./endpoint-policies";
import { usageTableStatement } from "./usage";

/**
 * IAM for the service: the Bedrock permissions derived from the configured model ID, the task role that carries
 * them and the execution role ECS uses to pull the image and ship logs.
 */

/** The action ConverseStream is authorised as (token counting has its own, below). */
export const BEDROCK_STREAM_ACTION = "bedrock:InvokeModelWithResponseStream";

export { type ModelKind, type ParsedModelId, parseModelId } from "../app/src/bedrock/model-ids";

export interface ModelScope {
  readonly modelId: string;
  readonly region: string;
  readonly partition: string;
  readonly accountId: string;
}

/** One IAM statement, in the JSON shape IAM expects. */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string>>;
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
export function bedrockStatements(scope: ModelScope, action: string = BEDROCK_STREAM_ACTION): PolicyStatement[] {
  const { kind, foundationModelId } = parseModelId(scope.modelId);
  const bedrockArn = (region: string, account: string, resource: string) =>
    `arn:${scope.partition}:bedrock:${region}:${account}:${resource}`;
  const foundationModel = (region: string) => bedrockArn(region, "", `foundation-model/${foundationModelId}`);
  const allow = (Sid: string, Resource: string[], Condition?: PolicyStatement["Condition"]): PolicyStatement => ({
    Sid,
    Effect: "Allow",
    Action: [action],
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

/** The action embedding calls (`POST /embeddings`, InvokeModel) are authorised as. */
export const BEDROCK_INVOKE_ACTION = "bedrock:InvokeModel";

/**
 * The models the tasks call, by kind: the one list the task role's grants (and any other narrowing of Bedrock access,
 * such as an endpoint policy) derive from. Chat models are streamed (ConverseStream), embedding models invoked.
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
 * Every statement allowing a model call: each chat model's streaming grant ({@link servedModelStatements}), then
 * each embedding model's InvokeModel grant, shaped the same way per kind of ID, Sids prefixed `Embed` and numbered.
 */
export function modelCallStatements(models: InvokedModels, scope: Omit<ModelScope, "modelId">): PolicyStatement[] {
  const embedding = [...new Set(models.embedding)].flatMap((modelId, index) =>
    bedrockStatements({ ...scope, modelId }, BEDROCK_INVOKE_ACTION).map((statement) => ({ ...statement, Sid: `Embed${statement.Sid}${index}` })));
  return [...servedModelStatements(models.chat, scope), ...embedding];
}

export { usageTableStatement } from "./usage";

export interface ServiceRolesArgs {
  /** The chat models (the default first) and the embedding models. */
  readonly models: InvokedModels;
  readonly region: string;
  readonly partition: string;
  /** ECR repository the execution role may pull from. */
  readonly repositoryArn: pulumi.Input<string>;
  /** Log group the execution role may write the container's logs to. */
  readonly logGroupArn: pulumi.Input<string>;
  /** The usage table (usage.ts) the task role may read and update, and nothing else in DynamoDB. */
  readonly usageTableArn?: pulumi.Input<string>;
  /** The bedrock-runtime interface endpoint, whose policy admits exactly the task role's Bedrock statements. */
  readonly bedrockEndpointId?: pulumi.Input<string>;
  /** The guardrails chat calls apply (the deployment's and the keys' own); none when empty. */
  readonly guardrails?: readonly Guardrail[];
}

/** Task role (what the app may do) and execution role (what ECS may do on its behalf), both least-privilege. */
export class ServiceRoles extends pulumi.ComponentResource {
  public readonly taskRoleArn: pulumi.Output<string>;
  public readonly executionRoleArn: pulumi.Output<string>;

  constructor(name: string, args: ServiceRolesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:iam:ServiceRoles", name, {}, opts);
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    const taskRole = new aws.iam.Role(`${name}-task`, {
      description: "Lets the chat service call the configured Bedrock models, and nothing else",
      // ECS documents aws:SourceAccount for task roles (confused-deputy protection).
      assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com", accountId),
    }, { parent: this });
    const invoke = accountId.apply((account) => {
      const scope = { region: args.region, partition: args.partition, accountId: account };
      const guardrails = guardrailStatement(args.guardrails ?? [], scope);
      return [...modelCallStatements(args.models, scope), ...(guardrails ? [guardrails] : [])];
    });
    const countTokens = countTokensStatement(args.models.chat, args);
    const taskPolicy = new aws.iam.RolePolicy(`${name}-task-bedrock`, {
      role: taskRole.id,
      policy: pulumi.all([invoke, args.usageTableArn]).apply(([statements, tableArn]) => policyJson([
        ...statements,
        ...(tableArn ? [usageTableStatement(tableArn)] : []),
      ])),
    }, { parent: this });

    const countTokensPolicy = new aws.iam.RolePolicy(`${name}-task-count-tokens`, {
      role: taskRole.id,
      policy: policyJson([countTokens]),
    }, { parent: this });

    // Every Bedrock statement the task role holds, in one list: the endpoint admits exactly these. A Bedrock
    // permission added to the role goes here too (infra/test/endpoint-policies.test.ts compares the two).
    const bedrockStatements = invoke.apply((statements) => [...statements, countTokens]);
    if (args.bedrockEndpointId) {
      new aws.ec2.VpcEndpointPolicy(`${name}-bedrock-endpoint-policy`, {
        vpcEndpointId: args.bedrockEndpointId,
        policy: bedrockStatements.apply(bedrockEndpointPolicy),
      }, { parent: this });
    }

    const executionRole = new aws.iam.Role(`${name}-execution`, {
      description: "Lets ECS pull the chat image from its repository and write the container logs",
      assumeRolePolicy: assumeRolePolicy("ecs-tasks.amazonaws.com"),
    }, { parent: this });
    const executionPolicy = new aws.iam.RolePolicy(`${name}-execution-pull-and-log`, {
      role: executionRole.id,
      policy: pulumi.all([args.repositoryArn, args.logGroupArn]).apply(([repositoryArn, logGroupArn]) =>
        policyJson([
          // GetAuthorizationToken is account-wide: IAM offers no resource-level scoping for it.
          { Sid: "EcrLogin", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] },
          {
            Sid: "PullServiceImage",
            Effect: "Allow",
            Action: ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            Resource: [repositoryArn],
          },
          {
            Sid: "WriteServiceLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: [`${logGroupArn}:log-stream:*`],
          },
        ])),
    }, { parent: this });

    // The ARNs resolve only once each role's policy exists, so the task definition (and its first tasks) never sees
    // a role without its permissions: an image pull before the execution policy would trip the circuit breaker.
    this.taskRoleArn = withPolicy(withPolicy(taskRole.arn, taskPolicy), countTokensPolicy);
    this.executionRoleArn = withPolicy(executionRole.arn, executionPolicy);
    this.registerOutputs({ taskRoleArn: this.taskRoleArn, executionRoleArn: this.executionRoleArn });
  }
}

/**
 * Trust policy for a service principal; with `sourceAccount`, only requests made on behalf of this account may
 * assume the role (confused-deputy protection, where the service documents that it sends aws:SourceAccount).
 */
export function assumeRolePolicy(service: string, sourceAccount?: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.output(sourceAccount).apply((account) => JSON.stringify({
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      ...(account ? { Condition: { StringEquals: { "aws:SourceAccount": account } } } : {}),
    }],
  }));
}

function withPolicy(roleArn: pulumi.Output<string>, policy: aws.iam.RolePolicy): pulumi.Output<string> {
  return pulumi.all([roleArn, policy.id]).apply(([arn]) => arn);
}

function policyJson(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}
