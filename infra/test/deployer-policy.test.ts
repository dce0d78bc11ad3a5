import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ProgramRun, runProgram } from "./program-under-mocks";

/**
 * Issue 20, item 10: infra/deployer-policy.json lets the identity that runs `pulumi up` and `pulumi destroy` do what
 * the program needs. Every resource type the program registers under any configuration below, and every look-up it
 * makes, must be listed here with the actions its provider calls (create, read, update, delete, tags), and each of
 * those actions must be allowed by the policy. A new resource type fails this test until both are updated.
 */

interface Statement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string[]>>;
}
const POLICY_FILE = path.resolve(__dirname, "..", "deployer-policy.json");
const policy: { Version: string; Statement: Statement[] } = JSON.parse(fs.readFileSync(POLICY_FILE, "utf8"));

const API_GATEWAY = ["apigateway:GET", "apigateway:POST", "apigateway:PUT", "apigateway:PATCH", "apigateway:DELETE"];
const LINKED_ROLE = "iam:CreateServiceLinkedRole";
const SG_RULE = ["ec2:DescribeSecurityGroupRules", "ec2:ModifySecurityGroupRules", "ec2:CreateTags"];

/** What the provider calls for each resource type (awsx components: for the resources they create). */
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  "aws:apigateway/account:Account": ["apigateway:GET", "apigateway:PATCH", "iam:PassRole"],
  "aws:apigateway/apiKey:ApiKey": API_GATEWAY,
  "aws:apigateway/authorizer:Authorizer": API_GATEWAY,
  "aws:apigateway/deployment:Deployment": API_GATEWAY,
  "aws:apigateway/integration:Integration": API_GATEWAY,
  "aws:apigateway/integrationResponse:IntegrationResponse": API_GATEWAY,
  "aws:apigateway/method:Method": API_GATEWAY,
  "aws:apigateway/methodResponse:MethodResponse": API_GATEWAY,
  "aws:apigateway/methodSettings:MethodSettings": API_GATEWAY,
  "aws:apigateway/resource:Resource": API_GATEWAY,
  "aws:apigateway/response:Response": API_GATEWAY,
  "aws:apigateway/restApi:RestApi": API_GATEWAY,
  "aws:apigateway/stage:Stage": API_GATEWAY,
  "aws:apigateway/usagePlan:UsagePlan": API_GATEWAY,
  "aws:apigateway/usagePlanKey:UsagePlanKey": API_GATEWAY,
  "aws:apigatewayv2/vpcLink:VpcLink": [...API_GATEWAY, LINKED_ROLE, "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"],
  "aws:appautoscaling/policy:Policy": [
    "application-autoscaling:PutScalingPolicy", "application-autoscaling:DescribeScalingPolicies",
    "application-autoscaling:DeleteScalingPolicy",
  ],
  "aws:appautoscaling/target:Target": [
    "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DescribeScalableTargets",
    "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:TagResource",
    "application-autoscaling:ListTagsForResource", LINKED_ROLE,
  ],
  "aws:cloudwatch/dashboard:Dashboard": ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"],
  "aws:cloudwatch/logGroup:LogGroup": [
    "logs:CreateLogGroup", "logs:DescribeLogGroups", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
    "logs:DeleteLogGroup", "logs:ListTagsForResource", "logs:TagResource", "logs:ListTagsLogGroup",
  ],
  "aws:cloudwatch/metricAlarm:MetricAlarm": [
    "cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms", "cloudwatch:ListTagsForResource",
    "cloudwatch:TagResource",
  ],
  "aws:dynamodb/table:Table": [
    "dynamodb:CreateTable", "dynamodb:DescribeTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable",
    "dynamodb:DescribeTimeToLive", "dynamodb:UpdateTimeToLive", "dynamodb:DescribeContinuousBackups",
    "dynamodb:UpdateContinuousBackups", "dynamodb:ListTagsOfResource", "dynamodb:TagResource",
  ],
  "aws:ec2/securityGroup:SecurityGroup": [
    "ec2:CreateSecurityGroup", "ec2:DescribeSecurityGroups", "ec2:DeleteSecurityGroup", "ec2:RevokeSecurityGroupEgress",
    "ec2:RevokeSecurityGroupIngress", "ec2:CreateTags", "ec2:DescribeNetworkInterfaces",
  ],
  "aws:ec2/vpcEndpoint:VpcEndpoint": [
    "ec2:CreateVpcEndpoint", "ec2:DescribeVpcEndpoints", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints",
    "ec2:CreateTags", "ec2:DescribePrefixLists", "ec2:DescribeRouteTables",
  ],
  "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": ["ec2:ModifyVpcEndpoint", "ec2:DescribeVpcEndpoints"],
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": ["ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:DeleteLifecyclePolicy"],
  "aws:ecr/repository:Repository": [
    "ecr:CreateRepository", "ecr:DescribeRepositories", "ecr:DeleteRepository", "ecr:ListTagsForResource",
    "ecr:TagResource", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:BatchDeleteImage",
    "ecr:ListImages",
  ],
  "aws:ecs/cluster:Cluster": [
    "ecs:CreateCluster", "ecs:DescribeClusters", "ecs:UpdateCluster", "ecs:DeleteCluster", "ecs:TagResource",
    "ecs:ListTagsForResource", LINKED_ROLE,
  ],
  "aws:iam/role:Role": [
    "iam:CreateRole", "iam:GetRole", "iam:DeleteRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
    "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole", "iam:TagRole",
  ],
  "aws:iam/rolePolicy:RolePolicy": ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"],
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ["iam:AttachRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy"],
  "aws:kms/key:Key": [
    "kms:CreateKey", "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:ScheduleKeyDeletion",
  ],
  "aws:lambda/function:Function": [
    "lambda:CreateFunction", "lambda:GetFunction", "lambda:GetFunctionCodeSigningConfig", "lambda:ListVersionsByFunction",
    "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction", "iam:PassRole",
  ],
  "aws:lambda/permission:Permission": ["lambda:AddPermission", "lambda:GetPolicy", "lambda:RemovePermission"],
  "aws:sns/topic:Topic": [
    "sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:ListTagsForResource",
    "sns:TagResource",
  ],
  "aws:sns/topicSubscription:TopicSubscription": [
    "sns:Subscribe", "sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe",
  ],
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ["ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress", ...SG_RULE],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", ...SG_RULE],
  "awsx:ec2:Vpc": [
    "ec2:CreateVpc", "ec2:DescribeVpcs", "ec2:ModifyVpcAttribute", "ec2:DescribeVpcAttribute", "ec2:DeleteVpc",
    "ec2:CreateSubnet", "ec2:DescribeSubnets", "ec2:DeleteSubnet", "ec2:CreateRouteTable", "ec2:DescribeRouteTables",
    "ec2:AssociateRouteTable", "ec2:DisassociateRouteTable", "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:DeleteRoute",
    "ec2:CreateInternetGateway", "ec2:DescribeInternetGateways", "ec2:AttachInternetGateway",
    "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway", "ec2:CreateTags", "ec2:DescribeAvailabilityZones",
  ],
  "awsx:ecs:FargateService": [
    "ecs:RegisterTaskDefinition", "ecs:DescribeTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:CreateService",
    "ecs:DescribeServices", "ecs:UpdateService", "ecs:DeleteService", "iam:PassRole", LINKED_ROLE,
  ],
  "awsx:lb:ApplicationLoadBalancer": [
    "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:CreateListener", "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:DeleteListener", "elasticloadbalancing:AddTags", "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:SetSecurityGroups", LINKED_ROLE,
  ],
  "docker-build:index:Image": [
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
  ],
};

