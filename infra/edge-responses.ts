import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The answers API Gateway gives on its own, before anything reaches the VPC: a missing or refused key, its usage-plan
 * throttle and quota, an unknown path, its own failures. By default their body is `{"message":"..."}`, which no
 * client family reads as an error of its own. Gateway response templates are per API and allow only variable
 * substitution (no branching on the route), so one body serves every route: it is at once Anthropic's
 * `{"type":"error","error":{type,message}}`, OpenAI's `{"error":{message,type,param,code}}` and the service's
 * `{"error":{code,message}}`, and keeps API Gateway's `message` for readers of its default body. Statuses stay API
 * Gateway's (401 missing key, 403 denied, 429 throttled), so every SDK raises its class for the status, except a
 * wrong key: API Gateway answers it 403 "Forbidden", where OpenAI and Anthropic answer 401, so their SDKs (and the
 * tools built on them, which prompt for a new key on `AuthenticationError` only) would not see a bad key.
 */

interface EdgeAnswer {
  /** `error.type`: a name OpenAI and Anthropic share wherever they have one. */
  readonly type: string;
  /** `error.code`, the service's vocabulary (`throttled` as for Bedrock's throttling). */
  readonly code: string;
  /** Seconds; set where waiting helps (the rate limit refills each second), so clients back off as for the app's 429s. */
  readonly retryAfterSeconds?: number;
  /** Replaces API Gateway's status, where client families expect another one. */
  readonly status?: number;
  /** Replaces API Gateway's message, where its own would contradict the status. */
  readonly message?: string;
}

/** The gateway response types this API shapes, by API Gateway's name; the DEFAULT_* ones cover all others. */
export const EDGE_ANSWERS: Readonly<Record<string, EdgeAnswer>> = {
  UNAUTHORIZED: { type: "authentication_error", code: "unauthorized" },
  INVALID_API_KEY: { type: "authentication_error", code: "invalid_api_key", status: 401, message: "Invalid API key" },
  ACCESS_DENIED: { type: "permission_error", code: "access_denied" },
  THROTTLED: { type: "rate_limit_error", code: "throttled", retryAfterSeconds: 1 },
  QUOTA_EXCEEDED: { type: "rate_limit_error", code: "quota_exceeded" },
  DEFAULT_4XX: { type: "invalid_request_error", code: "bad_request" },
  DEFAULT_5XX: { type: "api_error", code: "gateway_error" },
};

/** API Gateway's own message, already a quoted JSON string. */
const MESSAGE = "$context.error.messageString";

/** The `application/json` template of one answer (API Gateway substitutes {@link MESSAGE}). */
export function edgeErrorTemplate(answer: EdgeAnswer): string {
  const message = answer.message === undefined ? MESSAGE : JSON.stringify(answer.message);
  const error = `{"type":"${answer.type}","code":"${answer.code}","param":null,"message":${message}}`;
  return `{"type":"error","error":${error},"message":${message}}`;
}

/** One gateway response per {@link EDGE_ANSWERS} entry; its arguments too, for the deployment's trigger. */
export function edgeResponses(
  name: string,
  restApiId: pulumi.Input<string>,
  opts: pulumi.CustomResourceOptions,
): { resources: aws.apigateway.Response[]; args: aws.apigateway.ResponseArgs[] } {
  const args = Object.entries(EDGE_ANSWERS).map(([responseType, answer]): aws.apigateway.ResponseArgs => ({
    restApiId,
    responseType,
    responseTemplates: { "application/json": edgeErrorTemplate(answer) },
    ...(answer.status === undefined ? {} : { statusCode: String(answer.status) }),
    ...(answer.retryAfterSeconds === undefined
      ? {}
      : { responseParameters: { "gatewayresponse.header.Retry-After": `'${answer.retryAfterSeconds}'` } }),
  }));
  const resources = args.map((responseArgs) =>
    new aws.apigateway.Response(`${name}-${String(responseArgs.responseType).toLowerCase()}`, responseArgs, opts));
  return { resources, args };
}
