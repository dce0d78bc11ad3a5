import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createUsageTable, LOCAL_USAGE_TABLE, type LocalDynamo, localDynamoClient, startDynalite } from "../../local/usage-table";
import type { ApiKeys } from "../../src/usage/keys";
import type { FakeBedrockOptions } from "../../local/fake-bedrock";
import { GATEWAY_API_KEY_ID_HEADER, USAGE_PATH } from "../../src/runtime-contract";
import { storeClient } from "../../src/usage/setup";
import { type Harness, startHarness, TEST_ENV } from "./harness";
import { startStoreProxy, type StoreProxy } from "./store-proxy";
import { request } from "./http-client";

/** A clock the test moves by hand (budget windows roll over at UTC midnight and on the 1st). */
export class ManualClock {
  constructor(public now: Date) {}
  readonly read = (): Date => this.now;
  set(iso: string): void {
    this.now = new Date(iso);
  }
}

export interface UsageHarness extends Harness {
  dynamo: LocalDynamo;
  dynamodb: DynamoDBClient;
  /** With `storeProxy`: the proxy between the service and dynalite (the service's own client sits behind it). */
  proxy?: StoreProxy;
  clock: ManualClock;
  /** The headers API Gateway would add for the key with this id. */
  as(keyId: string): Record<string, string>;
  /** Resolves once every charge started so far is in the table. */
  charged(): Promise<void>;
  /** `GET /usage` as that key, parsed. */
  usageOf(keyId: string): Promise<any>;
}

export const TEST_KEYS: ApiKeys = {
  "key-id-alice": { name: "alice", tokensPerDay: 100, tokensPerMonth: 250 },
  "key-id-bob": { name: "bob" },
};

/**
 * The service with metering on: a fresh dynalite with the usage table made as the stack makes it, the real
 * DynamoDB client pointed at it, the given keys in `API_KEYS`, and a manual clock.
 */
export async function startUsageHarness(
  options: {
    keys?: ApiKeys;
    env?: Record<string, string>;
    now?: string;
    fake?: FakeBedrockOptions;
    /** Reach the store through a {@link StoreProxy}, with the production client (its timeouts and retries). */
    storeProxy?: boolean;
    /** Reach the store at this address instead (e.g. a recording proxy in front of dynalite's `url`). */
    storeEndpoint?: (dynamoUrl: string) => Promise<string>;
    /** Share another harness's dynalite and table (two tasks on one usage table); it stays up when this closes. */
    shareDynamo?: LocalDynamo;
    /** Stream leases' life (`LEASE_TTL_MS`), shortened to see them renewed. */
    leaseTtlMs?: number;
    /** The service's stand-in: another harness's fake Bedrock URL instead of its own. */
    upstreamUrl?: string;
  } = {},
): Promise<UsageHarness> {
  const dynamo = options.shareDynamo ?? (await startDynalite());
  const direct = localDynamoClient(dynamo.url);
  const tableName = options.shareDynamo ? LOCAL_USAGE_TABLE : await createUsageTable(direct);
  const proxy = options.storeProxy ? await startStoreProxy(Number(new URL(dynamo.url).port)) : undefined;
  const credentials = { accessKeyId: TEST_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_ENV.AWS_SECRET_ACCESS_KEY };
  const endpoint = proxy?.url ?? (await options.storeEndpoint?.(dynamo.url));
  const dynamodb = endpoint ? storeClient(TEST_ENV.AWS_REGION, { endpoint, credentials }) : direct;
  const clock = new ManualClock(new Date(options.now ?? "2026-11-28T12:00:00Z"));
  const harness = await startHarness(
    {
      USAGE_TABLE_NAME: tableName,
      API_KEYS: JSON.stringify(options.keys ?? TEST_KEYS),
      ...options.env,
    },
    options.fake,
    options.upstreamUrl === undefined ? undefined : () => options.upstreamUrl!,
    { metering: { dynamodb, clock: clock.read, leaseTtlMs: options.leaseTtlMs } },
  );
  const as = (keyId: string) => ({ [GATEWAY_API_KEY_ID_HEADER]: keyId });
  return {
    ...harness,
    dynamo,
    dynamodb: direct,
    proxy,
    clock,
    as,
    charged: () => harness.server.usage.idle(),
    async usageOf(keyId: string) {
      const reply = await request(harness.url, { path: USAGE_PATH, headers: as(keyId) });
      if (reply.status !== 200) throw new Error(`GET /usage answered ${reply.status}: ${reply.text}`);
      return reply.json();
    },
    async close() {
      await harness.close();
      await proxy?.close();
      if (dynamodb !== direct) dynamodb.destroy();
      direct.destroy();
      if (!options.shareDynamo) await dynamo.close();
    },
  };
}
