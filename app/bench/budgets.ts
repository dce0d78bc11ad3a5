import path from "node:path";
import { localDynamoClient } from "../local/usage-table";
import { ENV, GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { SETTINGS } from "../src/settings";
import type { ApiKeys } from "../src/usage/keys";
import { UsageStore } from "../src/usage/store";
import { windowsAt } from "../src/usage/windows";
import { BareConsumer } from "./bare-consumer";
import { type BenchContext, withServer, withUpstream } from "./context";
import { type FirstLinePlan, interleaved, overBare, type Probe, serverProbe } from "./first-line";
import { type CpuFigures, type CpuPlan, type ServerUnderTest, measureCpuSideBySide } from "./budgets-cpu";
import { cpuTimeMs } from "./proc-stats";
import { startUsageTable, type UpstreamPacing } from "./processes";
import type { Distribution } from "./stats";
import { loadAgent, promptFor } from "./stream-client";

/**
 * Token budgets on against off (issue 12): the production bundle four times, side by side on the same stand-in:
 * twice metering against the usage table (dynalite in its own process, the table created as the stack creates it,
 * keys with limits far above anything the run uses, each request carrying the key-id header API Gateway adds), as
 * deployed by default (`on`: checks from counters up to `BUDGET_READ_MAX_AGE_MS`'s default old) and with exact checks
 * (`exact`: `BUDGET_READ_MAX_AGE_MS=0`, a read before every request), and twice as the rest of the benchmark runs it
 * (`off`: no table, no keys, no header; `control`: the same again, so the report shows how far two identical
 * servers differ in this run, the resolution of every "vs off" figure). Added time to first line is measured in
 * interleaved rounds, CPU per streamed token with all four loaded at once (see budgets-cpu.ts).
 */

export const BUDGET_MODES = ["on", "exact", "off", "control"] as const;
export type BudgetMode = (typeof BUDGET_MODES)[number];

export interface BudgetsPlan {
  /** Keys the requests rotate over: concurrent streams of one key share budget reads and charge writes. */
  keys: number;
  firstLine: FirstLinePlan[];
  cpu: CpuPlan;
}

export interface BudgetsFirstLine {
  concurrency: number;
  bare: Distribution;
  observed: Record<BudgetMode, Distribution>;
  /** observed − bare, per percentile. */
  added: Record<BudgetMode, { p50: number; p99: number }>;
  failed: Record<BudgetMode, number>;
}

export type BudgetsCpu = CpuFigures<BudgetMode>;

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
    const headers: Record<BudgetMode, ServerUnderTest["headers"]> = { on: keyed, exact: keyed, off: () => ({}), control: () => ({}) };
    const env: Record<BudgetMode, NodeJS.ProcessEnv | undefined> = {
      on: envOn,
      exact: { ...envOn, [ENV.budgetReadMaxAgeMs]: "0" },
      off: undefined,
      control: undefined,
    };
    /** The four servers on one stand-in: `use` gets them (and the stand-in's URL) once all are healthy. */
    const withAll = <T>(label: string, pacing: UpstreamPacing, use: (upstreamUrl: string, servers: Servers) => Promise<T>) =>
      withUpstream(ctx, `${label}-budgets`, pacing, (upstream) => {
        const started = {} as Servers;
        const next = ([mode, ...rest]: readonly BudgetMode[]): Promise<T> =>
          mode === undefined
            ? use(upstream.url, started)
            : withServer(ctx, "ours", `${label}-budgets-${mode}`, upstream.url, (server) => {
                started[mode] = { url: server.url, pid: server.pid, headers: headers[mode] };
                return next(rest);
              }, { env: env[mode] });
        return next(BUDGET_MODES);
      });

    const firstLine: BudgetsFirstLine[] = [];
    for (const linePlan of plan.firstLine) {
      firstLine.push(await withAll(linePlan.label, linePlan.pacing, (upstreamUrl, servers) => measureFirstLine(linePlan, upstreamUrl, servers)));
    }
    const cpu = await withAll("cpu", plan.cpu.pacing, (_, servers) => measureCpuSideBySide(plan.cpu, servers));
    const storeCpuMs = cpuTimeMs(store.pid) - storeCpuBefore;
    const charged = await chargedRequests(store.url, store.tableName, Object.values(keys).map((key) => key.name));
    return { defaultMaxAgeMs: SETTINGS.budgetReadMaxAgeMs.default, firstLine, cpu, requests: { sent, charged }, storeCpuMs };
  } finally {
    await store.stop();
  }
}

type Servers = Record<BudgetMode, ServerUnderTest>;

async function measureFirstLine(plan: FirstLinePlan, upstreamUrl: string, servers: Servers): Promise<BudgetsFirstLine> {
  const bare = new BareConsumer(upstreamUrl);
  const agent = loadAgent();
  try {
    const probes = BUDGET_MODES.map((mode) => [mode, serverProbe(plan, agent, servers[mode].url, undefined, servers[mode].headers)]);
    const samples = await interleaved(plan, {
      bare: (index: number) => bare.timeToFirstDelta(promptFor(index)),
      ...(Object.fromEntries(probes) as Record<BudgetMode, Probe>),
    });
    return { concurrency: plan.concurrency, ...overBare(samples, BUDGET_MODES) };
  } finally {
    agent.destroy();
    bare.close();
  }
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
