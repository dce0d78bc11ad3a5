import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { startFakeBedrock } from "../local/fake-bedrock";
import { maxInFlight } from "../local/in-flight";
import { localDynamoClient } from "../local/usage-table";
import { ENV, GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { StreamLeases } from "../src/usage/stream-leases";
import { builtServerEntry, killAllChildren, REPO_ROOT, runBench, startServer, startUsageTable } from "./processes";
import { loadAgent, promptFor, streamOnce } from "./stream-client";

/**
 * The concurrency figure (issue 24; docs/resilience.md "Limits per key"): a key limited to `--limit` streams fires
 * `--streams` at once, split over two server processes (the production bundle) that share one usage table (dynalite
 * in its own process), `--waves` times. Reports the most streams the stand-in had open at once (which must never
 * exceed the limit), the most unexpired leases a poll of the table saw, and the 429s. `tsx app/bench/key-limits.ts
 * [--streams 100] [--limit 20] [--waves 3]` after `npm run build`.
 */
const KEY_ID = "bench-swarm-key-id";
/** How often the table's leases are read during a wave. */
const LEASE_POLL_MS = 10;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { streams: { type: "string", default: "100" }, limit: { type: "string", default: "20" }, waves: { type: "string", default: "3" } },
  });
  const [streams, limit, waves] = [values.streams, values.limit, values.waves].map(Number);
  const logsDir = path.join(REPO_ROOT, "bench-results", "key-limits");
  rmSync(logsDir, { recursive: true, force: true });
  mkdirSync(logsDir, { recursive: true });
  // Each stream takes about a second: long enough for every wave's requests to arrive while the first are running.
  const fake = await startFakeBedrock({ pacing: { firstTokenMs: 200, interTokenMs: 20, tokenCount: 40 } });
  const table = await startUsageTable(path.join(logsDir, "usage-table.log"));
  const env = {
    [ENV.usageTableName]: table.tableName,
    [ENV.dynamodbEndpoint]: table.url,
    [ENV.apiKeys]: JSON.stringify({ [KEY_ID]: { name: "swarm", maxConcurrentStreams: limit } }),
  };
  const entry = builtServerEntry();
  const servers = await Promise.all(
    ["a", "b"].map((name) => startServer({ entry, upstreamUrl: fake.url, logFile: path.join(logsDir, `server-${name}.log`), env })),
  );
  const client = localDynamoClient(table.url);
  const leases = new StreamLeases(client, table.tableName);
  const agent = loadAgent();
  const statuses: Record<string, number> = {};
  let mostLeases = 0;
  let next = 0;
  try {
    for (let wave = 0; wave < waves; wave++) {
      let polling = true;
      const poll = (async () => {
        while (polling) {
          const now = Date.now();
          const held = Object.values((await leases.read("swarm")) ?? {}).filter((expiry) => expiry > now).length;
          mostLeases = Math.max(mostLeases, held);
          await new Promise((resolve) => setTimeout(resolve, LEASE_POLL_MS));
        }
      })();
      const results = await Promise.all(Array.from({ length: streams }, (_, i) => {
        const index = next++;
        return streamOnce(agent, servers[i % 2].url, `${promptFor(index)} #${index}`, undefined, { [GATEWAY_API_KEY_ID_HEADER]: KEY_ID });
      }));
      polling = false;
      await poll;
      for (const result of results) statuses[result.status] = (statuses[result.status] ?? 0) + 1;
    }
  } finally {
    agent.destroy();
    client.destroy();
    await Promise.all(servers.map((server) => server.stop()));
    await table.stop();
    await fake.close();
    killAllChildren();
  }
  const mostInFlight = maxInFlight(fake.requests);
  // What the servers logged: their refusal metric lines, and store failures (under the default policy a stream the
  // store could not lease in time is served unleased: that would show here).
  const logs = ["a", "b"].map((name) => readFileSync(path.join(logsDir, `server-${name}.log`), "utf8")).join("");
  const count = (pattern: RegExp) => logs.match(pattern)?.length ?? 0;
  console.log(JSON.stringify({
    limit, streamsPerWave: streams, waves, servers: 2,
    maxInFlightAtStandIn: mostInFlight, maxUnexpiredLeasesSeen: mostLeases,
    served: statuses[200] ?? 0, refused429: statuses[429] ?? 0, statuses,
    concurrencyRefusalsMetric: count(/"ConcurrencyRefusals":1/g), storeFailuresLogged: count(/usage store unavailable/g),
    withinLimit: mostInFlight <= limit && mostLeases <= limit,
  }, null, 2));
  if (mostInFlight > limit || mostLeases > limit) process.exitCode = 1;
}

runBench(main);
