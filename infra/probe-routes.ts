import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { type RouteDefinition, slugOf } from "./api-routes";
import { fixedIntegrationArgs, fixedResponses } from "./route-integrations";

/**
 * The stage root and the paths clients probe before their first call: Claude Code sends `HEAD <base URL>/api/hello`
 * and checks its base URL, and clients given `<stage URL>/v1` as their base probe that. Without methods there, API
 * Gateway answers 403 `Missing Authentication Token` to a probe, which clients read as a broken gateway. Each path
 * answers GET and HEAD with 200 `{"status":"ok"}` (what the app answers on the same paths in local mode), from a MOCK
 * at the edge: no key is needed and nothing reaches the tasks, so a probe is neither metered nor a way in.
 */

export const PROBE_PATHS = ["/", "/v1", "/api/hello", "/v1/api/hello"] as const;
export const PROBE_METHODS = ["GET", "HEAD"] as const;
export const PROBE_STATUS = "200";
export const PROBE_BODY = JSON.stringify({ status: "ok" });

/** Where a path's methods attach: its resource's id, and the resources a deployment must wait for. */
export type ResourceOf = (path: string) => { id: pulumi.Input<string>; resources: pulumi.CustomResource[] };

/** The probes' methods, MOCK integrations and 200 responses, as route definitions for the deployment's trigger. */
export function probeRoutes(
  name: string, restApiId: pulumi.Input<string>, resourceOf: ResourceOf, opts: pulumi.CustomResourceOptions,
): RouteDefinition[] {
  return PROBE_PATHS.flatMap((path) => PROBE_METHODS.map((httpMethod): RouteDefinition => {
    const slug = `${path === "/" ? "root" : slugOf(path)}-${httpMethod.toLowerCase()}`;
    const resource = resourceOf(path);
    const methodArgs: aws.apigateway.MethodArgs = {
      restApi: restApiId, resourceId: resource.id, httpMethod, authorization: "NONE", apiKeyRequired: false,
    };
    const method = new aws.apigateway.Method(`${name}-${slug}-method`, methodArgs, opts);
    const integrationArgs = fixedIntegrationArgs(method, PROBE_STATUS);
    const integration = new aws.apigateway.Integration(`${name}-${slug}-integration`, integrationArgs, opts);
    const ok = fixedResponses(`${name}-${slug}`, "ok", method, integration, PROBE_STATUS, PROBE_BODY, opts);
    return {
      path, methodArgs, integrationArgs, responseArgs: ok.args,
      resources: [...resource.resources, method, integration, ...ok.resources],
    };
  }));
}
