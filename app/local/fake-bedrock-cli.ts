import { parseFakeCliOptions, usage, UsageError } from "./cli-options";
import { startFakeBedrock, type FakeBedrock } from "./fake-bedrock";

/**
 * The local Bedrock stand-in as its own process, for `npm run local`, the benchmark and manual poking:
 *
 *   tsx app/local/fake-bedrock-cli.ts --port 4010 --tokens-per-second 20 --duration-seconds 10
 *
 * Prints one JSON line `{"url":...,"port":...,"pacing":...}` on stdout once listening (the parent reads it to learn
 * the port); on SIGTERM/SIGINT it stops, prints a one-line summary (requests, connections they came on, outcomes)
 * on stderr and exits 0.
 */

/** Counts requests by outcome, e.g. {"completed":998,"client-aborted":2}. */
function outcomeCounts(fake: FakeBedrock): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of fake.requests) counts[outcome ?? "open"] = (counts[outcome ?? "open"] ?? 0) + 1;
  return counts;
}

async function main(): Promise<void> {
  const options = parseFakeCliOptions(process.argv.slice(2), process.env);
  if (options.help) {
    console.log(usage("fake-bedrock-cli"));
    return;
  }
  const fake = await startFakeBedrock(options);
  console.log(JSON.stringify({ url: fake.url, port: fake.port, pacing: options.pacing }));
  const stop = async (signal: NodeJS.Signals) => {
    process.off("SIGTERM", stop).off("SIGINT", stop);
    await fake.close();
    const connections = new Set(fake.requests.map((req) => req.connection)).size;
    console.error(JSON.stringify({ stopped: signal, requests: fake.requests.length, connections, outcomes: outcomeCounts(fake) }));
    process.exit(0);
  };
  process.on("SIGTERM", stop).on("SIGINT", stop);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`fake-bedrock-cli: ${error.message}\n${usage("fake-bedrock-cli")}`);
    process.exit(2);
  }
  console.error(`fake-bedrock-cli: ${(error as Error).message}`);
  process.exit(1);
});
