import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Logger } from "pino";
import type { AppConfig } from "../config";
import type { ServiceMetrics } from "../metrics/service-metrics";
import { UsageMeter } from "./meter";
import { UsageStore } from "./store";

/**
 * Timeouts of the usage store's client. The budget check runs before every Bedrock call of a key with limits, so a
 * slow or unreachable store must fail fast into the failure policy rather than hold the request: one retry, and
 * about a second per attempt (in-VPC DynamoDB answers in single-digit milliseconds).
 */
const STORE_CLIENT = { maxAttempts: 2, connectionTimeoutMs: 1000, requestTimeoutMs: 1500 } as const;

export interface UsageSetup {
  meter: UsageMeter;
  /** Releases the store client's sockets (only a client this module made). */
  dispose(): void;
}

/**
 * The usage meter for a configuration: with `USAGE_TABLE_NAME` set, backed by the table through the standard
 * DynamoDB client (region, credentials and `AWS_ENDPOINT_URL_DYNAMODB` as the SDK resolves them), else metering off.
 */
export function setUpUsage(
  config: AppConfig,
  deps: { logger: Logger; metrics: ServiceMetrics; dynamodb?: DynamoDBClient; clock?: () => Date },
): UsageSetup {
  const { usageTableName: tableName, apiKeys, usageStoreFailurePolicy: failurePolicy } = config;
  const ownClient = tableName !== undefined && !deps.dynamodb;
  const client =
    tableName === undefined
      ? undefined
      : (deps.dynamodb ??
        new DynamoDBClient({
          region: config.region,
          maxAttempts: STORE_CLIENT.maxAttempts,
          requestHandler: {
            connectionTimeout: STORE_CLIENT.connectionTimeoutMs,
            requestTimeout: STORE_CLIENT.requestTimeoutMs,
          },
        }));
  const meter = new UsageMeter({
    keys: apiKeys,
    store: client && tableName ? new UsageStore(client, tableName) : undefined,
    failurePolicy,
    metrics: deps.metrics,
    logger: deps.logger,
    clock: deps.clock,
  });
  return { meter, dispose: () => (ownClient ? client?.destroy() : undefined) };
}
