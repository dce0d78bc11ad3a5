import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import {
  ANTHROPIC_MODEL_PATH, ANTHROPIC_MODELS_PATH, CHAT_COMPLETIONS_PATH, COUNT_TOKENS_PATH, EMBEDDINGS_PATH, HEALTH_PATH, MESSAGES_PATH, MODEL_PATH, MODELS_PATH,
  PLAYGROUND_PATH, RESPONSES_PATH, STREAM_PATH, USAGE_PATH,
} from "../app/src/runtime-contract";
import type { KeyHeader } from "./authorizer";
import type { StackConfig } from "./config";

/**
 * The API's route table and what follows from it alone: each route's part of its resources' names and the
 * fingerprint that redeploys the stage when a route's definition changes. Pure data and functions, no resources;
 * StreamingApi (api.ts) turns the routes into methods and integrations.
 */

export interface Route {
  readonly path: string;
  readonly httpMethod: "GET" | "POST";
  /** STREAM relays the body as the app writes it; BUFFERED (the default mode) waits for the whole response. */
  readonly responseTransferMode: "STREAM" | "BUFFERED";
  readonly timeoutMilliseconds: number;
  /**
   * Where the caller's API key comes from when keys are required: `bearer` (`Authorization: Bearer <key>`, what
   * OpenAI clients send), `apiKey` (`x-api-key`, what curl users send), `either` (`x-api-key` or the bearer form:
   * the Anthropic SDKs and Claude Code send one or the other), or `none` (a public route such as a page, served
   * without a key).
   */
  readonly key: KeyHeader | "none";
}

/** 15 minutes, the most API Gateway allows a streamed response. */
const STREAM_TIMEOUT_MS = 900_000;
/** API Gateway's default for buffered integrations. */
const BUFFERED_TIMEOUT_MS = 29_000;

const streamed = (httpMethod: Route["httpMethod"], path: string, key: Route["key"]): Route =>
  ({ path, httpMethod, responseTransferMode: "STREAM", timeoutMilliseconds: STREAM_TIMEOUT_MS, key });
// Set explicitly: once STREAM was set on an integration, leaving the field out does not revert it.
const buffered = (httpMethod: Route["httpMethod"], path: string, key: Route["key"]): Route =>
  ({ path, httpMethod, responseTransferMode: "BUFFERED", timeoutMilliseconds: BUFFERED_TIMEOUT_MS, key });

/** Every gateway route: what the app serves under the stage. Streamed wherever the app may stream its answer. */
export const ROUTES: readonly Route[] = [
  buffered("GET", HEALTH_PATH, "apiKey"),
  streamed("POST", STREAM_PATH, "apiKey"),
  streamed("POST", CHAT_COMPLETIONS_PATH, "bearer"),
  buffered("GET", MODELS_PATH, "bearer"),
  buffered("GET", MODEL_PATH, "bearer"),
  buffered("POST", EMBEDDINGS_PATH, "bearer"),
  streamed("POST", RESPONSES_PATH, "bearer"),
  streamed("POST", MESSAGES_PATH, "either"),
  buffered("POST", COUNT_TOKENS_PATH, "either"),
  // Anthropic's Models API (`client.models`): keyed like the other Anthropic routes.
  buffered("GET", ANTHROPIC_MODELS_PATH, "either"),
  buffered("GET", ANTHROPIC_MODEL_PATH, "either"),
  buffered("GET", USAGE_PATH, "apiKey"),
];

/**
 * The browser playground, only when the stack sets `playground: true`. A browser cannot add a key to a page load,
 * so the page itself needs none; the page's own calls send the key the user typed, and are checked as usual.
 */
export const PLAYGROUND_ROUTE = buffered("GET", PLAYGROUND_PATH, "none");

/** A route of the API and whether this stack serves it. */
export interface RouteState {
  readonly route: Route;
  readonly enabled: boolean;
}

/**
 * Every route the API has, and whether the stack serves it. A route the configuration can turn off keeps its method
 * when off, answering a fixed 404 (route-integrations.ts): Pulumi deletes removed resources only at the end of an
 * update, after the new deployment took its snapshot, so a removed method would stay served until some later
 * redeployment. Switching the integration instead changes it before the deployment that the change re-creates.
 */
export function apiRoutes(settings: Pick<StackConfig, "playground">): readonly RouteState[] {
  return [
    ...ROUTES.map((route) => ({ route, enabled: true })),
    { route: PLAYGROUND_ROUTE, enabled: settings.playground },
  ];
}

/** `/v1/messages/count_tokens` -> `v1-messages-count_tokens`: the route's part of its resources' names. */
export const slugOf = (path: string) => path.replace(/^\//, "").replace(/\//g, "-").replace(/[{}]/g, "");

/** `/models/{id}` -> `["id"]`: the path parameters of a route, which its method declares and its integration passes on. */
export const pathParametersOf = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);

export interface RouteDefinition {
  readonly path: string;
  readonly methodArgs: aws.apigateway.MethodArgs;
  readonly integrationArgs: aws.apigateway.IntegrationArgs;
  /** A turned-off route's fixed answer (its integration response). */
  readonly responseArgs?: aws.apigateway.IntegrationResponseArgs;
  readonly resources: readonly pulumi.CustomResource[];
}

/**
 * The deployment's redeployment trigger. A REST API serves a snapshot (deployment) of its methods, so any change to
 * a method, an integration or an authorizer needs a new one: this hash covers every route's full method and
 * integration arguments, the IDs of its resources and every authorizer's arguments, so such a change replaces the
 * deployment (Pulumi creates the replacement first, the stage moves over, then the old one is deleted).
 */
export function routeFingerprint(
  routes: readonly RouteDefinition[],
  authorizers: readonly aws.apigateway.AuthorizerArgs[] = [],
): pulumi.Output<string> {
  return pulumi.jsonStringify({
    routes: routes.map((route) => ({
      path: route.path,
      method: route.methodArgs,
      integration: route.integrationArgs,
      response: route.responseArgs,
      ids: route.resources.map((resource) => resource.id),
    })),
    authorizers,
  }).apply((json) => createHash("sha256").update(json).digest("hex"));
}
