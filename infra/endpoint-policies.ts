import type { PolicyStatement } from "./policy-statement";

/**
 * The VPC endpoints' policies. An endpoint's default policy allows any action on any resource of its service, for
 * any account: from these subnets, S3 would reach every bucket and DynamoDB every table. Each policy below admits only
 * what the stack's own traffic needs; the tasks' IAM roles still decide who may do it.
 */

/** An endpoint policy statement: an IAM statement for any principal (the roles scope the principals). */
type EndpointStatement = PolicyStatement & { Principal: "*" };

function endpointPolicyJson(statements: readonly PolicyStatement[]): string {
  const forAnyPrincipal: EndpointStatement[] = statements.map((statement) => ({ ...statement, Principal: "*" }));
  return JSON.stringify({ Version: "2012-10-17", Statement: forAnyPrincipal });
}

/**
 * The S3 bucket ECR serves a region's image layers from. The name and the minimum permission (`s3:GetObject` on its
 * objects) are from the Amazon ECR user guide, "Amazon ECR interface VPC endpoints (AWS PrivateLink)", section
 * "Minimum Amazon S3 bucket permissions for Amazon ECR":
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
 */
export const ecrLayerBucket = (region: string) => `prod-${region}-starport-layer-bucket`;

/** The S3 gateway endpoint: image layer downloads from the region's ECR layer bucket, nothing else. */
export function ecrLayersEndpointPolicy(partition: string, region: string): string {
  return endpointPolicyJson([{
    Sid: "EcrImageLayers",
    Effect: "Allow",
    Action: ["s3:GetObject"],
    Resource: [`arn:${partition}:s3:::${ecrLayerBucket(region)}/*`],
  }]);
}

/** The DynamoDB gateway endpoint: the app's reads and charges on the usage table, nothing else. */
export function usageTableEndpointPolicy(statement: PolicyStatement): string {
  return endpointPolicyJson([statement]);
}

/**
 * The bedrock-runtime interface endpoint: exactly the Bedrock statements of the task role (ServiceRoles, iam.ts),
 * so a model, an action or a condition added to the role is admitted by the endpoint too, and nothing else is.
 */
export function bedrockEndpointPolicy(statements: readonly PolicyStatement[]): string {
  return endpointPolicyJson(statements);
}
