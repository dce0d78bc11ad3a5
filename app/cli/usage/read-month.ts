import { type AttributeValue, type DynamoDBClient, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { type ModelCounters, modelUsageIn } from "../../src/usage/model-usage";
import { type Counters, countersAt, itemKey } from "../../src/usage/store";
import { USAGE_TABLE } from "../../src/usage/table-schema";
import { type UsageWindow, windowsAt } from "../../src/usage/windows";

/**
 * One UTC month of the usage table, as the app wrote it (app/src/usage/store.ts): one item per key and month, with
 * the month's counters and their split by model (`m#<model>#<counter>`). A key named on the command line is one
 * `GetItem`; every key is a `Scan` filtered on the month's sort key, page by page (the table holds one item per key
 * and month, so it stays small; a filtered scan still reads, and pays for, every item).
 */

export interface KeyMonth {
  key: string;
  /** The key's own counters for the month. */
  total: Counters;
  /** The same split by the model that answered. */
  models: ModelCounters;
}

/** The month window `2026-11` names (only its id is used: it gives the items' sort key). */
export function monthWindow(month: string): UsageWindow {
  return windowsAt(new Date(`${month}-01T00:00:00Z`)).month;
}

export async function readMonth(
  client: DynamoDBClient,
  tableName: string,
  month: string,
  options: { key?: string; pageSize?: number } = {},
): Promise<KeyMonth[]> {
  const window = monthWindow(month);
  const items: Array<Record<string, AttributeValue>> = [];
  if (options.key !== undefined) {
    const { Item } = await client.send(new GetItemCommand({ TableName: tableName, Key: itemKey(options.key, window), ConsistentRead: true }));
    if (Item) items.push(Item);
  } else {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(new ScanCommand({
        TableName: tableName,
        FilterExpression: "#w = :w",
        ExpressionAttributeNames: { "#w": USAGE_TABLE.sortKey },
        ExpressionAttributeValues: { ":w": itemKey("", window)[USAGE_TABLE.sortKey] },
        ExclusiveStartKey: start,
        Limit: options.pageSize,
      }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return items.map(keyMonth).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** No day is numbered 00: with this prefix the split reader keeps the month's attributes only. */
const NO_DAY = "d00_";

function keyMonth(item: Record<string, AttributeValue>): KeyMonth {
  return { key: item[USAGE_TABLE.partitionKey]?.S ?? "", total: countersAt(item), models: modelUsageIn(item, NO_DAY).month };
}
