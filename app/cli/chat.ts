import { createInterface } from "node:readline";
import { resolveEndpoint } from "./endpoint";
import { parseCliOptions, USAGE, UsageError } from "./options";
import { tidyNpmBanner } from "./npm-banner";
import { ChatSession } from "./session";
import { usageCommand } from "./usage/command";
import { Terminal } from "./terminal";

/**
 * `npm run chat` / `bedrock-chat`: streams the gateway's replies into the terminal as they arrive, with the time
 * to first token, tokens per second and usage after each. Exit codes: 0 done, 1 a request failed, 2 a bad command
 * line, 130 stopped (one-shot) or quit (interactive) with Ctrl-C.
 */

const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

async function main(): Promise<number> {
  tidyNpmBanner(process.stdout, process.stderr, process.env, process.argv.slice(2));
  // The operator's usage report is a subcommand of the same bin (usage/command.ts).
  if (process.argv[2] === "usage") return usageCommand(process.argv.slice(3), process.env, process);
  const options = parseCliOptions(process.argv.slice(2), process.env);
  if (options.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const terminal = new Terminal(process.stdout, process.stderr, process.env);
  const endpoint = await resolveEndpoint(options, process.env, process.env.INIT_CWD || process.cwd());
  if (endpoint.note) terminal.note(`note: ${endpoint.note}`);
  const session = new ChatSession(endpoint, options.settings, terminal, options.json);
  // The reader went away (`| head`): stop the reply, which cancels the Bedrock call, and leave quietly.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    session.stop();
    process.exit(EXIT.ok);
  });
  if (options.interactive || (options.question === undefined && process.stdin.isTTY)) {
    const model = options.settings.model ?? "the server's default model";
    terminal.note(`Chatting with ${endpoint.url} (${endpoint.source}), ${model}. Ctrl-C stops a reply; Ctrl-C again or Ctrl-D quits.`);
    return interactive(session);
  }
  const question = options.question ?? (await readAll(process.stdin)).trim();
  if (!question) throw new UsageError("no question: give one as arguments or on standard input, or run it in a terminal to chat");
  // Ctrl-C stops the reply; one that arrives while it is stopping (npm forwards the terminal's too) changes nothing.
  process.on("SIGINT", () => session.stop());
  const outcome = await session.ask(question);
  return outcome === "done" ? EXIT.ok : outcome === "stopped" ? EXIT.interrupted : EXIT.failed;
}

/** Turn by turn, one question per line; Ctrl-C stops a running reply, and quits when none is running. */
async function interactive(session: ChatSession): Promise<number> {
  const terminal = process.stdin.isTTY === true;
  const lines = createInterface({ input: process.stdin, output: terminal ? process.stdout : undefined, terminal });
  let failed = false;
  let quitByCtrlC = false;
  const interrupt = () => {
    if (session.running) return session.stop();
    quitByCtrlC = true;
    lines.close();
  };
  // On a terminal readline reads Ctrl-C itself (raw mode); through a pipe it arrives as a signal.
  lines.on("SIGINT", interrupt);
  process.on("SIGINT", interrupt);
  lines.setPrompt("› ");
  lines.prompt();
  for await (const line of lines) {
    if (line.trim()) failed = (await session.ask(line.trim())) === "failed" || failed;
    lines.prompt();
  }
  if (terminal) process.stdout.write("\n");
  return failed ? EXIT.failed : quitByCtrlC ? EXIT.interrupted : EXIT.ok;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream.setEncoding("utf8")) text += chunk;
  return text;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`chat: ${(error as Error).message}\n`);
    if (error instanceof UsageError) process.stderr.write(`${USAGE}\n`);
    process.exitCode = error instanceof UsageError ? EXIT.usage : EXIT.failed;
  },
);
