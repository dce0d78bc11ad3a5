import type { AddressInfo } from "node:net";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import dynalite from "dynalite";
import { ENV, GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import type { ApiKeys } from "../src/usage/keys";
import { USAGE_TABLE } from "../src/usage/table-schema";

/**
 * A real DynamoDB-compatible server for local mode and the tests: dynalite (in memory) on 127.0.0.1, with the
 * usage table created from the same definition the Pulumi program uses (app/src/usage/table-schema.ts).
 * The app reaches it through the standard `AWS_ENDPOINT_URL_DYNAMODB`. (dynalite does not implement
 * UpdateTimeToLive, so the TTL setting exists only in AWS; nothing here reads expired items anyway.)
 */

export const LOCAL_USAGE_TABLE = "chat-usage-local";

export interface LocalDynamo {
  url: string;
  /** Makes the server unreachable (connections refused) without losing its data... until `close`. */
  close(): Promise<void>;
}

export async function startDynalite(port = 0): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

/** A client for a local endpoint, with dummy credentials (dynalite checks none; a real identity is never used). */
export function localDynamoClient(url: string): DynamoDBClient {
  return new DynamoDBClient({
    region: "us-east-1",
    endpoint: url,
    maxAttempts: 1,
    credentials: { accessKeyId: "local-mode-dummy-key-id", secretAccessKey: "local-mode-dummy-secret" },
  });
}

/** Creates the usage table as the stack does: the same key schema, billed per request. */
export async function createUsageTable(client: DynamoDBClient, tableName = LOCAL_USAGE_TABLE): Promise<string> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: USAGE_TABLE.partitionKey, AttributeType: "S" },
        { AttributeName: USAGE_TABLE.sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: USAGE_TABLE.partitionKey, KeyType: "HASH" },
        { AttributeName: USAGE_TABLE.sortKey, KeyType: "RANGE" },
      ],
    }),
  );
  return tableName;
}

/**
 * Local mode's API key: there is no API Gateway in front, so a curl sends the key-id header API Gateway would set.
 * Its daily budget is small on purpose: the stand-in's default reply costs about 75 tokens, so the third request
 * of a day gets the 429.
 */
export const LOCAL_KEY = { id: "local-demo-key-id", name: "local-demo", tokensPerDay: 150, tokensPerMonth: 100_000 };
export const LOCAL_KEY_HEADER = `${GATEWAY_API_KEY_ID_HEADER}: ${LOCAL_KEY.id}`;

/** The app's environment for metering against the local table, with {@link LOCAL_KEY} as its one key. */
export function localUsageEnv(dynamoUrl: string, tableName = LOCAL_USAGE_TABLE): NodeJS.ProcessEnv {
  const { id, ...limits } = LOCAL_KEY;
  const keys: ApiKeys = { [id]: limits };
  return { [ENV.usageTableName]: tableName, [ENV.dynamodbEndpoint]: dynamoUrl, [ENV.apiKeys]: JSON.stringify(keys) };
}
