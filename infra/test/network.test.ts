import * as assert from "node:assert/strict";
import { CONTAINER_PORT } from "../../app/src/runtime-contract";
import { ProgramRun, REGION, S3_PREFIX_LIST_ID, DYNAMODB_PREFIX_LIST_ID, runProgram } from "./program-under-mocks";
import { ENDPOINT, EGRESS } from "./resource-types";

const VPC = "awsx:ec2:Vpc";
const SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

/** Security group ID -> the role in its logical name (vpc-link, alb, task, endpoints). */
function groupRoles(run: ProgramRun): Map<string, string> {
  return new Map(run.ofType(SECURITY_GROUP).map((g) => [g.id, g.name.replace(/^chat-/, "").replace(/-sg$/, "")]));
}

describe("network", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("is a VPC of isolated subnets only, in two AZs, with no NAT gateway", () => {
    const vpc = run.one(VPC, "chat-vpc").inputs;
    assert.deepEqual(vpc.subnetSpecs.map((s: { type: string }) => s.type), ["Isolated"]);
    assert.deepEqual(vpc.natGateways, { strategy: "None" });
    assert.equal(vpc.availabilityZoneNames.length, 2);
    assert.equal(vpc.enableDnsHostnames, true, "private DNS of the interface endpoints needs DNS hostnames");
    assert.equal(vpc.enableDnsSupport, true);
    assert.equal(run.ofType("aws:ec2/natGateway:NatGateway").length, 0);
    assert.equal(run.ofType("aws:ec2/eip:Eip").length, 0);
  });

  it("spans the zones chosen in zones.ts (see zones.test.ts)", () => {
    assert.deepEqual(run.one(VPC, "chat-vpc").inputs.availabilityZoneNames, ["us-east-1c", "us-east-1d"]);
  });

  it("has an S3 gateway endpoint on the VPC's route tables, all of which belong to isolated subnets", () => {
    const s3 = run.one(ENDPOINT, "chat-s3-endpoint").inputs;
    assert.equal(s3.serviceName, `com.amazonaws.${REGION}.s3`);
    assert.equal(s3.vpcEndpointType, "Gateway");
    assert.equal(s3.vpcId, "vpc-0a1b2c3d");
    assert.deepEqual(s3.routeTableIds, ["rtb-iso-a", "rtb-iso-b"]);
    assert.equal(run.one(VPC, "chat-vpc").inputs.vpcEndpointSpecs, undefined);
  });

  it("has interface endpoints with private DNS for ecr.api, ecr.dkr, logs and bedrock-runtime in the isolated subnets", () => {
    const endpoints = run.ofType(ENDPOINT).map((e) => e.inputs).filter((e) => e.vpcEndpointType !== "Gateway");
    assert.deepEqual(endpoints.map((e) => e.serviceName).sort(),
      ["bedrock-runtime", "ecr.api", "ecr.dkr", "logs"].map((s) => `com.amazonaws.${REGION}.${s}`));
    const endpointGroup = run.one(SECURITY_GROUP, "chat-endpoints-sg").id;
    for (const endpoint of endpoints) {
      assert.equal(endpoint.vpcEndpointType, "Interface");
      assert.equal(endpoint.privateDnsEnabled, true, endpoint.serviceName);
      assert.deepEqual(endpoint.subnetIds, ["subnet-iso-a", "subnet-iso-b"]);
      assert.deepEqual(endpoint.securityGroupIds, [endpointGroup]);
      assert.equal(endpoint.vpcId, "vpc-0a1b2c3d");
    }
  });

  it("opens exactly the hops API Gateway -> ALB -> tasks -> endpoints/S3, group to group", () => {
    const roles = groupRoles(run);
    const label = (direction: string) => (rule: { inputs: any }) => {
      const r = rule.inputs;
      const peer = r.referencedSecurityGroupId ? roles.get(r.referencedSecurityGroupId) : `prefix-list:${r.prefixListId}`;
      return `${roles.get(r.securityGroupId)} ${direction} ${peer} tcp/${r.fromPort}-${r.toPort}:${r.ipProtocol}`;
    };
    const rules = [...run.ofType(INGRESS).map(label("from")), ...run.ofType(EGRESS).map(label("to"))].sort();
    assert.deepEqual(rules, [
      `alb from vpc-link tcp/80-80:tcp`,
      `alb to task tcp/${CONTAINER_PORT}-${CONTAINER_PORT}:tcp`,
      `endpoints from task tcp/443-443:tcp`,
      `task from alb tcp/${CONTAINER_PORT}-${CONTAINER_PORT}:tcp`,
      `task to endpoints tcp/443-443:tcp`,
      `task to prefix-list:${DYNAMODB_PREFIX_LIST_ID} tcp/443-443:tcp`,
      `task to prefix-list:${S3_PREFIX_LIST_ID} tcp/443-443:tcp`,
      `vpc-link to alb tcp/80-80:tcp`,
    ]);
  });

  it("has no other security group rules: none inline, no CIDR peer, and the four groups in the VPC", () => {
    const groups = run.ofType(SECURITY_GROUP);
    assert.deepEqual(groups.map((g) => g.name).sort(), ["chat-alb-sg", "chat-endpoints-sg", "chat-task-sg", "chat-vpc-link-sg"]);
    for (const group of groups) {
      assert.equal(group.inputs.ingress, undefined, group.name);
      assert.equal(group.inputs.egress, undefined, group.name);
      assert.equal(group.inputs.vpcId, "vpc-0a1b2c3d");
    }
    for (const rule of [...run.ofType(INGRESS), ...run.ofType(EGRESS)]) {
      assert.equal(rule.inputs.cidrIpv4, undefined, rule.name);
      assert.equal(rule.inputs.cidrIpv6, undefined, rule.name);
    }
  });

  it("has no 0.0.0.0/0 or ::/0 anywhere in the program", () => {
    for (const resource of run.resources) {
      const text = JSON.stringify(resource.inputs);
      assert.ok(!text.includes("0.0.0.0/0") && !text.includes("::/0"), `${resource.type} ${resource.name}`);
    }
  });

  it("gives nothing a public IP: internal ALB, tasks without public IPs, no public subnets", () => {
    assert.equal(run.one("awsx:lb:ApplicationLoadBalancer", "chat-alb").inputs.internal, true);
    assert.equal(run.one("awsx:ecs:FargateService", "chat-service").inputs.networkConfiguration.assignPublicIp, false);
    const vpc = run.one(VPC, "chat-vpc").inputs;
    assert.ok(vpc.subnetSpecs.every((s: { type: string }) => s.type !== "Public" && s.type !== "Private"));
    for (const resource of run.resources) {
      const text = JSON.stringify(resource.inputs);
      assert.ok(!/"(assignPublicIp|mapPublicIpOnLaunch|associatePublicIpAddress)":true/.test(text), resource.name);
    }
  });

  it("puts the ALB, the tasks and the VPC link in the isolated subnets with their own groups", () => {
    const alb = run.one("awsx:lb:ApplicationLoadBalancer", "chat-alb").inputs;
    const network = run.one("awsx:ecs:FargateService", "chat-service").inputs.networkConfiguration;
    const link = run.one("aws:apigatewayv2/vpcLink:VpcLink", "chat-vpc-link").inputs;
    const isolated = ["subnet-iso-a", "subnet-iso-b"];
    assert.deepEqual([alb.subnetIds, network.subnets, link.subnetIds], [isolated, isolated, isolated]);
    assert.deepEqual(alb.securityGroups, [run.one(SECURITY_GROUP, "chat-alb-sg").id]);
    assert.deepEqual(network.securityGroups, [run.one(SECURITY_GROUP, "chat-task-sg").id]);
    assert.deepEqual(link.securityGroupIds, [run.one(SECURITY_GROUP, "chat-vpc-link-sg").id]);
  });
});
