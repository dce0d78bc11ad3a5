import { type AttributeValue, type DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { USAGE_TABLE } from "./table-schema";
import type { UsageWindow, Windows } from "./windows";

/** The counters kept per key and window. */
export interface Counters {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
  requests: number;
  /** Requests whose tokens were estimated (cut before Bedrock reported usage). */
  estimatedRequests: number;
}

export const COUNTER_NAMES = [
  "inputTokens",
  "outputTokens",
  "cacheReadInputTokens",
  "cacheWriteInputTokens",
  "requests",
  "estimatedRequests",
] as const satisfies ReadonlyArray<keyof Counters>;

export const zeroCounters = (): Counters =>
  Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as unknown as Counters;

/** Every token a window's counters hold: what token limits are compared with. */
export const tokensOf = (c: Counters): number =>
  c.inputTokens + c.outputTokens + c.cacheReadInputTokens + c.cacheWriteInputTokens;

/**
 * The usage table, through the real DynamoDB client (in AWS via the VPC's gateway endpoint; locally dynalite,
 * reached through `AWS_ENDPOINT_URL_DYNAMODB`). Reads are strongly consistent so a budget check sees every charge
 * that completed before it; writes are single `UpdateItem ADD`s, atomic per item, so concurrent charges from any
 * number of tasks never lose an increment.
 */
export class UsageStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** The key's counters in both windows (zero for a window nothing was charged to yet). */
  async read(keyName: string, windows: Windows): Promise<{ day: Counters; month: Counters }> {
    const [day, month] = await Promise.all([this.readOne(keyName, windows.day), this.readOne(keyName, windows.month)]);
    return { day, month };
  }

  /** Adds `charge` to the key's day and month items (creating them on first use). */
  async add(keyName: string, windows: Windows, charge: Counters): Promise<void> {
    await Promise.all([this.addOne(keyName, windows.day, charge), this.addOne(keyName, windows.month, charge)]);
  }

  private async readOne(keyName: string, window: UsageWindow): Promise<Counters> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: itemKey(keyName, window), ConsistentRead: true }),
    );
    const counters = zeroCounters();
    for (const name of COUNTER_NAMES) counters[name] = Number(Item?.[name]?.N ?? 0);
    return counters;
  }

  private async addOne(keyName: string, window: UsageWindow, charge: Counters): Promise<void> {
    const names: Record<string, string> = { "#ttl": USAGE_TABLE.ttlAttribute };
    const values: Record<string, AttributeValue> = { ":ttl": { N: String(window.expiresAt) } };
    const adds = COUNTER_NAMES.map((name, i) => {
      names[`#c${i}`] = name;
      values[`:c${i}`] = { N: String(charge[name]) };
      return `#c${i} :c${i}`;
    });
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: itemKey(keyName, window),
        UpdateExpression: `ADD ${adds.join(", ")} SET #ttl = :ttl`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }
}

function itemKey(keyName: string, window: UsageWindow): Record<string, AttributeValue> {
  return {
    [USAGE_TABLE.partitionKey]: { S: keyName },
    [USAGE_TABLE.sortKey]: { S: `${window.kind}#${window.id}` },
  };
}
