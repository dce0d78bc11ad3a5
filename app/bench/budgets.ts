import type http from "node:http";
import path from "node:path";
import { localDynamoClient } from "../local/usage-table";
import { ENV, GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { SETTINGS } from "../src/settings";
import type { ApiKeys } from "../src/usage/keys";
import { UsageStore } from "../src/usage/store";
import { windowsAt } from "../src/usage/windows";
import { BareConsumer } from "./bare-consumer";
import { type BenchContext, withServer, withUpstream } from "./context";
import { type FirstLinePlan, interleaved, overBare, serverProbe } from "./first-line";
import { closedLoop } from "./load";
import { cpuTimeMs } from "./proc-stats";
import { type ServerProcess, startUsageTable, type UpstreamPacing } from "./processes";
import { type Distribution, round } from "./stats";
import { checkStream, expectedText, loadAgent, promptFor, streamOnce } from "./stream-client";

/**
 * Token budgets on against off (issue 12): the production bundle three times, side by side on the same stand-in:
 * twice metering against the usage table (dynalite in its own process, the table created as the stack creates it,
 * keys with limits far above anything the run uses, each request carrying the key-id header API Gateway adds), as
 * deployed by default (`on`: checks from counters up to `BUDGET_READ_MAX_AGE_MS`'s default old) and with exact checks
 * (`exact`: `BUDGET_READ_MAX_AGE_MS=0`, a read before every request), and once as the rest of the benchmark runs it
 * (`off`: no table, no keys, no header). All are measured in interleaved rounds, so the machine's load weighs on
 * them alike: added time to first line, and CPU per streamed token.
 */

export const BUDGET_MODES = ["on", "exact", "off"] as const;
export type BudgetMode = (typeof BUDGET_MODES)[number];

export interface BudgetsPlan {
  /** Keys the requests rotate over: concurrent streams of one key share budget reads and charge writes. */
  keys: number;
  firstLine: FirstLinePlan[];
  cpu: { streams: number; rounds: number; rampMs: number; pacing: UpstreamPacing };
}

export interface BudgetsFirstLine {
  concurrency: number;
  bare: Distribution;
  observed: Record<BudgetMode, Distribution>;
  /** observed − bare, per percentile. */
  added: Record<BudgetMode, { p50: number; p99: number }>;
  failed: Record<BudgetMode, number>;
}

export interface BudgetsCpu {
  streams: number;
  rounds: number;
  tokensPerStream: number;
  completedExact: Record<BudgetMode, number>;
  problems: string[];
  tokens: Record<BudgetMode, number>;
  cpuMs: Record<BudgetMode, number>;
  cpuPerTokenUs: Record<BudgetMode, number>;
}

export interface BudgetsFigures {
  /** The `on` mode's `BUDGET_READ_MAX_AGE_MS`: the setting's default. */
  defaultMaxAgeMs: number;
  firstLine: BudgetsFirstLine[];
  cpu: BudgetsCpu;
  /** Requests sent to the budgets-on servers, and those the usage table holds when they have stopped. */
  requests: { sent: number; charged: number };
  /** CPU the usage table's process used during the phase (DynamoDB's share, not the server's). */
  storeCpuMs: number;
}

/** Key ids API Gateway would send, and the `API_KEYS` that names them: limits that can never refuse. */
function benchKeys(count: number): { ids: string[]; keys: ApiKeys } {
  const ids = Array.from({ length: count }, (_, i) => `bench-key-id-${i}`);
  const limit = Number.MAX_SAFE_INTEGER;
  const keys = Object.fromEntries(ids.map((id, i) => [id, { name: `bench-${i}`, tokensPerDay: limit, tokensPerMonth: limit }]));
  return { ids, keys };
}

export async function measureBudgets(ctx: BenchContext, plan: BudgetsPlan): Promise<BudgetsFigures> {
  const store = await startUsageTable(path.join(ctx.logsDir, "budgets-usage-table.log"));
  try {
    const storeCpuBefore = cpuTimeMs(store.pid);
    const { ids, keys } = benchKeys(plan.keys);
    const envOn: NodeJS.ProcessEnv = {
      [ENV.usageTableName]: store.tableName,
      [ENV.dynamodbEndpoint]: store.url,
      [ENV.apiKeys]: JSON.stringify(keys),
      // Explicit, so a value exported in the shell cannot run under the default's label.
      [ENV.budgetReadMaxAgeMs]: String(SETTINGS.budgetReadMaxAgeMs.default),
    };
    let sent = 0;
    const keyed = (index: number) => {
      sent += 1;
      return { [GATEWAY_API_KEY_ID_HEADER]: ids[index % ids.length] };
    };
    const headers: Headers = { on: keyed, exact: keyed, off: () => ({}) };
    const envExact = { ...envOn, [ENV.budgetReadMaxAgeMs]: "0" };
    /** The three servers on one stand-in: `use` gets them (and the stand-in's URL) once all are healthy. */
    const withAll = <T>(label: string, pacing: UpstreamPacing, use: (servers: Servers) => Promise<T>) =>
      withUpstream(ctx, `${label}-budgets`, pacing, (upstream) =>
        withServer(ctx, "ours", `${label}-budgets-on`, upstream.url, (on) =>
          withServer(ctx, "ours", `${label}-budgets-exact`, upstream.url, (exact) =>
            withServer(ctx, "ours", `${label}-budgets-off`, upstream.url, (off) =>
              use({ upstreamUrl: upstream.url, on, exact, off })),
          { env: envExact }),
        { env: envOn }),
      );

    const firstLine: BudgetsFirstLine[] = [];
    for (const linePlan of plan.firstLine) {
      firstLine.push(await withAll(linePlan.label, linePlan.pacing, (servers) => measureFirstLine(linePlan, servers, headers)));
    }
    const cpu = await withAll("cpu", plan.cpu.pacing, (servers) => measureCpu(plan.cpu, servers, headers));
    const storeCpuMs = cpuTimeMs(store.pid) - storeCpuBefore;
    const charged = await chargedRequests(store.url, store.tableName, Object.values(keys).map((key) => key.name));
    return { defaultMaxAgeMs: SETTINGS.budgetReadMaxAgeMs.default, firstLine, cpu, requests: { sent, charged }, storeCpuMs };
  } finally {
    await store.stop();
  }
}

type Servers = Record<BudgetMode, ServerProcess> & { upstreamUrl: string };
type Headers = Record<BudgetMode, (index: number) => http.OutgoingHttpHeaders>;

async function measureFirstLine(plan: FirstLinePlan, servers: Servers, headers: Headers): Promise<BudgetsFirstLine> {
  const bare = new BareConsumer(servers.upstreamUrl);
  const agent = loadAgent();
  try {
    const samples = await interleaved(plan, {
      bare: (index) => bare.timeToFirstDelta(promptFor(index)),
      on: serverProbe(plan, agent, servers.on.url, undefined, headers.on),
      exact: serverProbe(plan, agent, servers.exact.url, undefined, headers.exact),
      off: serverProbe(plan, agent, servers.off.url, undefined, headers.off),
    });
    return { concurrency: plan.concurrency, ...overBare(samples, BUDGET_MODES) };
  } finally {
    agent.destroy();
    bare.close();
  }
}

/**
 * CPU per streamed token: each server in turn carries `streams` concurrent streams, in ABBA order over the rounds
 * (on, exact, off, then off, exact, on, ...: every mode's mean position is the same) so a steady drift in the
 * machine's load cancels out, after a warm-up round of all together.
 */
async function measureCpu(plan: BudgetsPlan["cpu"], servers: Servers, headers: Headers): Promise<BudgetsCpu> {
  const expected = [0, 1].map((i) => expectedText(promptFor(i), plan.pacing.tokens));
  const agent = loadAgent();
  const load = (mode: BudgetMode) =>
    closedLoop(plan.streams, 1, plan.rampMs, async (index) =>
      checkStream(await streamOnce(agent, servers[mode].url, promptFor(index), undefined, headers[mode](index)), expected[index % 2]),
    );
  const zero = (): Record<BudgetMode, number> => ({ on: 0, exact: 0, off: 0 });
  const figures: BudgetsCpu = {
    streams: plan.streams,
    rounds: plan.rounds,
    tokensPerStream: plan.pacing.tokens,
    completedExact: zero(),
    problems: [],
    tokens: zero(),
    cpuMs: zero(),
    cpuPerTokenUs: zero(),
  };
  try {
    await Promise.all(BUDGET_MODES.map(load));
    for (let round = 0; round < plan.rounds; round += 1) {
      for (const mode of round % 2 === 0 ? BUDGET_MODES : [...BUDGET_MODES].reverse()) {
        const before = cpuTimeMs(servers[mode].pid);
        const checks = await load(mode);
        figures.cpuMs[mode] += cpuTimeMs(servers[mode].pid) - before;
        figures.tokens[mode] += checks.reduce((sum, check) => sum + check.deltas, 0);
        figures.completedExact[mode] += checks.filter((check) => check.exact).length;
        figures.problems.push(...checks.flatMap((check) => (check.problem ? [`${mode}: ${check.problem}`] : [])));
      }
    }
  } finally {
    agent.destroy();
  }
  figures.problems = [...new Set(figures.problems)].slice(0, 5);
  for (const mode of BUDGET_MODES) {
    figures.cpuPerTokenUs[mode] = round((figures.cpuMs[mode] * 1000) / Math.max(1, figures.tokens[mode]), 2);
  }
  return figures;
}

/**
 * Requests the table holds for the keys this month, read once every budgets-on server has stopped (a server's
 * shutdown waits for its last charges): each request sent with a key must have been charged exactly once.
 */
async function chargedRequests(url: string, tableName: string, keyNames: string[]): Promise<number> {
  const client = localDynamoClient(url);
  try {
    const store = new UsageStore(client, tableName);
    const windows = windowsAt(new Date());
    const used = await Promise.all(keyNames.map((name) => store.read(name, windows)));
    return used.reduce((sum, { month }) => sum + month.requests, 0);
  } finally {
    client.destroy();
  }
}
