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
  /** Why the stack's outputs were not used although this is a Pulumi project (printed, so the fallback is no mystery). */
  note?: string;
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
  if (stack && "url" in stack) return { url: stack.url, apiKey: given.apiKey ?? stack.apiKey, source: "pulumi stack output" };
  const local = `http://localhost:${env.PORT || 8080}`;
  return { url: local, apiKey: given.apiKey, source: "local mode", note: stack && `${stack.problem}; using ${local}` };
}

type StackOutputs = { url: string; apiKey?: string } | { problem: string };

/** The stack's `url` and `apiKey` outputs; undefined when there is no Pulumi project or CLI here. */
async function stackOutputs(env: NodeJS.ProcessEnv, cwd: string): Promise<StackOutputs | undefined> {
  if (!existsSync(path.join(cwd, "Pulumi.yaml")) || !onPath("pulumi", env)) return undefined;
  try {
    const { stdout } = await promisify(execFile)("pulumi", ["stack", "output", "--json", "--show-secrets"], {
      cwd,
      env,
      timeout: PULUMI_TIMEOUT_MS,
    });
    const outputs = JSON.parse(stdout) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === "string" && value ? value : undefined);
    const url = text(outputs.url);
    return url ? { url, apiKey: text(outputs.apiKey) } : { problem: "the Pulumi stack has no url output (not deployed yet?)" };
  } catch (error) {
    // No stack selected, not logged in, no passphrase for the secrets: the local mode is the next candidate.
    const said = String((error as { stderr?: string }).stderr ?? "").trim().split("\n")[0] || (error as Error).message;
    return { problem: `pulumi stack output failed (${said.replace(/^error: /, "")})` };
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
