import * as pulumi from "@pulumi/pulumi";
import { ANONYMOUS } from "../app/src/usage/key-schema";
import { CONTAINER_PORT, HEALTH_PATH, PLAYGROUND_PATH, STREAM_PATH, USAGE_PATH } from "../app/src/runtime-contract";
import { StreamingApi } from "./api";
import { ApiKeys, keySpecs, legacyKeyAliases } from "./api-access";
import { loadStackConfig } from "./config";
import { AppImage } from "./image";
import { Monitoring } from "./monitoring";
import { interfaceEndpointServiceNames, Network } from "./network";
import { ChatService } from "./service";
import { readPreviousDeployment, ZONES_OUTPUT } from "./stack-state";
import { UsageStore } from "./usage";
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
    allowChange: settings.allowAvailabilityZoneChange,
    changeKey: `${pulumi.getProject()}:allowAvailabilityZoneChange`,
  });

  const network = new Network("chat", {
    region: settings.region,
    partition: settings.partition,
    availabilityZones,
    containerPort: CONTAINER_PORT,
  });

  const image = new AppImage("chat", { cpuArchitecture: settings.cpuArchitecture });

  // The keys exist first: the tasks' environment maps their ids to names and token limits, the API binds them to plans.
  // The first key takes over the single key of earlier versions (same value), which lived inside the API "chat".
  const legacyKeys = legacyKeyAliases("chat");
  const keys = settings.apiKeyRequired
    ? new ApiKeys("chat-key", { keys: keySpecs(settings.keys, settings), legacy: legacyKeys })
    : undefined;
  const usage = new UsageStore("chat-usage", {
    region: settings.region,
    vpcId: network.vpcId,
    routeTableIds: network.routeTableIds,
    taskSecurityGroupId: network.securityGroupIds.task,
  });

  const service = new ChatService("chat", {
    settings,
    vpcId: network.vpcId,
    subnetIds: network.isolatedSubnetIds,
    albSecurityGroupId: network.securityGroupIds.alb,
    taskSecurityGroupId: network.securityGroupIds.task,
    imageRef: image.imageRef,
    repositoryArn: image.repositoryArn,
    networkReady: network,
    bedrockEndpointId: network.endpointIds["bedrock-runtime"],
    usage: {
      tableName: usage.tableName,
      tableArn: usage.tableArn,
      apiKeysJson: keys?.appKeysJson ?? "{}",
      networkReady: usage.networkReady,
    },
  });

  const api = new StreamingApi("chat", {
    settings,
    subnetIds: network.isolatedSubnetIds,
    vpcLinkSecurityGroupId: network.securityGroupIds.vpcLink,
    loadBalancerArn: service.loadBalancerArn,
    loadBalancerDnsName: service.loadBalancerDnsName,
    keys: keys?.keys,
    legacyKeys,
  });

  const monitoring = new Monitoring("chat-monitoring", {
    region: settings.region,
    partition: settings.partition,
    namespace: settings.metricsNamespace,
    apiName: api.apiName,
    stageName: api.stageName,
    loadBalancerArnSuffix: service.loadBalancerArnSuffix,
    targetGroupArnSuffix: service.targetGroupArnSuffix,
    clusterName: service.clusterName,
    serviceName: service.serviceName,
    maxCapacity: settings.maxCapacity,
    alarmEmail: settings.alarmEmail,
    fiveXxRatePercent: settings.alarmFiveXxRatePercent,
    ttftP90Ms: settings.alarmTtftP90Ms,
    keyNames: settings.apiKeyRequired ? settings.keys.map((key) => key.name) : [ANONYMOUS],
    runawaySpend: { factor: settings.alarmRunawaySpendFactor, floorUsd: settings.alarmRunawaySpendFloorUsd },
  });
  // The first configured key's value, for the ready-made curl command (the default stack has just that one).
  const apiKey = keys ? keys.keys[0].value : undefined;

  const streamUrl = pulumi.interpolate`${api.url}${STREAM_PATH}`;
  return {
    /** Stage URL, e.g. https://abc123.execute-api.us-east-1.amazonaws.com/v1 */
    url: api.url,
    healthUrl: pulumi.interpolate`${api.url}${HEALTH_PATH}`,
    streamUrl,
    usageUrl: pulumi.interpolate`${api.url}${USAGE_PATH}`,
    /** Every key's value by name (secret: `pulumi stack output apiKeys --show-secrets`); absent without keys. */
    apiKeys: keys?.values,
    /** The first key's value (secret), as before the key list; absent when apiKeyRequired is false. */
    apiKey,
    /** A ready-to-paste streaming request; secret when it embeds the key. */
    curlCommand: apiKey
      ? pulumi.secret(pulumi.interpolate`curl -sN ${streamUrl} -H 'x-api-key: ${apiKey}' ${CURL_JSON_BODY}`)
      : pulumi.interpolate`curl -sN ${streamUrl} ${CURL_JSON_BODY}`,
    /** The browser playground, when the stack enables it (config key `playground`). */
    ...(settings.playground ? { playgroundUrl: pulumi.interpolate`${api.url}${PLAYGROUND_PATH}` } : {}),
    usageTableName: usage.tableName,
    dashboardUrl: monitoring.dashboardUrl,
    alarmTopicArn: monitoring.topicArn,
    /** The subnets' zones, recorded so every later `pulumi up` keeps them (see stack-state.ts). */
    [ZONES_OUTPUT]: pulumi.output(availabilityZones),
  };
};
