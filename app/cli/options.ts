import { parseArgs } from "node:util";
import type { ChatSettings } from "../src/playground/client/chat-stream";

/**
 * The terminal client's command line. Every setting has one flag; the endpoint and key also read environment
 * variables (see endpoint.ts for the full order).
 */

export const USAGE = `usage: npm run chat -- [options] [question...]
       bedrock-chat [options] [question...]

With a question (or text on standard input) it answers once and exits; with neither, on a terminal, it starts an
interactive chat with history. Ctrl-C stops the current reply (the gateway cancels the Bedrock call); a second
Ctrl-C quits.

  -u, --url URL           the gateway's stage URL                         [env CHAT_API_URL]
  -k, --api-key KEY       the API key                                     [env CHAT_API_KEY]
  -m, --model ID          a model the gateway serves (default: its own)   [env CHAT_MODEL]
  -s, --system TEXT       system prompt
      --max-tokens N      longest reply, in tokens
  -t, --temperature X     sampling temperature
  -i, --interactive       chat turn by turn even when standard input is not a terminal (one turn per line)
      --json              print each raw stream frame (one JSON object per line) instead of the text
  -h, --help              show this help

\`bedrock-chat usage\` (\`npm run usage\`) prints a month's spend per key and model from the usage table instead:
\`bedrock-chat usage --help\`.

Without --url or CHAT_API_URL it asks \`pulumi stack output\` when run in a Pulumi project's directory (and the
pulumi CLI is installed), else it uses the local mode's http://localhost:$PORT (8080).`;

export interface CliOptions {
  url?: string;
  apiKey?: string;
  settings: ChatSettings;
  interactive: boolean;
  json: boolean;
  help: boolean;
  /** The question given as arguments, if any. */
  question?: string;
}

/** A bad command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        url: { type: "string", short: "u" },
        "api-key": { type: "string", short: "k" },
        model: { type: "string", short: "m" },
        system: { type: "string", short: "s" },
        "max-tokens": { type: "string" },
        temperature: { type: "string", short: "t" },
        interactive: { type: "boolean", short: "i", default: false },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  return {
    url: values.url ? httpUrl("--url", values.url) : env.CHAT_API_URL ? httpUrl("CHAT_API_URL", env.CHAT_API_URL) : undefined,
    apiKey: values["api-key"] || env.CHAT_API_KEY || undefined,
    settings: {
      model: values.model || env.CHAT_MODEL || undefined,
      system: values.system || undefined,
      maxTokens: number("--max-tokens", values["max-tokens"], 1, Number.MAX_SAFE_INTEGER, true),
      temperature: number("--temperature", values.temperature, 0, 2, false),
    },
    interactive: values.interactive,
    json: values.json,
    help: values.help,
    question: positionals.length > 0 ? positionals.join(" ") : undefined,
  };
}

function number(flag: string, raw: string | undefined, min: number, max: number, whole: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(value) || value < min || value > max || (whole && !Number.isInteger(value))) {
    throw new UsageError(`${flag} must be a ${whole ? "whole " : ""}number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : " up"}, got "${raw}"`);
  }
  return value;
}

/** A typo in the URL is a bad command line, not an unreachable gateway. */
function httpUrl(source: string, raw: string): string {
  if (!URL.canParse(raw) || !/^https?:$/.test(new URL(raw).protocol)) {
    throw new UsageError(`${source} must be an http:// or https:// URL, got "${raw}"`);
  }
  return raw;
}
