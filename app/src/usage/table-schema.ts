/**
 * The usage table's shape, defined once: the Pulumi program creates the DynamoDB table from it (infra/usage.ts),
 * and local mode and the tests create their dynalite table from it (app/local/usage-table.ts), so the store the
 * app talks to locally is keyed exactly like the one in AWS. Data only: infra/ and the app bundle both import it.
 *
 * One item per API key name and UTC month: partition `keyName` (the key's configured name, never its value), sort
 * `window` (`month#2026-11`); it holds the month's counters and each day's, added atomically with `UpdateItem ADD`
 * (app/src/usage/store.ts).
 */
export const USAGE_TABLE = {
  partitionKey: "keyName",
  sortKey: "window",
  /** Epoch seconds after which DynamoDB's TTL may delete the item (an old window nobody reads any more). */
  ttlAttribute: "expiresAt",
} as const;

/** How long a month's counters are kept after the month ended, in days, before TTL removes them. */
export const RETENTION_DAYS_AFTER_MONTH = 400;
