import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { waitUntil } from "./harness";

/** The terminal client's launcher, exactly what `npm run chat` and the `bedrock-chat` bin run. */
export const CHAT_BIN = path.resolve(__dirname, "../../cli/bin.cjs");

/**
 * The terminal client as a child process with pipes: stdin to write questions, stdout/stderr collected as text.
 * Its environment is only what the test gives (plus PATH), so a developer's CHAT_API_URL never leaks in.
 */
export class ChatProcess {
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding("utf8").on("data", (text: string) => (this.stdout += text));
    child.stderr!.setEncoding("utf8").on("data", (text: string) => (this.stderr += text));
    this.exited = once(child, "exit").then(([code, signal]) => ({ code, signal }));
  }

  static start(args: string[], env: Record<string, string>, options: { cwd?: string; command?: string[] } = {}): ChatProcess {
    const [command, ...prefix] = options.command ?? [process.execPath, CHAT_BIN];
    const child = spawn(command, [...prefix, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? "", NO_COLOR: "1", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    return new ChatProcess(child);
  }

  /** Runs to the end with `input` on stdin (closed right after). */
  static async run(args: string[], env: Record<string, string>, input = "", options: { cwd?: string } = {}) {
    const chat = ChatProcess.start(args, env, options);
    chat.child.stdin!.end(input);
    const exit = await chat.exited;
    return { ...exit, stdout: chat.stdout, stderr: chat.stderr };
  }

  write(text: string): void {
    this.child.stdin!.write(text);
  }

  waitFor(stream: "stdout" | "stderr", match: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const found = () => (typeof match === "string" ? this[stream].includes(match) : match.test(this[stream]));
    return waitUntil(() => (found() ? this[stream] : undefined), timeoutMs, `${stream} to show ${match}`);
  }

  /** The number of figure lines (one per finished or stopped reply) on stderr. */
  statsLines(): string[] {
    return this.stderr.split("\n").filter((line) => /^\[(TTFT|no tokens)/.test(line));
  }
}
