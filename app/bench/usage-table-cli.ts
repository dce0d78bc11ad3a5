import { createUsageTable, localDynamoClient, startDynalite } from "../local/usage-table";

/**
 * The budgets phase's usage store in its own process (`processes.ts` starts it): dynalite on 127.0.0.1, port 0,
 * with the usage table created from the definition the stack uses (`createUsageTable`). Its own process so that its
 * CPU is charged neither to the server under test nor to the load generator, as DynamoDB's would not be. Prints
 * `{"url","tableName"}` once the table exists, and runs until SIGTERM.
 */
async function main(): Promise<void> {
  const dynamo = await startDynalite();
  const client = localDynamoClient(dynamo.url);
  try {
    const tableName = await createUsageTable(client);
    process.stdout.write(`${JSON.stringify({ url: dynamo.url, tableName })}\n`);
  } finally {
    client.destroy();
  }
  process.once("SIGTERM", () => void dynamo.close().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(`usage table: ${(error as Error).stack ?? error}`);
  process.exit(1);
});
