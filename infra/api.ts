import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import {
  ApiGatewayAccountLogging, accessLogFormat, type IssuedKey, type LegacyKeyAliases, UsagePlans,
} from "./api-access";
import { apiRoutes, pathParametersOf, ROUTES, type RouteDefinition, routeFingerprint, slugOf } from "./api-routes";
import { EdgeAuthorizers } from "./authorizer";
import { edgeResponses } from "./edge-responses";
import { probeRoutes } from "./probe-routes";
import { notFoundIntegrationArgs, notFoundResponses, proxyIntegrationArgs } from "./route-integrations";
import type { StackConfig } from "./config";

/**
 * The public face: a Regional REST API whose methods (the route table, api-routes.ts) proxy over a VPC link (v2) to
 * the internal ALB, each behind the key authorizer for its header style when keys are required.
 *
 * Backend paths: for private integrations API Gateway puts the stage name in front of the path it sends to the
 * backend (API Gateway developer guide, "Private integrations for REST APIs"), so a call to <stage URL>/stream may
 * reach the app as `/v1/stream` rather than `/stream`. The integration URIs name each route's path, and the
 * container gets STAGE_PREFIX=<stage>, so the app answers on both forms, whichever one API Gateway sends.
 */

export type ApiSettings = Pick<StackConfig,
  "stageName" | "apiKeyRequired" | "throttleRateLimit" | "throttleBurstLimit" | "dailyQuota" | "logRetentionDays" |
  "manageApiGatewayAccount" | "partition" | "playground">;

export interface StreamingApiArgs {
  readonly settings: ApiSettings;
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  readonly vpcLinkSecurityGroupId: pulumi.Input<string>;
  readonly loadBalancerArn: pulumi.Input<string>;
  readonly loadBalancerDnsName: pulumi.Input<string>;
  /** The API keys (api-access.ts), each bound to the stage by its own usage plan; with `apiKeyRequired` only. */
  readonly keys?: readonly IssuedKey[];
  /** The earlier single key's resources, which the first key's plan takes over. */
  readonly legacyKeys?: LegacyKeyAliases;
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
      // The key comes from the authorizers (either header); without keys nothing reads one.
      apiKeySource: settings.apiKeyRequired ? "AUTHORIZER" : "HEADER",
    }, { parent: this });

    const authorizers = settings.apiKeyRequired
      ? new EdgeAuthorizers(`${name}-authorizer`, {
        restApiId: restApi.id,
        restApiExecutionArn: restApi.executionArn,
        bearerRoutes: ROUTES.filter((route) => route.key === "bearer").map((route) => route.path),
        eitherHeaderRoutes: ROUTES.filter((route) => route.key === "either").map((route) => route.path),
        logRetentionDays: settings.logRetentionDays,
      }, { parent: this })
      : undefined;

    /** One resource per path segment, shared by the routes below it (`/v1` for `/v1/messages` and its children). */
    const resources = new Map<string, aws.apigateway.Resource>();
    const resourceFor = (path: string): aws.apigateway.Resource => {
      const existing = resources.get(path);
      if (existing) return existing;
      const parent = path.lastIndexOf("/");
      const resource = new aws.apigateway.Resource(`${name}-${slugOf(path)}`, {
        restApi: restApi.id,
        parentId: parent === 0 ? restApi.rootResourceId : resourceFor(path.slice(0, parent)).id,
        pathPart: path.slice(parent + 1),
      }, { parent: this });
      resources.set(path, resource);
      return resource;
    };

    const backend = { vpcLinkId: vpcLink.id, loadBalancerArn: args.loadBalancerArn, loadBalancerDnsName: args.loadBalancerDnsName };
    const definitions = apiRoutes(settings).map(({ route, enabled }): RouteDefinition => {
      const slug = slugOf(route.path);
      const resource = resourceFor(route.path);
      const params = pathParametersOf(route.path);
      // A turned-off route answers its 404 to anyone: there is nothing behind it to protect.
      const authorizerId = enabled && authorizers && route.key !== "none" ? authorizers.ids[route.key] : undefined;
      const methodArgs: aws.apigateway.MethodArgs = {
        restApi: restApi.id,
        resourceId: resource.id,
        httpMethod: route.httpMethod,
        authorization: authorizerId ? "CUSTOM" : "NONE",
        ...(authorizerId ? { authorizerId } : {}),
        apiKeyRequired: authorizerId !== undefined,
        // `/models/{id}`: the method declares its path parameter, which the integration passes on.
        ...(params.length > 0 ? { requestParameters: Object.fromEntries(params.map((param) => [`method.request.path.${param}`, true])) } : {}),
      };
      const method = new aws.apigateway.Method(`${name}-${slug}-method`, methodArgs, { parent: this });
      const integrationArgs = enabled ? proxyIntegrationArgs(route, method, backend) : notFoundIntegrationArgs(method);
      // Turning a route off or on changes the integration's type, which replaces it. API Gateway has one integration
      // per method: created first, the new one would overwrite the old, whose deletion would then remove it.
      const integration = new aws.apigateway.Integration(`${name}-${slug}-integration`, integrationArgs, {
        parent: this, deleteBeforeReplace: true,
      });
      const notFound = enabled ? undefined : notFoundResponses(`${name}-${slug}`, route, method, integration, { parent: this });
      return {
        path: route.path, methodArgs, integrationArgs, responseArgs: notFound?.args,
        resources: [resource, method, integration, ...(notFound?.resources ?? [])],
      };
    });

    // GET/HEAD on the stage root and the paths clients probe: 200 from the edge (probe-routes.ts).
    const probes = probeRoutes(name, restApi.id, (path) => (path === "/"
      ? { id: restApi.rootResourceId, resources: [] }
      : { id: resourceFor(path).id, resources: [resourceFor(path)] }), { parent: this });
    const routes = [...definitions, ...probes];

    // API Gateway's own answers (refused key, throttle, unknown path) in a body every client family reads.
    const edge = edgeResponses(`${name}-edge`, restApi.id, { parent: this });
    const deployment = new aws.apigateway.Deployment(`${name}-deployment`, {
      restApi: restApi.id,
      triggers: {
        redeployment: routeFingerprint(routes, authorizers ? Object.values(authorizers.authorizerArgs) : []),
        edgeResponses: pulumi.jsonStringify(edge.args).apply((json) => createHash("sha256").update(json).digest("hex")),
      },
    }, {
      parent: this,
      dependsOn: [...routes.flatMap((d) => d.resources), ...edge.resources, ...(authorizers ? [authorizers] : [])],
    });

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
      new UsagePlans(`${name}-plans`, {
        restApiId: restApi.id, stageName: stage.stageName, keys: args.keys, legacy: args.legacyKeys,
      }, { parent: this });
    }

    this.url = stage.invokeUrl;
    this.apiName = restApi.name;
    this.stageName = stage.stageName;
    this.registerOutputs({ url: this.url });
  }
}

