import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { TEST_ENV, type LogLine, waitUntil } from "./harness";

const APP_DIR = path.resolve(__dirname, "../..");
let bundle: Promise<string> | undefined;

/**
 * Builds the production bundle once per test run with app/build.mjs, into a fresh folder under the system temp
 * directory: no node_modules there or above it, exactly like the container's /app.
 */
export function bundleDir(): Promise<string> {
  bundle ??= (async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "chat-api-bundle-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    await promisify(execFile)(process.execPath, [path.join(APP_DIR, "build.mjs"), "--outdir", dir]);
    return dir;
  })();
  return bundle;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** The bundled server as a child process: plain `node server.js`, its stdout parsed as JSON log lines. */
export class ServerProcess {
  readonly logs: LogLine[] = [];
  stdout = "";
  stderr = "";
  readonly exited: Promise<Exit>;
  port = 0;

  private constructor(readonly child: ChildProcess) {
    let partial = "";
    child.stdout!.setEncoding("utf8").on("data", (text: string) => {
      this.stdout += text;
      const lines = (partial + text).split("\n");
      partial = lines.pop()!;
      for (const line of lines) if (line.trim()) this.logs.push(JSON.parse(line));
    });
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (this.stderr += text));
    this.exited = once(child, "exit").then(([code, signal]) => ({ code, signal }) as Exit);
  }

  /**
   * Starts `node server.js` in the bundle folder with only the given environment (plus PATH), on a random port of
   * 127.0.0.1. Resolves once it logged "listening", or, with `expectExit`, right after spawning.
   */
  static async start(env: Record<string, string>, options: { expectExit?: boolean } = {}): Promise<ServerProcess> {
    const dir = await bundleDir();
    const child = spawn(process.execPath, ["server.js"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ...TEST_ENV, PORT: "0", HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const server = new ServerProcess(child);
    if (options.expectExit) return server;
    const listening = await Promise.race([
      server.waitForLog((line) => line.msg === "listening", 10_000),
      server.exited.then((exit) => {
        throw new Error(`server exited before listening (${JSON.stringify(exit)}): ${server.stderr}`);
      }),
    ]);
    server.port = listening.port;
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  waitForLog(match: (line: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> {
    return waitUntil(() => this.logs.find(match), timeoutMs, "a log line");
  }

  /** Stops the process if it still runs (tests that expect an exit have already awaited it). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
  }
}
