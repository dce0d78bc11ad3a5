import { mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { TASK_HEAP } from "./plan";
import { memory } from "./proc-stats";
import { builtServerEntry, runBench, type ServerProcess, startServer, startUpstream } from "./processes";
import { upload, type UploadOutcome } from "./upload-client";
import { NDJSON } from "./wire-formats";

/**
 * `npx tsx app/bench/large-bodies.ts [--bodies 40] [--rate 5] [--seconds 30] [--stalled 60] [--only a,b,c] [--wait-ms N]`
 * after
 * `npm run build`: issue 20 item 12 on its own. The bundle runs with a 512 MiB task's heap flags (the plan's
 * `nodeArgs`) and takes, each request a valid 5 MB `POST /stream` body:
 * (a) `bodies` concurrent bodies; (b) `rate` a second for `seconds` with 10-second replies; (c) `stalled` uploads
 * that send 1 MB of their body and stall, while one complete upload a second arrives for 15 s (beyond the body
 * read deadline, BODY_READ_TIMEOUT_MS, 10 s by default).
 * Prints, per scenario and group: statuses, requests left without an answer, requests answered and then reset while
 * still sending, whether the server exited (an abort), and its peak RSS (VmHWM). The figures go into
 * docs/performance.md.
 */
const BODY_BYTES = 5_000_000;
const STALL_AFTER_BYTES = 1_000_000;
const MIB = 1024 * 1024;

type Groups = Record<string, UploadOutcome[]>;

/** One group's line; whether every caller in it was answered with one of `allowed` and nothing was reset. */
function report(group: string, outcomes: UploadOutcome[], allowed: number[]): { line: string; ok: boolean } {
  const statuses = new Map<number, number>();
  for (const { status } of outcomes) if (status !== undefined) statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const noAnswer = outcomes.filter((outcome) => outcome.status === undefined);
  const late = outcomes.filter((outcome) => outcome.lateError !== undefined);
  const other = [...statuses].filter(([status]) => !allowed.includes(status)).reduce((sum, [, count]) => sum + count, 0);
  const codes = [...new Set([...noAnswer.map((o) => o.error), ...late.map((o) => o.lateError)])].join(", ");
  const counts = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`).join(", ");
  return {
    line: `  ${group}: ${outcomes.length} callers; ${counts}; other: ${other}; no answer: ${noAnswer.length}; ` +
      `reset after the answer: ${late.length}${codes ? ` (${codes})` : ""}`,
    ok: noAnswer.length === 0 && late.length === 0 && other === 0,
  };
}

async function scenario(name: string, server: ServerProcess, load: () => Promise<Groups>, allowed: (group: string) => number[]): Promise<boolean> {
  const started = performance.now();
  const groups = await load();
  const exited = server.child.exitCode !== null || server.child.signalCode !== null;
  const peak = exited ? NaN : memory(server.pid).peakRss / MIB;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${name}: server exited (abort): ${exited ? "YES" : "no"}; peak RSS ${peak.toFixed(1)} MiB; ${seconds} s`);
  let ok = !exited && peak < 450;
  for (const [group, outcomes] of Object.entries(groups)) {
    const { line, ok: groupOk } = report(group, outcomes, allowed(group));
    console.log(line);
    ok &&= groupOk;
  }
  return ok;
}

function largeBody(): Buffer {
  const overhead = Buffer.byteLength(JSON.stringify(NDJSON.body("")));
  return Buffer.from(JSON.stringify(NDJSON.body("lorem ipsum ".repeat(BODY_BYTES / 12).slice(0, BODY_BYTES - overhead))));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` uploads, one every `1000 / perSecond` ms; resolves with every outcome. */
async function paced(count: number, perSecond: number, send: () => Promise<UploadOutcome>): Promise<UploadOutcome[]> {
  const pending: Promise<UploadOutcome>[] = [];
  for (let i = 0; i < count; i += 1) {
    pending.push(send());
    await sleep(1000 / perSecond);
  }
  return Promise.all(pending);
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const { values } = parseArgs({
    options: {
      bodies: { type: "string", default: "40" },
      rate: { type: "string", default: "5" },
      seconds: { type: "string", default: "30" },
      stalled: { type: "string", default: "60" },
      only: { type: "string", default: "a,b,c" },
      // BODY_MEMORY_WAIT_MS for the server; unset: the setting's default.
      "wait-ms": { type: "string" },
      out: { type: "string", default: "bench-results" },
    },
  });
  const entry = builtServerEntry();
  const logsDir = path.resolve(values.out!, "logs");
  mkdirSync(logsDir, { recursive: true });
  const { nodeArgs } = TASK_HEAP;
  const body = largeBody();
  const only = new Set(values.only!.split(","));
  console.log(`server flags: ${nodeArgs.join(" ")}; BODY_MEMORY_WAIT_MS ${values["wait-ms"] ?? "default"}; body ${body.length} bytes`);
  const run = async (name: string, tokens: number, load: (url: string) => Promise<Groups>, allowed = (_group: string) => [200, 503]) => {
    // 20 tokens make a 10-second reply: 2 a second after the first token's 500 ms.
    const upstream = await startUpstream({ firstTokenMs: 500, tokensPerSecond: 2, tokens }, path.join(logsDir, `large-bodies-upstream.log`));
    const env = values["wait-ms"] === undefined ? {} : { BODY_MEMORY_WAIT_MS: values["wait-ms"] };
    const server = await startServer({ entry, upstreamUrl: upstream.url, logFile: path.join(logsDir, `large-bodies-server.log`), nodeArgs, env });
    try {
      return await scenario(name, server, () => load(`${server.url}${NDJSON.path}`), allowed);
    } finally {
      await server.stop();
      await upstream.stop();
    }
  };
  const results: boolean[] = [];
  if (only.has("a")) {
    results.push(await run(`(a) ${values.bodies} concurrent 5 MB bodies`, 4, async (url) => ({
      bodies: await Promise.all(Array.from({ length: Number(values.bodies) }, () => upload(url, body))),
    })));
  }
  if (only.has("b")) {
    const rate = Number(values.rate);
    results.push(await run(`(b) ${rate}/s 5 MB bodies, 10 s replies, ${values.seconds} s`, 20, async (url) => ({
      bodies: await paced(rate * Number(values.seconds), rate, () => upload(url, body)),
    })));
  }
  if (only.has("c")) {
    const stalledCount = Number(values.stalled);
    results.push(await run(`(c) ${stalledCount} stalled uploads, 1 complete upload a second for 15 s`, 4, async (url) => {
      const stalled = Promise.all(Array.from({ length: stalledCount }, () => upload(url, body, { stallAfterBytes: STALL_AFTER_BYTES })));
      await sleep(200);
      const others = await paced(15, 1, () => upload(url, body));
      return { stalled: await stalled, others };
    }, (group) => (group === "stalled" ? [408, 503] : [200, 503])));
  }
  console.log(`zero aborts, peak RSS < 450 MiB, every caller answered (200/503; stalled 408/503), no resets: ${results.every(Boolean) ? "yes" : "NO"}`);
}

runBench(main);
