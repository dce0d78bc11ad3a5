import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { REALISTIC_PACING, type Pacing } from "./reply";
import type { Scenario } from "./scenario";
import type { TlsIdentity } from "./transport";
import { parseScenarioJson } from "./scenario-schema";

/**
 * Command-line options shared by `fake-bedrock-cli.ts` and `run-local.ts`: where the fake listens and how fast it
 * talks. Every flag also reads an environment variable, so `npm run local` can be tuned without `--` juggling.
 */

const FLAGS = {
  host: { type: "string", env: "FAKE_BEDROCK_HOST", help: "address the fake listens on (127.0.0.1)" },
  port: { type: "string", env: "FAKE_BEDROCK_PORT", help: "port of the fake (0: any free port)" },
  "first-token-ms": { type: "string", env: "FAKE_BEDROCK_FIRST_TOKEN_MS", help: "delay before the first token (300)" },
  "tokens-per-second": { type: "string", env: "FAKE_BEDROCK_TOKENS_PER_SECOND", help: "token rate after the first (~33)" },
  "jitter-ms": { type: "string", env: "FAKE_BEDROCK_JITTER_MS", help: "random ± spread of each gap (10; 0 with a rate)" },
  tokens: { type: "string", env: "FAKE_BEDROCK_TOKENS", help: "tokens per reply (the reply's natural length)" },
  "duration-seconds": { type: "string", env: "FAKE_BEDROCK_DURATION_SECONDS", help: "reply length in seconds at the rate" },
  scenario: { type: "string", env: "FAKE_BEDROCK_SCENARIO", help: 'scenario for every request: JSON or a JSON file, e.g. {"error":{"type":"ThrottlingException"}}' },
  "tls-cert": { type: "string", env: "FAKE_BEDROCK_TLS_CERT", help: "PEM certificate file: serve HTTPS (with --tls-key)" },
  "tls-key": { type: "string", env: "FAKE_BEDROCK_TLS_KEY", help: "PEM private key file of --tls-cert" },
  help: { type: "boolean", env: "", help: "show this help" },
} as const;

export interface FakeCliOptions {
  host?: string;
  port?: number;
  pacing: Pacing;
  scenario?: Scenario;
  tls?: TlsIdentity;
  help: boolean;
}

/** Thrown for a bad flag; the CLIs print its message and the usage, then exit 2. */
export class UsageError extends Error {}

export function usage(command: string): string {
  const lines = Object.entries(FLAGS).map(
    ([flag, spec]) => `  --${flag.padEnd(18)} ${spec.help}${spec.env ? ` [env ${spec.env}]` : ""}`,
  );
  return [`usage: ${command} [options]`, ...lines].join("\n");
}

function number(flag: string, raw: string | undefined, min: number, max = Infinity): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** Parses flags (falling back to their environment variables) into fake-server options. */
export function parseFakeCliOptions(argv: string[], env: NodeJS.ProcessEnv): FakeCliOptions {
  const options = Object.fromEntries(Object.entries(FLAGS).map(([flag, spec]) => [flag, { type: spec.type }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: options as never, strict: true }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const get = (flag: keyof typeof FLAGS) => (values[flag] as string | undefined) ?? (env[FLAGS[flag].env] || undefined);

  const rate = number("tokens-per-second", get("tokens-per-second"), 0.001);
  const duration = number("duration-seconds", get("duration-seconds"), 0);
  const tokens = number("tokens", get("tokens"), 1);
  if (duration !== undefined && rate === undefined) throw new UsageError("--duration-seconds needs --tokens-per-second");
  const pacing: Pacing = {
    firstTokenMs: number("first-token-ms", get("first-token-ms"), 0) ?? REALISTIC_PACING.firstTokenMs,
    interTokenMs: rate ? 1000 / rate : REALISTIC_PACING.interTokenMs,
    // An explicit rate is for measuring: keep it exact unless jitter is asked for.
    jitterMs: number("jitter-ms", get("jitter-ms"), 0) ?? (rate ? 0 : REALISTIC_PACING.jitterMs),
    tokenCount: tokens ?? (duration !== undefined && rate ? Math.max(1, Math.round(duration * rate)) : undefined),
  };

  const scenarioArg = get("scenario");
  let scenario: Scenario | undefined;
  if (scenarioArg) {
    try {
      // JSON text, or the path of a file that holds it (`--scenario tool-round.json`).
      scenario = parseScenarioJson(scenarioArg.trimStart().startsWith("{") ? scenarioArg : readFileSync(scenarioArg, "utf8"));
    } catch (error) {
      throw new UsageError(`--scenario: ${(error as Error).message}`);
    }
  }
  const cert = get("tls-cert");
  const key = get("tls-key");
  if (Boolean(cert) !== Boolean(key)) throw new UsageError("--tls-cert and --tls-key go together");
  let tls: TlsIdentity | undefined;
  try {
    tls = cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : undefined;
  } catch (error) {
    throw new UsageError(`cannot read the TLS files: ${(error as Error).message}`);
  }
  return {
    tls,
    host: get("host"),
    port: number("port", get("port"), 0, 65535),
    pacing,
    scenario,
    help: values.help === true,
  };
}
