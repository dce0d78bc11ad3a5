import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Guardrail } from "../app/src/resilience/guardrail-schema";
import { countTokensStatement, guardrailStatement, type InvokedModels, modelCallStatements } from "./bedrock-grants";
import { bedrockEndpointPolicy } from "./endpoint-policies";
import { policyJson } from "./policy-statement";
import { usageTableStatement } from "./usage";

/**
 * IAM for the service: the task role that carries the Bedrock permissions derived from the configured models
 * (bedrock-grants.ts) and the execution role ECS uses to pull the image and ship logs.
 */

export { type ModelKind, type ParsedModelId, parseModelId } from "../app/src/bedrock/model-ids";

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
