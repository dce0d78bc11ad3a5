import { type AttributeValue, type DynamoDBClient, GetItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { USAGE_TABLE } from "./table-schema";

/** The item of a key's streams in flight: partition = key name, sort = this (month items sort as `month#...`). */
export const STREAMS_ITEM = "streams";
/** How long the item outlives its last acquisition before DynamoDB's TTL may delete it (seconds). */
const ITEM_RETENTION_S = 86_400;
/** Rounds of "refused, some leases expired, reap them, try again" one acquisition makes before refusing. */
const ACQUIRE_ROUNDS = 3;
/** Leases renewed, reaped or acquired per `UpdateItem` (an update expression is at most 4 KB). */
const RENEW_CHUNK = 100;
const ACQUIRE_CHUNK = RENEW_CHUNK;

/**
 * A key's streams in flight across every task, as leases in the usage table (docs/resilience.md "Limits per key").
 *
 * One item per key holds the map `leases`: lease id -> expiry (epoch ms). Streams take slots with one conditional
 * `UpdateItem` (`SET leases.<id> = <expiry>, ...` if `size(leases) <= limit - n` for n leases): DynamoDB applies it
 * atomically per item, so concurrent acquisitions from any number of tasks can never put more than `limit` leases in
 * the map. A task sends a key's acquisitions one write at a time, those that arrive meanwhile together
 * (stream-limiter.ts), so a swarm of a key's streams costs a few writes per task, not one each. Its holder
 * renews the lease while the stream runs and removes it when the stream ends. A task that crashed renews nothing:
 * its leases expire, and the next acquisition that finds the key at its limit removes the expired ones (each only if
 * its expiry is still the one read, so a lease renewed meanwhile stays) and tries again. Every write is idempotent,
 * so the client's own retry of a write that did land changes nothing.
 *
 * Size: a lease is about 20 bytes of the item, so the limit is capped at 10,000 (the schema's maximum, key-schema.ts);
 * each write costs one write unit per KB of the item, i.e. 1 unit for up to about 50 leases held.
 */
export class StreamLeases {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /**
   * Takes slots for as many of `leaseIds` (in order) as fit under `limit` unexpired leases, each until `expiresAt`
   * (`now`: the caller's clock); answers the ids that got one (at most {@link ACQUIRE_CHUNK}).
   */
  async acquire(keyName: string, leaseIds: readonly string[], limit: number, now: number, expiresAt: number): Promise<string[]> {
    let ids = leaseIds.slice(0, Math.min(ACQUIRE_CHUNK, limit));
    for (let round = 0; round < ACQUIRE_ROUNDS && ids.length > 0; round++) {
      const set = setLeases(ids, expiresAt);
      const added = await this.conditional({
        ...set,
        ConditionExpression: "size(leases) <= :room",
        ExpressionAttributeValues: { ...set.ExpressionAttributeValues, ":room": num(limit - ids.length) },
      }, keyName);
      if (added) return ids;
      const leases = await this.read(keyName);
      if (leases === undefined) {
        // The key's first streams (or its item expired): create the map, unless another task just did.
        const created = await this.conditional({
          UpdateExpression: "SET leases = :m, #ttl = :ttl",
          ConditionExpression: "attribute_not_exists(leases)",
          ExpressionAttributeNames: { "#ttl": USAGE_TABLE.ttlAttribute },
          ExpressionAttributeValues: { ":m": { M: Object.fromEntries(ids.map((id) => [id, num(expiresAt)])) }, ":ttl": itemExpiry(expiresAt) },
        }, keyName);
        if (created) return ids;
        continue;
      }
      // An earlier attempt of this very write landed (its answer was lost and the client retried).
      if (ids.every((id) => Object.hasOwn(leases, id))) return ids;
      const expired = Object.entries(leases).filter(([, expiry]) => expiry <= now);
      if (expired.length > 0) await this.reap(keyName, expired);
      // Try again for as many as the unexpired leases leave room for (none: refused).
      ids = ids.slice(0, Math.max(0, limit - (Object.keys(leases).length - expired.length)));
    }
    return [];
  }

  /**
   * Extends the leases' expiry (and the item's, so TTL never deletes the item of a key with streams running); leases
   * no longer in the map (expired and reaped) are not recreated.
   */
  async renew(keyName: string, leaseIds: readonly string[], expiresAt: number): Promise<void> {
    for (let i = 0; i < leaseIds.length; i += RENEW_CHUNK) {
      const chunk = leaseIds.slice(i, i + RENEW_CHUNK);
      const renewed = await this.conditional({
        ...setLeases(chunk, expiresAt),
        ConditionExpression: chunk.map((_, j) => `attribute_exists(leases.#l${j})`).join(" AND "),
      }, keyName);
      // Some lease of the chunk is gone (a release raced the renewal, or it was reaped): renew the rest one by one.
      if (!renewed && chunk.length > 1) for (const id of chunk) await this.renew(keyName, [id], expiresAt);
    }
  }

  /** Frees the lease's slot (a no-op when it is already gone). */
  async release(keyName: string, leaseId: string): Promise<void> {
    await this.update(keyName, { UpdateExpression: "REMOVE leases.#id", ExpressionAttributeNames: { "#id": leaseId } });
  }

  /** The key's leases (id -> expiry), as a strongly consistent read sees them; undefined when the map does not exist. */
  async read(keyName: string): Promise<Record<string, number> | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: streamsKey(keyName), ConsistentRead: true, ProjectionExpression: "leases" }),
    );
    const map = Item?.leases?.M;
    return map && Object.fromEntries(Object.entries(map).map(([id, value]) => [id, Number(value.N)]));
  }

  /** Removes expired leases, each only if its expiry is still the one read (its holder did not renew it meanwhile). */
  private async reap(keyName: string, expired: Array<[string, number]>): Promise<void> {
    const chunk = expired.slice(0, RENEW_CHUNK);
    await this.conditional({
      UpdateExpression: `REMOVE ${chunk.map((_, j) => `leases.#e${j}`).join(", ")}`,
      ConditionExpression: chunk.map((_, j) => `leases.#e${j} = :e${j}`).join(" AND "),
      ExpressionAttributeNames: Object.fromEntries(chunk.map(([id], j) => [`#e${j}`, id])),
      ExpressionAttributeValues: Object.fromEntries(chunk.map(([, expiry], j) => [`:e${j}`, num(expiry)])),
    }, keyName);
  }

  /** An update whose condition may fail: false then (any other failure throws). */
  private async conditional(input: UpdateInput, keyName: string): Promise<boolean> {
    try {
      await this.update(keyName, input);
      return true;
    } catch (err) {
      if ((err as { name?: unknown }).name === "ConditionalCheckFailedException") return false;
      throw err;
    }
  }

  private async update(keyName: string, input: UpdateInput): Promise<void> {
    await this.client.send(new UpdateItemCommand({ TableName: this.tableName, Key: streamsKey(keyName), ...input }));
  }
}

