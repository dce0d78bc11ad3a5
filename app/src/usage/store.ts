import { type AttributeValue, type DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { modelAdds, type ModelCounters, type ModelUsage, modelUsageIn } from "./model-usage";
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
  /** What the requests cost at list prices, in integer micro-dollars (cost.ts). */
  costMicroUsd: number;
}

/** A charge: its counters, and the same split by the model that answered (model-usage.ts). */
export interface Charge extends Counters {
  models?: ModelCounters;
}

export const COUNTER_NAMES = [
  "inputTokens",
  "outputTokens",
  "cacheReadInputTokens",
  "cacheWriteInputTokens",
  "requests",
  "estimatedRequests",
  "costMicroUsd",
] as const satisfies ReadonlyArray<keyof Counters>;

export const zeroCounters = (): Counters =>
  Object.fromEntries(COUNTER_NAMES.map((name) => [name, 0])) as unknown as Counters;

/** Every token a window's counters hold: what token limits are compared with. */
export const tokensOf = (c: Counters): number =>
  c.inputTokens + c.outputTokens + c.cacheReadInputTokens + c.cacheWriteInputTokens;

/**
 * The usage table, through the real DynamoDB client (in AWS via the VPC's gateway endpoint; locally dynalite,
 * reached through `AWS_ENDPOINT_URL_DYNAMODB`).
 *
 * One item per key and UTC month holds both the month's counters and each day's (`d28_inputTokens`, ...), so a budget
 * check is one strongly consistent `GetItem` (it sees every charge that completed before it) and a charge is one
 * `UpdateItem ADD` of the month's and the day's counters together: atomic per item, so concurrent charges from any
 * number of tasks never lose an increment, and the day and the month can never disagree. A month item grows by about
 * 140 bytes per day used, to under 5 KB: a read is 1 unit (2 past 4 KB), a write 1 unit per KB (docs/keys-and-budgets.md: cost).
 */
export class UsageStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** The key's counters in both windows (zero for a window nothing was charged to yet). */
  async read(keyName: string, windows: Windows): Promise<Used> {
    const names: Record<string, string> = {};
    const projection = [...COUNTER_NAMES, ...COUNTER_NAMES.map((name) => dayAttribute(windows.day, name))].map((name, i) => {
      names[`#a${i}`] = name;
      return `#a${i}`;
    });
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: itemKey(keyName, windows.month),
        ConsistentRead: true,
        ProjectionExpression: projection.join(", "),
        ExpressionAttributeNames: names,
      }),
    );
    return countersIn(Item, windows.day);
  }

  /**
   * Adds `charge` to the key's month and day counters in one atomic update (creating the item on first use). With
   * `returnCounters`, answers the totals the update produced (every task's charges so far, this one included) for
   * the write's own day and month: as fresh as a strongly consistent read at that moment, at no extra unit.
   */
  async add(keyName: string, windows: Windows, charge: Charge, returnCounters: true): Promise<Used>;
  async add(keyName: string, windows: Windows, charge: Charge, returnCounters?: false): Promise<undefined>;
  async add(keyName: string, windows: Windows, charge: Charge, returnCounters = false): Promise<Used | undefined> {
    const names: Record<string, string> = { "#ttl": USAGE_TABLE.ttlAttribute };
    const values: Record<string, AttributeValue> = { ":ttl": { N: String(windows.month.expiresAt) } };
    const adds = COUNTER_NAMES.flatMap((name, i) => {
      values[`:c${i}`] = { N: String(charge[name]) };
      names[`#m${i}`] = name;
      names[`#d${i}`] = dayAttribute(windows.day, name);
      return [`#m${i} :c${i}`, `#d${i} :c${i}`];
    });
    // The split by model goes in the same update: a key's and its models' figures can never disagree.
    adds.push(...modelAdds(charge.models, (name) => dayAttribute(windows.day, name), names, values));
    const { Attributes } = await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: itemKey(keyName, windows.month),
        UpdateExpression: `ADD ${adds.join(", ")} SET #ttl = :ttl`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(returnCounters ? { ReturnValues: "UPDATED_NEW" as const } : {}),
      }),
    );
    return returnCounters ? countersIn(Attributes, windows.day) : undefined;
  }

  /** The key's counters and their split by model, for the day and the month (`GET /usage`): one read of the item. */
  async readWithModels(keyName: string, windows: Windows): Promise<{ used: Used; models: ModelUsage }> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: itemKey(keyName, windows.month), ConsistentRead: true }),
    );
    return { used: countersIn(Item, windows.day), models: modelUsageIn(Item, dayAttribute(windows.day, "")) };
  }

  /** The tokens charged to the key in a minute (`tokensPerMinute`): its own small item, `minute#2026-11-28T12:34`. */
  async readMinute(keyName: string, minute: UsageWindow): Promise<number> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: itemKey(keyName, minute), ConsistentRead: true, ProjectionExpression: MINUTE_TOKENS }),
    );
    return Number(Item?.[MINUTE_TOKENS]?.N ?? 0);
  }

  /** Adds tokens to the key's minute (one atomic `ADD`, the item expiring a day after the minute). */
  async addMinute(keyName: string, minute: UsageWindow, tokens: number): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: itemKey(keyName, minute),
        UpdateExpression: "ADD #t :t SET #ttl = :ttl",
        ExpressionAttributeNames: { "#t": MINUTE_TOKENS, "#ttl": USAGE_TABLE.ttlAttribute },
        ExpressionAttributeValues: { ":t": { N: String(tokens) }, ":ttl": { N: String(minute.expiresAt) } },
      }),
    );
  }
}

const MINUTE_TOKENS = "tokens";

/** A key's counters in one day and its month, as a budget check compares them with the limits. */
export interface Used {
  day: Counters;
  month: Counters;
}

/** Adds `from`'s counters into `into`'s; answers `into`. */
export function addCounters(into: Counters, from: Counters): Counters {
  for (const name of COUNTER_NAMES) into[name] += from[name];
  return into;
}

/** Two sightings' counters summed, window by window. */
export function addUsed(a: Used, b: Used): Used {
  const sum = (x: Counters, y: Counters) => addCounters(addCounters(zeroCounters(), x), y);
  return { day: sum(a.day, b.day), month: sum(a.month, b.month) };
}

/** The month's counters and `day`'s in a month item's attributes (zero for any not there yet). */
function countersIn(item: Record<string, AttributeValue> | undefined, day: UsageWindow): Used {
  return { day: countersAt(item, (name) => dayAttribute(day, name)), month: countersAt(item) };
}

/** The counters a month item holds under `attribute(name)` (the month's own: the bare names), zero for any missing. */
export function countersAt(item: Record<string, AttributeValue> | undefined, attribute = (name: string) => name): Counters {
  const counters = zeroCounters();
  for (const name of COUNTER_NAMES) counters[name] = Number(item?.[attribute(name)]?.N ?? 0);
  return counters;
}

/** A day's counter inside its month's item: `d28_inputTokens` for the 28th. */
export function dayAttribute(day: UsageWindow, counter: string): string {
  return `d${day.id.slice(8, 10)}_${counter}`;
}

/** A window's item: partition = key name, sort = `month#2026-11` (or `minute#2026-11-28T12:34`). */
export function itemKey(keyName: string, month: UsageWindow): Record<string, AttributeValue> {
  return {
    [USAGE_TABLE.partitionKey]: { S: keyName },
    [USAGE_TABLE.sortKey]: { S: `${month.kind}#${month.id}` },
  };
}