/** The look-ups (data sources) the program makes. */
const REQUIRED_FOR_LOOKUPS: Readonly<Record<string, readonly string[]>> = {
  "aws:index/getAvailabilityZones:getAvailabilityZones": ["ec2:DescribeAvailabilityZones"],
  "aws:ec2/getVpcEndpointService:getVpcEndpointService": ["ec2:DescribeVpcEndpointServices"],
  "aws:ecr/getAuthorizationToken:getAuthorizationToken": ["ecr:GetAuthorizationToken"],
  "aws:index/getCallerIdentity:getCallerIdentity": ["sts:GetCallerIdentity"],
};

/** The project's own components and Pulumi's stack reference call no AWS API themselves. */
const callsAws = (type: string) => !type.startsWith("bedrock-stream:") && type !== "pulumi:pulumi:StackReference";

const glob = (pattern: string) => new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
const statementsAllowing = (action: string) => policy.Statement.filter((s) => s.Effect === "Allow" && s.Action.some((p) => glob(p).test(action)));

describe("deployer permissions (infra/deployer-policy.json)", () => {
  let runs: ProgramRun[];
  before(async () => {
    // Every configuration that adds resource types: the default, everything optional on, the open API.
    runs = [
      await runProgram(),
      await runProgram({ playground: "true", alarmEmail: "ops@example.com" }),
      await runProgram({ apiKeyRequired: "false", manageApiGatewayAccount: "false" }),
    ];
  });

  it("is an IAM policy document a customer managed policy can hold (at most 6,144 characters without spaces)", () => {
    assert.equal(policy.Version, "2012-10-17");
    assert.ok(JSON.stringify(policy).length <= 6144, `${JSON.stringify(policy).length} characters`);
    assert.equal(new Set(policy.Statement.map((s) => s.Sid)).size, policy.Statement.length, "unique Sids");
  });

  it("allows, for every resource type the program creates, the actions its provider calls", () => {
    const types = [...new Set(runs.flatMap((run) => run.resources.map((r) => r.type)))].filter(callsAws).sort();
    const unlisted = types.filter((type) => !REQUIRED[type]);
    assert.deepEqual(unlisted, [], "new resource types: add their actions to infra/deployer-policy.json and REQUIRED here");
    const missing = types.flatMap((type) => REQUIRED[type].filter((action) => statementsAllowing(action).length === 0)
      .map((action) => `${type}: ${action}`));
    assert.deepEqual(missing, []);
  });

  it("allows the look-ups the program makes", () => {
    const tokens = [...new Set(runs.flatMap((run) => run.invokes.map((i) => i.token)))].sort();
    assert.deepEqual(tokens.filter((token) => !REQUIRED_FOR_LOOKUPS[token]), [], "new look-ups: list them here");
    const missing = tokens.flatMap((token) => REQUIRED_FOR_LOOKUPS[token].filter((a) => statementsAllowing(a).length === 0));
    assert.deepEqual(missing, []);
  });

  it("passes the stack's roles only to the services that assume them, and they all fall under the policy's role names", () => {
    const roles = runs.flatMap((run) => run.ofType("aws:iam/role:Role"));
    const [passRole] = statementsAllowing("iam:PassRole");
    const passedTo = passRole.Condition?.StringEquals["iam:PassedToService"] ?? [];
    for (const role of roles) {
      // Pulumi names a role after its logical name plus a random suffix: the policy's `role/chat-*` covers it.
      assert.ok([passRole.Resource].flat().some((arn) => glob(arn).test(`arn:aws:iam::123456789012:role/${role.name}-1a2b3c4`)), role.name);
      const principal = JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal.Service as string;
      assert.ok(passedTo.includes(principal), `${role.name} is passed to ${principal}`);
    }
    const [linked] = statementsAllowing(LINKED_ROLE);
    assert.deepEqual([...linked.Condition!.StringEquals["iam:AWSServiceName"]].sort(), [
      "ecs.amazonaws.com", "ecs.application-autoscaling.amazonaws.com", "elasticloadbalancing.amazonaws.com",
      "ops.apigateway.amazonaws.com",
    ]);
  });

  it("scopes the usage table and the authorizer function to the names the stack gives them", () => {
    const [table] = statementsAllowing("dynamodb:CreateTable");
    const [fn] = statementsAllowing("lambda:CreateFunction");
    for (const run of runs.slice(0, 1)) {
      const tableName = run.one("aws:dynamodb/table:Table", "chat-usage-table").name;
      assert.ok([table.Resource].flat().some((arn) => glob(arn).test(`arn:aws:dynamodb:us-east-1:123456789012:table/${tableName}-1a2b3c4`)));
      const fnName = run.one("aws:lambda/function:Function", "chat-authorizer-function").name;
      assert.ok([fn.Resource].flat().some((arn) => glob(arn).test(`arn:aws:lambda:us-east-1:123456789012:function:${fnName}-1a2b3c4`)));
    }
  });
});
