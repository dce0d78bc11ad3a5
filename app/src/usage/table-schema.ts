/**
 * The usage table's shape, defined once: the Pulumi program creates the DynamoDB table from it (infra/usage.ts),
 * and local mode and the tests create their dynalite table from it (app/local/usage-table.ts), so the store the
 * app talks to locally is keyed exactly like the one in AWS. Data only: infra/ and the app bundle both import it.
 *
 * One item per API key name and window: partition `keyName` (the key's configured name, never its value),
 * sort `window` (`day#2026-11-28` or `month#2026-11`), counters added atomically with `UpdateItem ADD`.
 */
export const USAGE_TABLE = {
  partitionKey: "keyName",
  sortKey: "window",
  /** Epoch seconds after which DynamoDB's TTL may delete the item (an old window nobody reads any more). */
  ttlAttribute: "expiresAt",
} as const;

/** How long a window's counters are kept after the window ended, in days, before TTL removes them. */
export const RETENTION_DAYS_AFTER_WINDOW = { day: 35, month: 400 } as const;
