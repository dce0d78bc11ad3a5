import * as aws from "@pulumi/aws";
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import { ecrLayersEndpointPolicy } from "./endpoint-policies";

/**
 * The private network: a VPC with isolated subnets only (no NAT, no route to the internet), the VPC endpoints the
 * tasks need instead, and the chain of security groups that lets traffic flow only
 * API Gateway (VPC link) -> ALB -> tasks -> AWS service endpoints.
 */

/** Port of the ALB's HTTP listener, the one hop the VPC link may open. */
export const ALB_LISTENER_PORT = 80;
const HTTPS_PORT = 443;

/**
 * Interface endpoints the tasks reach AWS through: image manifests (ecr.api, ecr.dkr), the awslogs driver (logs)
 * and the model (bedrock-runtime). Image layers come from S3 through the gateway endpoint.
 */
export const INTERFACE_ENDPOINT_SERVICES = ["ecr.api", "ecr.dkr", "logs", "bedrock-runtime"] as const;

/** An AWS service's endpoint service name in a region: `com.amazonaws.<region>.<service>`. */
export const endpointServiceName = (region: string, service: string) => `com.amazonaws.${region}.${service}`;
/** The interface endpoint services the subnets host; every one must be offered in the subnets' zones (zones.ts). */
export const interfaceEndpointServiceNames = (region: string) =>
  INTERFACE_ENDPOINT_SERVICES.map((service) => endpointServiceName(region, service));

export interface NetworkArgs {
  readonly region: string;
  /** ARN partition of the region (for the endpoint policies). */
  readonly partition: string;
  /** Zones for the subnets (see zones.ts: configured, or chosen where VPC link v2 works). */
  readonly availabilityZones: readonly string[];
  /** Port the containers listen on (the ALB -> task hop). */
  readonly containerPort: number;
}

export interface ChainSecurityGroups {
  readonly vpcLink: pulumi.Output<string>;
  readonly alb: pulumi.Output<string>;
  readonly task: pulumi.Output<string>;
  readonly endpoints: pulumi.Output<string>;
}

/** One allowed TCP hop between two security groups. */
interface Hop {
  readonly from: aws.ec2.SecurityGroup;
  readonly to: aws.ec2.SecurityGroup;
  readonly port: number;
  /** Rule description, shown in the console. */
  readonly purpose: string;
}

export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly isolatedSubnetIds: pulumi.Output<string[]>;
  /** The VPC's route tables (all isolated), for gateway endpoints. */
  public readonly routeTableIds: pulumi.Output<string[]>;
  public readonly securityGroupIds: ChainSecurityGroups;
  /** The interface endpoints' ids, by service (ServiceRoles sets the bedrock-runtime endpoint's policy). */
  public readonly endpointIds: Record<(typeof INTERFACE_ENDPOINT_SERVICES)[number], pulumi.Output<string>>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:network:Network", name, {}, opts);
    const serviceName = (service: string) => endpointServiceName(args.region, service);

    const vpc = new awsx.ec2.Vpc(`${name}-vpc`, {
      cidrBlock: "10.0.0.0/16",
      availabilityZoneNames: [...args.availabilityZones],
      subnetStrategy: "Auto",
      subnetSpecs: [{ type: "Isolated", name: "isolated", cidrMask: 20 }],
      natGateways: { strategy: "None" },
      // Private DNS on the interface endpoints needs both.
      enableDnsHostnames: true,
      enableDnsSupport: true,
    }, { parent: this });
    this.vpcId = vpc.vpcId;
    this.isolatedSubnetIds = vpc.isolatedSubnetIds;
    this.routeTableIds = vpc.routeTables.apply((tables) => pulumi.all((tables ?? []).map((table) => table.id)));

    const group = (role: string, description: string) => new aws.ec2.SecurityGroup(`${name}-${role}-sg`, {
      vpcId: vpc.vpcId,
      description,
      // Rules are separate resources below; these groups start with no rule at all (not even AWS's default egress).
      revokeRulesOnDelete: true,
      tags: { Name: `${name}-${role}` },
    }, { parent: this });
    const vpcLink = group("vpc-link", "API Gateway VPC link: may only reach the ALB listener");
    const alb = group("alb", "Internal ALB: admits the VPC link only, forwards to the tasks only");
    const task = group("task", "Chat tasks: admit the ALB only, reach the AWS endpoints only");
    const endpoints = group("endpoints", "Interface endpoints: admit HTTPS from the tasks only");

    this.allow(`${name}-vpc-link-to-alb`, {
      from: vpcLink, to: alb, port: ALB_LISTENER_PORT, purpose: "API requests",
    });
    this.allow(`${name}-alb-to-task`, {
      from: alb, to: task, port: args.containerPort, purpose: "Requests and health checks",
    });
    this.allow(`${name}-task-to-endpoints`, {
      from: task, to: endpoints, port: HTTPS_PORT, purpose: "ECR, logs and Bedrock calls",
    });
    // Image layers come from S3: a gateway endpoint (free) on the VPC's route tables, which are all isolated ones.
    // Its policy admits the region's ECR layer bucket only, from its creation on, so the first tasks can pull.
    const s3 = new aws.ec2.VpcEndpoint(`${name}-s3-endpoint`, {
      vpcId: vpc.vpcId,
      serviceName: serviceName("s3"),
      vpcEndpointType: "Gateway",
      routeTableIds: this.routeTableIds,
      policy: ecrLayersEndpointPolicy(args.partition, args.region),
      tags: { Name: `${name}-s3` },
    }, { parent: this });
    new aws.vpc.SecurityGroupEgressRule(`${name}-task-to-s3`, {
      securityGroupId: task.id,
      description: "Image layers from S3 through the gateway endpoint",
      ipProtocol: "tcp",
      fromPort: HTTPS_PORT,
      toPort: HTTPS_PORT,
      prefixListId: s3.prefixListId,
    }, { parent: this });

    const endpointIds = {} as Record<(typeof INTERFACE_ENDPOINT_SERVICES)[number], pulumi.Output<string>>;
    for (const service of INTERFACE_ENDPOINT_SERVICES) {
      endpointIds[service] = new aws.ec2.VpcEndpoint(`${name}-${service.replace(".", "-")}-endpoint`, {
        vpcId: vpc.vpcId,
        serviceName: serviceName(service),
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: vpc.isolatedSubnetIds,
        securityGroupIds: [endpoints.id],
        tags: { Name: `${name}-${service}` },
      }, { parent: this }).id;
    }
    this.endpointIds = endpointIds;

    this.securityGroupIds = { vpcLink: vpcLink.id, alb: alb.id, task: task.id, endpoints: endpoints.id };
    this.registerOutputs({
      vpcId: this.vpcId,
      isolatedSubnetIds: this.isolatedSubnetIds,
      securityGroupIds: this.securityGroupIds,
    });
  }

  /** Opens one TCP port from one group to another: the egress rule on the source and the ingress rule on the target. */
  private allow(name: string, hop: Hop): void {
    const rule = { ipProtocol: "tcp", fromPort: hop.port, toPort: hop.port, description: hop.purpose };
    new aws.vpc.SecurityGroupEgressRule(`${name}-egress`, {
      ...rule,
      securityGroupId: hop.from.id,
      referencedSecurityGroupId: hop.to.id,
    }, { parent: this });
    new aws.vpc.SecurityGroupIngressRule(`${name}-ingress`, {
      ...rule,
      securityGroupId: hop.to.id,
      referencedSecurityGroupId: hop.from.id,
    }, { parent: this });
  }
}
