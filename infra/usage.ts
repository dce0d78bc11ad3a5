import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { USAGE_TABLE } from "../app/src/usage/table-schema";
import { usageTableEndpointPolicy } from "./endpoint-policies";
import type { PolicyStatement } from "./policy-statement";

/**
 * The usage store: a DynamoDB table of token counters per API key name and UTC day / month, and the private path to
 * it. The table is keyed as app/src/usage/table-schema.ts says (local mode and the tests create theirs from the same
 * definition). The tasks reach DynamoDB through a *gateway* endpoint (free, route-table based, like S3's) and may
 * open 443 only to its prefix list; their role may only read and update this table (iam.ts).
 */

/** What the app does with the table, and nothing else: a budget check reads, a charge adds. */
export const USAGE_TABLE_ACTIONS = ["dynamodb:GetItem", "dynamodb:UpdateItem"] as const;

/** The app's counters: a budget check reads an item, a charge adds to one (`UpdateItem ADD`); exactly this table. */
export function usageTableStatement(tableArn: string): PolicyStatement {
  return { Sid: "UsageCounters", Effect: "Allow", Action: [...USAGE_TABLE_ACTIONS], Resource: [tableArn] };
}

export interface UsageStoreArgs {
  readonly region: string;
  readonly vpcId: pulumi.Input<string>;
  /** The isolated subnets' route tables: the gateway endpoint adds its prefix-list route to each. */
  readonly routeTableIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly taskSecurityGroupId: pulumi.Input<string>;
}

export class UsageStore extends pulumi.ComponentResource {
  public readonly tableName: pulumi.Output<string>;
  public readonly tableArn: pulumi.Output<string>;
  /** Ready once the endpoint and the tasks' egress rule exist (tasks started earlier could not reach the table). */
  public readonly networkReady: pulumi.Resource[];

  constructor(name: string, args: UsageStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:usage:UsageStore", name, {}, opts);

    const table = new aws.dynamodb.Table(`${name}-table`, {
      // On-demand: a few writes per request, no capacity to plan or pay for while idle.
      billingMode: "PAY_PER_REQUEST",
      hashKey: USAGE_TABLE.partitionKey,
      rangeKey: USAGE_TABLE.sortKey,
      attributes: [
        { name: USAGE_TABLE.partitionKey, type: "S" },
        { name: USAGE_TABLE.sortKey, type: "S" },
      ],
      // Windows nobody reads any more are deleted by DynamoDB, free of charge.
      ttl: { attributeName: USAGE_TABLE.ttlAttribute, enabled: true },
      // Encrypted with the AWS managed key (aws/dynamodb), recoverable to any second of the last 35 days.
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      // `pulumi destroy` removes it like every other resource of the stack.
      deletionProtectionEnabled: false,
    }, { parent: this });

    const endpoint = new aws.ec2.VpcEndpoint(`${name}-dynamodb-endpoint`, {
      vpcId: args.vpcId,
      serviceName: `com.amazonaws.${args.region}.dynamodb`,
      vpcEndpointType: "Gateway",
      routeTableIds: args.routeTableIds,
      // This table and the app's two actions on it: the same statement as the task role's (iam.ts).
      policy: table.arn.apply((arn) => usageTableEndpointPolicy(usageTableStatement(arn))),
      tags: { Name: `${name}-dynamodb` },
    }, { parent: this });
    const egress = new aws.vpc.SecurityGroupEgressRule(`${name}-task-to-dynamodb`, {
      securityGroupId: args.taskSecurityGroupId,
      description: "Usage table through the DynamoDB gateway endpoint",
      ipProtocol: "tcp",
      fromPort: 443,
      toPort: 443,
      prefixListId: endpoint.prefixListId,
    }, { parent: this });

    this.tableName = table.name;
    this.tableArn = table.arn;
    this.networkReady = [endpoint, egress];
    this.registerOutputs({ tableName: this.tableName, tableArn: this.tableArn });
  }
}
