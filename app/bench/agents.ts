import { type BenchContext, type EntryKind, withServer, withUpstream } from "./context";
import { closedLoop } from "./load";
import { cpuTimeMs } from "./proc-stats";
import type { ServerProcess, UpstreamPacing } from "./processes";
import { distribution, type Distribution, round } from "./stats";
import { checkStream, expectedText, loadAgent, promptFor, streamOnce } from "./stream-client";
import type { BenchCertificate } from "./tls";

/**
 * The agent scenario: coding assistants and tool loops make many short calls with long prompts, so what a request
 * costs matters as much as what a token costs. Every call sends a long prompt and gets 5-20 tokens back, fast;
 * virtual clients send them back to back. The stand-in serves HTTPS, as Bedrock does, so a client that opens an
 * upstream connection per call pays a TCP connect and a TLS handshake each time.
 *
 * Three servers run side by side against one stand-in, measured in interleaved rounds (a change in the machine's
 * load then weighs on all alike): the service, the service with the SDK's default request handler, the baseline.
 * CPU is each server process's own, from /proc, summed over its rounds.
 */

export interface AgentPlan {
  clients: number;
  /** Requests per client before measuring (JIT, kept-alive connections). */
  warmupPerClient: number;
  rounds: number;
  perClientPerRound: number;
  /** Characters of context in front of each question. */
  promptChars: number;
  pacing: UpstreamPacing;
}

export const AGENT_TARGETS = ["ours", "oursSdkDefault", "baseline"] as const satisfies readonly EntryKind[];
export type AgentTarget = (typeof AGENT_TARGETS)[number];

export interface AgentRun {
  requests: number;
  completedExact: number;
  problems: string[];
  cpuMs: number;
  cpuPerRequestMs: number;
  requestsPerCpuSecond: number;
  /** Time to the first line of each call, ms. */
  firstLine: Distribution;
  /** Requests per second of wall time spent on this target's rounds. */
  requestsPerSecond: number;
}

export interface AgentFigures {
  plan: AgentPlan;
  runs: Record<AgentTarget, AgentRun>;
}

/** A long prompt: source-like context (ASCII) in front of one of the two questions, so replies alternate languages. */
export function agentPrompt(index: number, chars: number): string {
  const line = "export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) });\n";
  return `${line.repeat(Math.ceil(chars / line.length)).slice(0, chars)}\n${promptFor(index)}`;
}

interface Tally {
  requests: number;
  cpuMs: number;
  wallMs: number;
  firstLines: number[];
  exact: number;
  problems: Set<string>;
}

async function measureRound(server: ServerProcess, plan: AgentPlan, perClient: number, tally?: Tally): Promise<void> {
  const agent = loadAgent();
  const prompts = [0, 1].map((i) => agentPrompt(i, plan.promptChars));
  const expected = prompts.map((prompt) => expectedText(prompt, plan.pacing.tokens));
  const cpuBefore = cpuTimeMs(server.pid);
  const startedAt = performance.now();
  const checks = await closedLoop(plan.clients, perClient, 0, async (index) =>
    checkStream(await streamOnce(agent, server.url, prompts[index % 2]), expected[index % 2]),
  );
  const wallMs = performance.now() - startedAt;
  const cpuMs = cpuTimeMs(server.pid) - cpuBefore;
  agent.destroy();
  if (!tally) return;
  tally.requests += checks.length;
  tally.cpuMs += cpuMs;
  tally.wallMs += wallMs;
  for (const check of checks) {
    if (check.exact) tally.exact += 1;
    else if (check.problem) tally.problems.add(check.problem);
    if (check.firstLineMs !== undefined) tally.firstLines.push(check.firstLineMs);
  }
}

export async function measureAgents(ctx: BenchContext, plan: AgentPlan, tls: BenchCertificate): Promise<AgentFigures> {
  return withUpstream(
    ctx,
    "agents",
    plan.pacing,
    (upstream) => {
      const servers = {} as Record<AgentTarget, ServerProcess>;
      const start = async (index: number): Promise<AgentFigures> => {
        if (index < AGENT_TARGETS.length) {
          const target = AGENT_TARGETS[index];
          return withServer(ctx, target, "agents", upstream.url, (server) => {
            servers[target] = server;
            return start(index + 1);
          }, { tls });
        }
        return measureAll(servers, plan);
      };
      return start(0);
    },
    tls,
  );
}

async function measureAll(servers: Record<AgentTarget, ServerProcess>, plan: AgentPlan): Promise<AgentFigures> {
  const tallies = Object.fromEntries(
    AGENT_TARGETS.map((target) => [target, { requests: 0, cpuMs: 0, wallMs: 0, firstLines: [], exact: 0, problems: new Set() }]),
  ) as unknown as Record<AgentTarget, Tally>;
  for (const target of AGENT_TARGETS) await measureRound(servers[target], plan, plan.warmupPerClient);
  for (let i = 0; i < plan.rounds; i += 1) {
    for (const target of AGENT_TARGETS) await measureRound(servers[target], plan, plan.perClientPerRound, tallies[target]);
  }
  const runs = {} as Record<AgentTarget, AgentRun>;
  for (const target of AGENT_TARGETS) {
    const tally = tallies[target];
    runs[target] = {
      requests: tally.requests,
      completedExact: tally.exact,
      problems: [...tally.problems].slice(0, 5),
      cpuMs: tally.cpuMs,
      cpuPerRequestMs: round(tally.cpuMs / Math.max(1, tally.requests), 3),
      requestsPerCpuSecond: round((tally.requests * 1000) / Math.max(1, tally.cpuMs), 0),
      firstLine: distribution(tally.firstLines),
      requestsPerSecond: round((tally.requests * 1000) / tally.wallMs, 0),
    };
  }
  return { plan, runs };
}
