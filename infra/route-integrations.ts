import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { GATEWAY_API_KEY_ID_HEADER, GATEWAY_REQUEST_ID_HEADER } from "../app/src/runtime-contract";
import { pathParametersOf, type Route } from "./api-routes";
import { edgeErrorTemplate } from "./edge-responses";

/**
 * What each route's method sends on: an HTTP_PROXY integration over the VPC link to the ALB when the route is
 * enabled, or a fixed 404 (a MOCK integration) when the stack has turned it off; and the fixed answers themselves
 * (also the probes' 200, probe-routes.ts).
 */

/**
 * The headers that carry a caller's raw API key: `x-api-key` (curl, Anthropic clients) and `Authorization: Bearer`
 * (OpenAI clients). The authorizers read them at the edge; past it the app needs only the key's id, so every
 * integration overwrites both with {@link REDACTED_KEY_VALUE} and no key value crosses the VPC link to the ALB's
 * plain-HTTP listener (or any log behind it). A REST integration cannot remove a header, only set it.
 */
export const RAW_KEY_HEADERS = ["x-api-key", "Authorization"] as const;
export const REDACTED_KEY_VALUE = "redacted-at-the-edge";

/**
 * Header mappings every integration sets, overwriting anything a client sent: API Gateway's request id (for the app's
 * log line), the id of the API key it validated (the app maps it to the key's name and token limits), and the raw
 * key headers, replaced by a constant (single quotes make a static value).
 */
export const integrationHeaders: Readonly<Record<string, string>> = {
  [`integration.request.header.${GATEWAY_REQUEST_ID_HEADER}`]: "context.requestId",
  [`integration.request.header.${GATEWAY_API_KEY_ID_HEADER}`]: "context.identity.apiKeyId",
  ...Object.fromEntries(RAW_KEY_HEADERS.map((header) => [`integration.request.header.${header}`, `'${REDACTED_KEY_VALUE}'`])),
};

export interface Backend {
  readonly vpcLinkId: pulumi.Input<string>;
  readonly loadBalancerArn: pulumi.Input<string>;
  readonly loadBalancerDnsName: pulumi.Input<string>;
}

/** The integration of an enabled route: its path on the ALB, streamed or buffered as the route says. */
export function proxyIntegrationArgs(
  route: Route, method: aws.apigateway.Method, backend: Backend,
): aws.apigateway.IntegrationArgs {
  return {
    restApi: method.restApi,
    resourceId: method.resourceId,
    httpMethod: method.httpMethod,
    type: "HTTP_PROXY",
    integrationHttpMethod: route.httpMethod,
    connectionType: "VPC_LINK",
    connectionId: backend.vpcLinkId,
    integrationTarget: backend.loadBalancerArn,
    uri: pulumi.interpolate`http://${backend.loadBalancerDnsName}${route.path}`,
    responseTransferMode: route.responseTransferMode,
    timeoutMilliseconds: route.timeoutMilliseconds,
    // `{id}` in the URI is filled from the method's path parameter of that name.
    requestParameters: {
      ...integrationHeaders,
      ...Object.fromEntries(pathParametersOf(route.path).map((param) => [`integration.request.path.${param}`, `method.request.path.${param}`])),
    },
  };
}

/** The 404 a turned-off route answers, in the body every client family reads (edge-responses.ts). */
export const NOT_FOUND_STATUS = "404";
export const notFoundBody = (path: string) => edgeErrorTemplate({
  type: "not_found_error", code: "not_found", message: `${path} is not enabled on this stack`,
});

/** An integration that answers by itself, with `statusCode`: a MOCK whose only (default) response is that status. */
export function fixedIntegrationArgs(method: aws.apigateway.Method, statusCode: string): aws.apigateway.IntegrationArgs {
  return {
    restApi: method.restApi,
    resourceId: method.resourceId,
    httpMethod: method.httpMethod,
    type: "MOCK",
    // Without a Content-Type API Gateway takes application/json; any other type passes through to the same answer.
    requestTemplates: { "application/json": `{"statusCode": ${statusCode}}` },
    passthroughBehavior: "WHEN_NO_MATCH",
  };
}

/** The method and integration responses a fixed answer needs (`name`-`part` and `name`-`part`-response). */
export function fixedResponses(
  name: string, part: string, method: aws.apigateway.Method, integration: aws.apigateway.Integration, statusCode: string,
  body: string, opts: pulumi.CustomResourceOptions,
): { resources: pulumi.CustomResource[]; args: aws.apigateway.IntegrationResponseArgs } {
  const at = { restApi: method.restApi, resourceId: method.resourceId, httpMethod: method.httpMethod, statusCode };
  const methodResponse = new aws.apigateway.MethodResponse(`${name}-${part}`, at, opts);
  const args: aws.apigateway.IntegrationResponseArgs = { ...at, responseTemplates: { "application/json": body } };
  const integrationResponse = new aws.apigateway.IntegrationResponse(`${name}-${part}-response`, args, {
    ...opts, dependsOn: [integration, methodResponse],
  });
  return { resources: [methodResponse, integrationResponse], args };
}

/** The integration of a turned-off route: a MOCK whose only (default) response is the 404. */
export const notFoundIntegrationArgs = (method: aws.apigateway.Method) => fixedIntegrationArgs(method, NOT_FOUND_STATUS);

/** The method and integration responses the MOCK's 404 needs; returned for the deployment to depend on. */
export function notFoundResponses(
  name: string, route: Route, method: aws.apigateway.Method, integration: aws.apigateway.Integration,
  opts: pulumi.CustomResourceOptions,
): { resources: pulumi.CustomResource[]; args: aws.apigateway.IntegrationResponseArgs } {
  return fixedResponses(name, "not-found", method, integration, NOT_FOUND_STATUS, notFoundBody(route.path), opts);
}
