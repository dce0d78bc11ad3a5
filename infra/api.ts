import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import {
  GATEWAY_API_KEY_ID_HEADER, GATEWAY_REQUEST_ID_HEADER, HEALTH_PATH, STREAM_PATH,
} from "../app/src/runtime-contract";
import { ApiGatewayAccountLogging, accessLogFormat, type IssuedKey, UsagePlans } from "./api-access";
import type { StackConfig } from "./config";

/**
 * The public face: a Regional REST API whose two methods proxy over a VPC link (v2) to the internal ALB.
 *
 * Backend paths: for private integrations API Gateway puts the stage name in front of the path it sends to the
 * backend (API Gateway developer guide, "Private integrations for REST APIs"), so a call to <stage URL>/stream may
 * reach the app as `/v1/stream` rather than `/stream`. The integration URIs name `/health` and `/stream`, and the
 * container gets STAGE_PREFIX=<stage>, so the app answers on both forms, whichever one API Gateway sends.
 */

export interface Route {
  readonly path: string;
  readonly httpMethod: "GET" | "POST";
  /** STREAM relays the body as the app writes it; BUFFERED (the default mode) waits for the whole response. */
  readonly responseTransferMode: "STREAM" | "BUFFERED";
  readonly timeoutMilliseconds: number;
}

export const ROUTES: readonly Route[] = [
  // Set explicitly: once STREAM was set on an integration, leaving the field out does not revert it.
  { path: HEALTH_PATH, httpMethod: "GET", responseTransferMode: "BUFFERED", timeoutMilliseconds: 29_000 },
  // 15 minutes, the most API Gateway allows a streamed response.
  { path: STREAM_PATH, httpMethod: "POST", responseTransferMode: "STREAM", timeoutMilliseconds: 900_000 },
];

export type ApiSettings = Pick<StackConfig,
  "stageName" | "apiKeyRequired" | "throttleRateLimit" | "throttleBurstLimit" | "dailyQuota" | "logRetentionDays" |
  "manageApiGatewayAccount" | "partition">;

export interface StreamingApiArgs {
  readonly settings: ApiSettings;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly vpcLinkSecurityGroupId: pulumi.Input<string>;
  readonly loadBalancerArn: pulumi.Input<string>;
  readonly loadBalancerDnsName: pulumi.Input<string>;
  /** The API keys (api-access.ts), each bound to the stage by its own usage plan; with `apiKeyRequired` only. */
  readonly keys?: readonly IssuedKey[];
}

export class StreamingApi extends pulumi.ComponentResource {
  /** Stage URL, e.g. https://abc123.execute-api.us-east-1.amazonaws.com/v1 */
  public readonly url: pulumi.Output<string>;
  /** Dimensions of API Gateway's CloudWatch metrics (monitoring.ts). */
  public readonly apiName: pulumi.Output<string>;
  public readonly stageName: pulumi.Output<string>;

