import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import pino, { type Logger } from "pino";
import type { AppConfig } from "../config";
import { leanClient } from "../lean-aws-client";
import type { MetricsSink } from "../metrics/emf";
import { ResilienceMetrics } from "../metrics/resilience-metrics";
import { ServiceMetrics } from "../metrics/service-metrics";
import { UsageMeter } from "./meter";
import { UsageStore } from "./store";
import { StreamLeases } from "./stream-leases";

/**
 * Timeouts of the usage store's client. The budget check runs before every Bedrock call of a key with limits, so a
 * slow or unreachable store must fail fast into the failure policy rather than hold the request: one retry, and
 * about a second per attempt (in-VPC DynamoDB answers in single-digit milliseconds). The handler's `requestTimeout`
 * only logs a warning unless `throwOnRequestTimeout` is set, and without a socket timeout a store that stops sending
 * mid-answer holds the request for ever: both are set.
 */
const STORE_CLIENT = { maxAttempts: 2, connectionTimeoutMs: 1000, requestTimeoutMs: 1000, socketTimeoutMs: 1000 } as const;
/**
 * How long shutdown keeps retrying charges the store refused. ECS kills the task STOP_TIMEOUT_SECONDS after SIGTERM,
 * 10 s after the grace period; the streams' last lines and the sockets take up to 4 s of those, a write in flight at
 * the deadline up to two attempts more: 3 s leaves the logs time to drain.
 */
export const SHUTDOWN_CHARGE_FLUSH_MS = 3000;
/** How often each task reports its open streams (CloudWatch's standard resolution is one minute). */
const OPEN_STREAMS_INTERVAL_MS = 60_000;

/** What tests replace: the store's client (their dynalite), where metric lines go, the budget windows' clock. */
export interface MeteringOverrides {
  dynamodb?: DynamoDBClient;
  /** By default the logger's own destination. */
  metricsSink?: MetricsSink;
  clock?: () => Date;
  /** Stream leases' life (stream-limiter.ts `LEASE_TTL_MS`): shortened to see them renewed. */
  leaseTtlMs?: number;
}

export interface Metering {
  meter: UsageMeter;
  metrics: ServiceMetrics;
  /** Reports `openStreams()` every minute until {@link close}. */
  startGauge(openStreams: () => number): void;
  /** Waits for the last charges (streams cut by a shutdown are charged too), then releases the store's client. */
  close(): Promise<void>;
}

/**
 * Budgets, metering and metrics for a configuration: with `USAGE_TABLE_NAME` set, backed by the table through the
 * standard DynamoDB client (region, credentials and `AWS_ENDPOINT_URL_DYNAMODB` as the SDK resolves them), else
 * metering off (keys still name callers in logs and metrics).
 */
export function setUpMetering(config: AppConfig, logger: Logger, overrides: MeteringOverrides = {}): Metering {
  const { usageTableName: tableName, apiKeys, usageStoreFailurePolicy: failurePolicy } = config;
  const metrics = new ServiceMetrics(overrides.metricsSink ?? loggerDestination(logger), config.metricsNamespace);
  const ownClient = tableName !== undefined && !overrides.dynamodb;
  const client =
    tableName === undefined
      ? undefined
      : (overrides.dynamodb ??
        storeClient(config.region));
  const resilienceMetrics = new ResilienceMetrics(metrics.emf);
  const meter = new UsageMeter({
    keys: apiKeys,
    store: client && tableName ? new UsageStore(client, tableName) : undefined,
    leases: client && tableName ? new StreamLeases(client, tableName) : undefined,
    leaseTtlMs: overrides.leaseTtlMs,
    concurrencyRefused: (keyName) => resilienceMetrics.concurrencyRefusal(keyName),
    failurePolicy,
    budgetReadMaxAgeMs: config.budgetReadMaxAgeMs,
    metrics,
    logger,
    clock: overrides.clock,
    modelPrices: config.modelPrices,
  });
  let stopGauge = () => {};
  return {
    meter,
    metrics,
    startGauge: (openStreams) => {
      stopGauge = metrics.startOpenStreamsGauge(openStreams, OPEN_STREAMS_INTERVAL_MS);
    },
    async close() {
      stopGauge();
      await meter.flush(SHUTDOWN_CHARGE_FLUSH_MS);
      if (ownClient) client?.destroy();
    },
  };
}

/**
 * The store's client: region, credentials and `AWS_ENDPOINT_URL_DYNAMODB` as the SDK resolves them (tests pass an
 * endpoint and credentials in `overrides`, and get the production client otherwise).
 */
export function storeClient(region: string, overrides: Pick<DynamoDBClientConfig, "endpoint" | "credentials"> = {}): DynamoDBClient {
  return leanClient(
    new DynamoDBClient({
      region,
      maxAttempts: STORE_CLIENT.maxAttempts,
      // The store's two commands are sent with the same stack every time: resolve it once per command, not per call.
      cacheMiddleware: true,
      requestHandler: {
        connectionTimeout: STORE_CLIENT.connectionTimeoutMs,
        requestTimeout: STORE_CLIENT.requestTimeoutMs,
        throwOnRequestTimeout: true,
        socketTimeout: STORE_CLIENT.socketTimeoutMs,
      },
      ...overrides,
    }),
  );
}

/**
 * Where the logger writes: stdout through its bounded, non-blocking sink (logger.ts). Metric lines go the same way,
 * so they keep the log's order and can never block the event loop when the log driver stalls.
 */
function loggerDestination(logger: Logger): MetricsSink {
  return (logger as unknown as Record<symbol, MetricsSink>)[pino.symbols.streamSym];
}
