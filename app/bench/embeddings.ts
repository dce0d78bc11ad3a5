import { mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { cpuTimeMs } from "./proc-stats";
import { builtServerEntry, REPO_ROOT, runBench, startServer, startUpstream } from "./processes";
import { round } from "./stats";

/**
 * `npx tsx app/bench/embeddings.ts [--requests 200] [--texts 8] [--concurrency 16]` after `npm run build`: the
 * embeddings route's throughput against the local stand-in, per model (Titan takes one text a call, so the server
 * fans a request out into bounded parallel calls; Cohere takes the batch in one). Prints texts a second and the
 * server's CPU per text; no target, a figure to compare across changes.
 */
const MODELS = ["amazon.titan-embed-text-v2:0", "cohere.embed-v4:0"];

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values } = parseArgs({
    options: {
      requests: { type: "string", default: "200" },
      texts: { type: "string", default: "8" },
      concurrency: { type: "string", default: "16" },
      out: { type: "string", default: "bench-results" },
    },
  });
  const requests = Number(values.requests);
  const texts = Number(values.texts);
  const concurrency = Number(values.concurrency);
  const logsDir = path.resolve(REPO_ROOT, values.out!, "logs");
  mkdirSync(logsDir, { recursive: true });
  const pacing = { firstTokenMs: 0, tokensPerSecond: 1_000_000, tokens: 1 };
  const upstream = await startUpstream(pacing, path.join(logsDir, "embeddings-upstream.log"));
  const server = await startServer({
    entry: builtServerEntry(),
    upstreamUrl: upstream.url,
    logFile: path.join(logsDir, "embeddings-server.log"),
    env: { EMBEDDING_MODEL_IDS: MODELS.join(",") },
  });
  console.log(`load average ${os.loadavg().map((value) => value.toFixed(2)).join(" ")}`);
  try {
    for (const model of MODELS) {
      const input = Array.from({ length: texts }, (_, i) => `text ${i} about embeddings, vectors and similar words`);
      const body = JSON.stringify({ model, input, encoding_format: "base64" });
      let next = 0;
      let failed = 0;
      const cpuBefore = cpuTimeMs(server.pid);
      const startedAt = performance.now();
      const worker = async () => {
        while (next < requests) {
          next += 1;
          const res = await fetch(`${server.url}/embeddings`, {
            method: "POST", headers: { "content-type": "application/json" }, body,
          });
          const answer = (await res.json()) as { data?: unknown[] };
          if (res.status !== 200 || answer.data?.length !== texts) failed += 1;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const seconds = (performance.now() - startedAt) / 1000;
      const cpuMs = cpuTimeMs(server.pid) - cpuBefore;
      const embedded = requests * texts;
      console.log(
        `${model}: ${requests} requests x ${texts} texts, ${failed} failed; ` +
          `${round(embedded / seconds, 1)} texts/s, ${round((cpuMs * 1000) / embedded, 1)} us server CPU per text`,
      );
    }
  } finally {
    await server.stop();
    await upstream.stop();
  }
}

runBench(main);
