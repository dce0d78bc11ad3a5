import { existsSync, mkdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { TASK_HEAP } from "./plan";
import { memory } from "./proc-stats";
import { killAllChildren, REPO_ROOT, type ServerProcess, startServer, startUpstream } from "./processes";
import { NDJSON } from "./wire-formats";

/**
 * `npx tsx app/bench/large-bodies.ts [--bodies 40] [--rate 5] [--seconds 30]` after `npm run build`: issue 20
 * item 12 on its own. The bundle runs with a 512 MiB task's heap flags (the plan's `nodeArgs`) and takes
 * (a) `bodies` concurrent 5 MB `POST /stream` bodies, then (b) `rate` such requests a second for `seconds` with
 * 10-second replies. Prints, per scenario: statuses (200, 503, other), requests left unanswered (resets), whether the server
 * exited, and its peak RSS (VmHWM). No pass/fail here: the figures go into docs/performance.md.
 */
const BODY_BYTES = 5_000_000;
const MIB = 1024 * 1024;

interface Tally {
  statuses: Map<number, number>;
  /** Requests that ended without a status (connection reset or broken pipe before the answer). */
  unanswered: number;
  /** Errors after the status arrived: the server answered 503 before reading the body and closed. */
  lateErrors: number;
}

/** One request with a body of about `BODY_BYTES` (a valid NDJSON request, one long message); its status or an error. */
function post(url: string, body: Buffer, tally: Tally): Promise<void> {
  return new Promise((resolve) => {
    let answered = false;
    const failed = () => {
      if (answered) tally.lateErrors += 1;
      else tally.unanswered += 1;
      resolve();
    };
    const req = http.request(`${url}${NDJSON.path}`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": body.length },
    });
    req.on("response", (res) => {
      answered = true;
      tally.statuses.set(res.statusCode!, (tally.statuses.get(res.statusCode!) ?? 0) + 1);
      res.resume();
      res.on("end", resolve);
      res.on("error", failed);
    });
    req.on("error", failed);
    req.end(body);
  });
}

function largeBody(): Buffer {
  const overhead = Buffer.byteLength(JSON.stringify(NDJSON.body("")));
  return Buffer.from(JSON.stringify(NDJSON.body("lorem ipsum ".repeat(BODY_BYTES / 12).slice(0, BODY_BYTES - overhead))));
}

async function scenario(name: string, server: ServerProcess, load: (tally: Tally) => Promise<void>): Promise<boolean> {
  const tally: Tally = { statuses: new Map(), unanswered: 0, lateErrors: 0 };
  const started = performance.now();
  await load(tally);
  const exited = server.child.exitCode !== null || server.child.signalCode !== null;
  const peak = exited ? NaN : memory(server.pid).peakRss / MIB;
  const statuses = [...tally.statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`);
  const others = [...tally.statuses].filter(([status]) => status !== 200 && status !== 503).length;
  console.log(
    `${name}: ${statuses.join(", ")}; unanswered: ${tally.unanswered}; errors after the answer: ${tally.lateErrors}; server exited: ${exited ? "yes" : "no"}; ` +
      `peak RSS ${peak.toFixed(1)} MiB; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return !exited && tally.unanswered === 0 && others === 0 && peak < 450;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values } = parseArgs({
    options: {
      bodies: { type: "string", default: "40" },
      rate: { type: "string", default: "5" },
      seconds: { type: "string", default: "30" },
      out: { type: "string", default: "bench-results" },
    },
  });
  const entry = path.join(REPO_ROOT, "app", "dist", "server.js");
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\``);
  const logsDir = path.resolve(values.out!, "logs");
  mkdirSync(logsDir, { recursive: true });
  const { nodeArgs } = TASK_HEAP;
  const body = largeBody();
  console.log(`server flags: ${nodeArgs.join(" ")}; body ${body.length} bytes`);
  const run = async (name: string, tokens: number, load: (url: string, tally: Tally) => Promise<void>) => {
    // 10-second replies: 20 tokens at 2 a second after the first token's 500 ms.
    const upstream = await startUpstream({ firstTokenMs: 500, tokensPerSecond: 2, tokens }, path.join(logsDir, `large-bodies-upstream.log`));
    const server = await startServer({ entry, upstreamUrl: upstream.url, logFile: path.join(logsDir, `large-bodies-server.log`), nodeArgs });
    try {
      return await scenario(name, server, (tally) => load(server.url, tally));
    } finally {
      await server.stop();
      await upstream.stop();
    }
  };
  const concurrent = await run(`(a) ${values.bodies} concurrent 5 MB bodies`, 4, (url, tally) =>
    Promise.all(Array.from({ length: Number(values.bodies) }, () => post(url, body, tally))).then(() => undefined),
  );
  const rate = Number(values.rate);
  const total = rate * Number(values.seconds);
  const sustained = await run(`(b) ${rate}/s 5 MB bodies, 10 s replies, ${values.seconds} s`, 20, async (url, tally) => {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i += 1) {
      pending.push(post(url, body, tally));
      await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
    }
    await Promise.all(pending);
  });
  console.log(`zero aborts, peak RSS < 450 MiB, only 200/503: ${concurrent && sustained ? "yes" : "NO"}`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(killAllChildren);