  constructor(name: string, args: StreamingApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:api:StreamingApi", name, {}, opts);
    const { settings } = args;

    const vpcLink = new aws.apigatewayv2.VpcLink(`${name}-vpc-link`, {
      subnetIds: args.subnetIds,
      securityGroupIds: [args.vpcLinkSecurityGroupId],
    }, { parent: this });
    const restApi = new aws.apigateway.RestApi(`${name}-api`, {
      description: "Streaming chat API (private backend over a VPC link)",
      endpointConfiguration: { types: "REGIONAL" },
      apiKeySource: "HEADER",
    }, { parent: this });

    const definitions = ROUTES.map((route): RouteDefinition => {
      const slug = route.path.replace(/^\//, "");
      const resource = new aws.apigateway.Resource(`${name}-${slug}`, {
        restApi: restApi.id,
        parentId: restApi.rootResourceId,
        pathPart: slug,
      }, { parent: this });
      const methodArgs: aws.apigateway.MethodArgs = {
        restApi: restApi.id,
        resourceId: resource.id,
        httpMethod: route.httpMethod,
        authorization: "NONE",
        apiKeyRequired: settings.apiKeyRequired,
      };
      const method = new aws.apigateway.Method(`${name}-${slug}-method`, methodArgs, { parent: this });
      const integrationArgs: aws.apigateway.IntegrationArgs = {
        restApi: restApi.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: "HTTP_PROXY",
        integrationHttpMethod: route.httpMethod,
        connectionType: "VPC_LINK",
        connectionId: vpcLink.id,
        integrationTarget: args.loadBalancerArn,
        uri: pulumi.interpolate`http://${args.loadBalancerDnsName}${route.path}`,
        responseTransferMode: route.responseTransferMode,
        timeoutMilliseconds: route.timeoutMilliseconds,
        requestParameters: integrationHeaders,
      };
      const integration = new aws.apigateway.Integration(`${name}-${slug}-integration`, integrationArgs, {
        parent: this,
      });
      return { path: route.path, methodArgs, integrationArgs, resources: [resource, method, integration] };
    });

    const deployment = new aws.apigateway.Deployment(`${name}-deployment`, {
      restApi: restApi.id,
      triggers: { redeployment: routeFingerprint(definitions) },
    }, { parent: this, dependsOn: definitions.flatMap((d) => d.resources) });

    const logging = settings.manageApiGatewayAccount
      ? new ApiGatewayAccountLogging(`${name}-cloudwatch`, { partition: settings.partition }, { parent: this })
      : undefined;
    const accessLogs = new aws.cloudwatch.LogGroup(`${name}-access-logs`, {
      retentionInDays: settings.logRetentionDays,
    }, { parent: this });
    // The group API Gateway writes execution logs to; made here so it has a retention and `pulumi destroy` removes it.
    const executionLogs = new aws.cloudwatch.LogGroup(`${name}-execution-logs`, {
      name: pulumi.interpolate`API-Gateway-Execution-Logs_${restApi.id}/${settings.stageName}`,
      retentionInDays: settings.logRetentionDays,
    }, { parent: this });

    const stage = new aws.apigateway.Stage(`${name}-stage`, {
      restApi: restApi.id,
      deployment: deployment.id,
      stageName: settings.stageName,
      accessLogSettings: { destinationArn: accessLogs.arn, format: JSON.stringify(accessLogFormat) },
    }, { parent: this, dependsOn: [executionLogs, ...(logging ? [logging] : [])] });
    new aws.apigateway.MethodSettings(`${name}-method-settings`, {
      restApi: restApi.id,
      stageName: stage.stageName,
      methodPath: "*/*",
      settings: {
        metricsEnabled: true,
        loggingLevel: "ERROR",
        dataTraceEnabled: false,
        throttlingRateLimit: settings.throttleRateLimit,
        throttlingBurstLimit: settings.throttleBurstLimit,
      },
    }, { parent: this });

    if (settings.apiKeyRequired && args.keys) {
      new UsagePlans(`${name}-plans`, { restApiId: restApi.id, stageName: stage.stageName, keys: args.keys }, {
        parent: this,
      });
    }

    this.url = stage.invokeUrl;
    this.apiName = restApi.name;
    this.stageName = stage.stageName;
    this.registerOutputs({ url: this.url });
  }
}

/**
 * Headers every integration sets from API Gateway's context, overwriting any value a client sent: its request id (for
 * the app's log line) and the id of the API key it validated (the app maps it to the key's name and token limits).
 */
export const integrationHeaders: Readonly<Record<string, string>> = {
  [`integration.request.header.${GATEWAY_REQUEST_ID_HEADER}`]: "context.requestId",
  [`integration.request.header.${GATEWAY_API_KEY_ID_HEADER}`]: "context.identity.apiKeyId",
};

export interface RouteDefinition {
  readonly path: string;
  readonly methodArgs: aws.apigateway.MethodArgs;
  readonly integrationArgs: aws.apigateway.IntegrationArgs;
  readonly resources: readonly pulumi.CustomResource[];
}

/**
 * The deployment's redeployment trigger. A REST API serves a snapshot (deployment) of its methods, so any change to
 * a method or integration needs a new one: this hash covers every route's full method and integration arguments and
 * the IDs of its resources, so such a change replaces the deployment (Pulumi creates the replacement first, the
 * stage moves over, then the old one is deleted).
 */
export function routeFingerprint(routes: readonly RouteDefinition[]): pulumi.Output<string> {
  return pulumi.jsonStringify(routes.map((route) => ({
    path: route.path,
    method: route.methodArgs,
    integration: route.integrationArgs,
    ids: route.resources.map((resource) => resource.id),
  }))).apply((json) => createHash("sha256").update(json).digest("hex"));
}
