import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { buildSync } from "esbuild";
import * as path from "node:path";
import { BEARER_ROUTES_ENV, EITHER_HEADER_ROUTES_ENV } from "./authorizer-handler";
import { assumeRolePolicy } from "./iam";

/**
 * Edge authentication for both header styles against the same API keys and usage plans: one small Lambda function
 * (authorizer-handler.ts) behind two REQUEST authorizers, one whose identity source is `Authorization` (OpenAI
 * clients send `Bearer <key>`) and one whose identity source is `x-api-key`. Each authorizer caches its answers by
 * that header's value, so the function runs about once per key per cache period.
 *
 * Why two authorizers: a REQUEST authorizer with caching requires every identity source to be present, so one
 * authorizer listing both headers would demand both from every caller. The Anthropic routes, whose clients send
 * either header, get a third authorizer that caches nothing (an answer cached under one header would be reused
 * for a caller sending the other): the function runs once per request there.
 */

/** How long API Gateway reuses an authorizer's answer for the same key (seconds; API Gateway allows up to 3600). */
export const AUTHORIZER_CACHE_SECONDS = 300;
export const IDENTITY_SOURCES = {
  bearer: "method.request.header.Authorization",
  apiKey: "method.request.header.x-api-key",
  /**
   * `x-api-key`, else `Authorization: Bearer`, read by the function; uncached (see above). API Gateway refuses a
   * call whose identity sources are missing, and the provider fills in `Authorization` when none is given, so the
   * source is one every request has.
   */
  either: "context.requestId",
} as const;
export type KeyHeader = keyof typeof IDENTITY_SOURCES;

const HANDLER_SOURCE = path.join(__dirname, "authorizer-handler.ts");

/** The handler bundled into one CommonJS file for the Lambda Node.js runtime (nothing to install there). */
export function bundleAuthorizer(): string {
  const result = buildSync({
    entryPoints: [HANDLER_SOURCE],
    bundle: true,
    platform: "node",
    target: "node22",
    format: "cjs",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

export interface EdgeAuthorizersArgs {
  readonly restApiId: pulumi.Input<string>;
  readonly restApiExecutionArn: pulumi.Input<string>;
  /** Resource paths whose callers identify with `Authorization: Bearer <key>`. */
  readonly bearerRoutes: readonly string[];
  /** Resource paths whose callers identify with `x-api-key` or, without it, `Authorization: Bearer <key>`. */
  readonly eitherHeaderRoutes: readonly string[];
  readonly logRetentionDays: number;
}

export class EdgeAuthorizers extends pulumi.ComponentResource {
  /** Authorizer id per header style. */
  public readonly ids: Record<KeyHeader, pulumi.Output<string>>;
  /** Everything a deployment must be re-created for when it changes (the authorizers' own settings). */
  public readonly authorizerArgs: Record<KeyHeader, aws.apigateway.AuthorizerArgs>;

  constructor(name: string, args: EdgeAuthorizersArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:api:EdgeAuthorizers", name, {}, opts);

    const logGroup = new aws.cloudwatch.LogGroup(`${name}-logs`, {
      retentionInDays: args.logRetentionDays,
    }, { parent: this });
    const role = new aws.iam.Role(`${name}-role`, {
      description: "Lets the API's key authorizer write its own logs, and nothing else",
      assumeRolePolicy: assumeRolePolicy("lambda.amazonaws.com"),
    }, { parent: this });
    const logPolicy = new aws.iam.RolePolicy(`${name}-write-logs`, {
      role: role.id,
      policy: logGroup.arn.apply((arn) => JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [`${arn}:log-stream:*`],
        }],
      })),
    }, { parent: this });

    const fn = new aws.lambda.Function(`${name}-function`, {
      description: "API Gateway authorizer: passes the caller's API key (Bearer or x-api-key) on as usageIdentifierKey",
      runtime: aws.lambda.Runtime.NodeJS22dX,
      architectures: ["arm64"],
      handler: "index.handler",
      code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundleAuthorizer()) }),
      role: role.arn,
      memorySize: 128,
      timeout: 3,
      environment: {
        variables: { [BEARER_ROUTES_ENV]: args.bearerRoutes.join(","), [EITHER_HEADER_ROUTES_ENV]: args.eitherHeaderRoutes.join(",") },
      },
      loggingConfig: { logFormat: "JSON", logGroup: logGroup.name, applicationLogLevel: "WARN", systemLogLevel: "WARN" },
    }, { parent: this, dependsOn: [logPolicy] });

    const authorizer = (header: KeyHeader) => {
      const authorizerArgs: aws.apigateway.AuthorizerArgs = {
        restApi: args.restApiId,
        name: `${name}-${header}`,
        type: "REQUEST",
        authorizerUri: fn.invokeArn,
        identitySource: IDENTITY_SOURCES[header],
        authorizerResultTtlInSeconds: header === "either" ? 0 : AUTHORIZER_CACHE_SECONDS,
      };
      const resource = new aws.apigateway.Authorizer(`${name}-${header}`, authorizerArgs, { parent: this });
      new aws.lambda.Permission(`${name}-${header}-invoke`, {
        action: "lambda:InvokeFunction",
        function: fn.name,
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${args.restApiExecutionArn}/authorizers/${resource.id}`,
      }, { parent: this });
      return { id: resource.id, authorizerArgs };
    };
    const bearer = authorizer("bearer");
    const apiKey = authorizer("apiKey");
    const either = authorizer("either");
    this.ids = { bearer: bearer.id, apiKey: apiKey.id, either: either.id };
    this.authorizerArgs = { bearer: bearer.authorizerArgs, apiKey: apiKey.authorizerArgs, either: either.authorizerArgs };
    this.registerOutputs({ ids: this.ids });
  }
}
