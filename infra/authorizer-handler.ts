import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from "aws-lambda";

/**
 * The edge authorizer's Lambda function (bundled by infra/authorizer.ts): it hands API Gateway the caller's API key
 * as `usageIdentifierKey`, and API Gateway (API key source AUTHORIZER) checks that key against the usage plans,
 * throttles and counts it exactly as it does for `x-api-key`. The function never sees the keys' list: an unknown
 * key is refused by API Gateway (a 401 `invalid_api_key`, edge-responses.ts), a missing one with a 401 before the
 * function runs.
 *
 * One function serves three authorizers: OpenAI routes identify the caller by `Authorization: Bearer <key>`, most
 * others by `x-api-key`. API Gateway caches each answer under the value of the route's identity header, so the key
 * must come from exactly that header: which routes take the bearer form is passed in `BEARER_ROUTES` (resource paths).
 * The Anthropic routes take either header, as the Anthropic SDKs send either (`apiKey` / `authToken`, Claude Code's
 * `ANTHROPIC_AUTH_TOKEN`): their authorizer caches nothing, so it may read `x-api-key` and fall back to the bearer
 * form (`EITHER_HEADER_ROUTES`). Nothing about the key is ever logged.
 */

/** The environment variable naming the resource paths whose identity header is `Authorization`. */
export const BEARER_ROUTES_ENV = "BEARER_ROUTES";
/** The environment variable naming the resource paths that take `x-api-key` or, without it, `Authorization`. */
export const EITHER_HEADER_ROUTES_ENV = "EITHER_HEADER_ROUTES";

/** Which routes read which header (resource paths); every other route reads `x-api-key`. */
export interface KeyRoutes {
  readonly bearer: ReadonlySet<string>;
  readonly either: ReadonlySet<string>;
}
/** Longer than any API Gateway key (20-128 characters); anything longer is not worth a lookup. */
const MAX_KEY_LENGTH = 128;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Thrown to make API Gateway answer 401 Unauthorized (the message must be exactly this). */
const unauthorized = () => new Error("Unauthorized");

function header(event: APIGatewayRequestAuthorizerEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const found = Object.keys(headers).find((key) => key.toLowerCase() === name);
  return found === undefined ? undefined : headers[found];
}

/** The caller's key, read from the route's identity header; undefined when it is absent or malformed. */
export function apiKeyOf(event: APIGatewayRequestAuthorizerEvent, routes: KeyRoutes): string | undefined {
  const bearer = () => BEARER.exec(header(event, "authorization") ?? "")?.[1];
  const apiKey = () => header(event, "x-api-key")?.trim() || undefined;
  const key = routes.bearer.has(event.resource) ? bearer()
    : routes.either.has(event.resource) ? (apiKey() ?? bearer())
    : apiKey();
  return key && key.length <= MAX_KEY_LENGTH ? key : undefined;
}

/**
 * `arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>` -> every method of that stage. The answer
 * is cached per key and reused for every route behind the same authorizer, so it must allow all of them.
 */
export function stageWildcard(methodArn: string): string {
  const [api, stage] = methodArn.split("/");
  return `${api}/${stage}/*/*`;
}

export function authorize(event: APIGatewayRequestAuthorizerEvent, routes: KeyRoutes): APIGatewayAuthorizerResult {
  const key = apiKeyOf(event, routes);
  if (!key) throw unauthorized();
  return {
    principalId: "api-key",
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: stageWildcard(event.methodArn) }],
    },
    usageIdentifierKey: key,
  };
}

const pathsIn = (name: string) => new Set((process.env[name] ?? "").split(",").filter(Boolean));
const keyRoutes: KeyRoutes = { bearer: pathsIn(BEARER_ROUTES_ENV), either: pathsIn(EITHER_HEADER_ROUTES_ENV) };

/** The Lambda entry point. */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  return authorize(event, keyRoutes);
}