type UpdateInput = Pick<
  ConstructorParameters<typeof UpdateItemCommand>[0],
  "UpdateExpression" | "ConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
>;

const num = (value: number): AttributeValue => ({ N: String(value) });

/** Sets each of `ids` (named `#l<j>`) to expire at `expiresAt`, and the item's TTL past it: acquisition and renewal. */
function setLeases(ids: readonly string[], expiresAt: number): UpdateInput {
  return {
    UpdateExpression: `SET ${ids.map((_, j) => `leases.#l${j} = :x`).join(", ")}, #ttl = :ttl`,
    ExpressionAttributeNames: { ...Object.fromEntries(ids.map((id, j) => [`#l${j}`, id])), "#ttl": USAGE_TABLE.ttlAttribute },
    ExpressionAttributeValues: { ":x": num(expiresAt), ":ttl": itemExpiry(expiresAt) },
  };
}
/** The item's TTL (epoch seconds) for a lease expiring at `expiresAt` (epoch ms). */
const itemExpiry = (expiresAt: number): AttributeValue => num(Math.ceil(expiresAt / 1000) + ITEM_RETENTION_S);

function streamsKey(keyName: string): Record<string, AttributeValue> {
  return { [USAGE_TABLE.partitionKey]: { S: keyName }, [USAGE_TABLE.sortKey]: { S: STREAMS_ITEM } };
}
