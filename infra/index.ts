import * as pulumi from "@pulumi/pulumi";
import { CONTAINER_PORT, HEALTH_PATH, STREAM_PATH } from "../app/src/runtime-contract";
import { StreamingApi } from "./api";
import { loadStackConfig } from "./config";
import { AppImage } from "./image";
import { interfaceEndpointServiceNames, Network } from "./network";
import { ChatService } from "./service";
import { readPreviousDeployment, ZONES_OUTPUT } from "./stack-state";
import { chooseAvailabilityZones } from "./zones";

/**
 * One `pulumi up`: private network -> image -> Fargate service behind an internal ALB -> streaming REST API.
 * Every piece is a Pulumi resource, so `pulumi destroy` removes all of it.
 */
const CURL_JSON_BODY = `-H 'content-type: application/json' -d '{"message":"Write a haiku about streaming."}'`;

/** Async because the zones are looked up first (see zones.ts); Pulumi exports what the function returns. */
export = async () => {
  const settings = loadStackConfig();
  const previous = await readPreviousDeployment();
  const availabilityZones = await chooseAvailabilityZones({
    region: settings.region,
    configured: settings.availabilityZones,
    recorded: previous.availabilityZones,
    deployedUnrecorded: previous.deployed && !previous.availabilityZones,
    endpointServices: interfaceEndpointServiceNames(settings.region),
    configKey: `${pulumi.getProject()}:availabilityZones`,
  });

  const network = new Network("chat", {
    region: settings.region,
    availabilityZones,
    containerPort: CONTAINER_PORT,
  });

  const image = new AppImage("chat", { cpuArchitecture: settings.cpuArchitecture });

  const service = new ChatService("chat", {
    settings,
    vpcId: network.vpcId,
    subnetIds: network.isolatedSubnetIds,
    albSecurityGroupId: network.securityGroupIds.alb,
    taskSecurityGroupId: network.securityGroupIds.task,
    imageRef: image.imageRef,
    repositoryArn: image.repositoryArn,
    networkReady: network,
  });

  const api = new StreamingApi("chat", {
    settings,
    subnetIds: network.isolatedSubnetIds,
    vpcLinkSecurityGroupId: network.securityGroupIds.vpcLink,
    loadBalancerArn: service.loadBalancerArn,
    loadBalancerDnsName: service.loadBalancerDnsName,
  });

  const streamUrl = pulumi.interpolate`${api.url}${STREAM_PATH}`;
  return {
    /** Stage URL, e.g. https://abc123.execute-api.us-east-1.amazonaws.com/v1 */
    url: api.url,
    healthUrl: pulumi.interpolate`${api.url}${HEALTH_PATH}`,
    streamUrl,
    /** The API key (secret: `pulumi stack output apiKey --show-secrets`); absent when apiKeyRequired is false. */
    apiKey: api.apiKey,
    /** A ready-to-paste streaming request; secret when it embeds the key. */
    curlCommand: api.apiKey
      ? pulumi.secret(pulumi.interpolate`curl -sN ${streamUrl} -H 'x-api-key: ${api.apiKey}' ${CURL_JSON_BODY}`)
      : pulumi.interpolate`curl -sN ${streamUrl} ${CURL_JSON_BODY}`,
    /** The subnets' zones, recorded so every later `pulumi up` keeps them (see stack-state.ts). */
    [ZONES_OUTPUT]: pulumi.output(availabilityZones),
  };
};
