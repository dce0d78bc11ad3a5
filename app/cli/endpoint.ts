import { execFile } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

/**
 * Where the terminal client sends its requests, found in this order: `--url`/`--api-key`, then `CHAT_API_URL`/
 * `CHAT_API_KEY` (both applied by options.ts), then the outputs of the Pulumi stack of the directory it runs in,
 * then the local mode's URL. The key is taken from the stack only together with the stack's URL.
 */

export interface Endpoint {
  url: string;
  apiKey?: string;
  /** Where the URL came from, shown when an interactive chat starts. */
  source: "flag or environment" | "pulumi stack output" | "local mode";
}

const PULUMI_TIMEOUT_MS = 30_000;

export async function resolveEndpoint(
  given: { url?: string; apiKey?: string },
  env: NodeJS.ProcessEnv,
  /** The directory the user ran the command in (npm runs scripts from the package root and keeps it in INIT_CWD). */
  cwd: string,
): Promise<Endpoint> {
  if (given.url) return { url: given.url, apiKey: given.apiKey, source: "flag or environment" };
  const stack = await stackOutputs(env, cwd);
  if (stack?.url) return { url: stack.url, apiKey: given.apiKey ?? stack.apiKey, source: "pulumi stack output" };
  return { url: `http://localhost:${env.PORT || 8080}`, apiKey: given.apiKey, source: "local mode" };
}

/** The stack's `url` and `apiKey` outputs, or undefined when there is no Pulumi project, CLI, or selected stack. */
async function stackOutputs(env: NodeJS.ProcessEnv, cwd: string): Promise<{ url?: string; apiKey?: string } | undefined> {
  if (!existsSync(path.join(cwd, "Pulumi.yaml")) || !onPath("pulumi", env)) return undefined;
  try {
    const { stdout } = await promisify(execFile)("pulumi", ["stack", "output", "--json", "--show-secrets"], {
      cwd,
      env,
      timeout: PULUMI_TIMEOUT_MS,
    });
    const outputs = JSON.parse(stdout) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
    return { url: text(outputs.url), apiKey: text(outputs.apiKey) };
  } catch {
    // No stack selected, not logged in, no outputs yet: the local mode is the next candidate.
    return undefined;
  }
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
