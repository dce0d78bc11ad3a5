import { formatStats, type ReplyStats } from "../src/playground/client/reply-stats";

/**
 * What the terminal client writes where: the reply (or, with `--json`, the raw frames) to stdout, so it can be
 * piped; everything about the reply (figures, errors, the banner) to stderr, dimmed or red on a colour terminal.
 */
export class Terminal {
  private readonly color: boolean;
  private atLineStart = true;
  /** Reasoning was written last: the answer starts on a line of its own. */
  private reasoningOpen = false;

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly err: NodeJS.WritableStream & { isTTY?: boolean },
    env: NodeJS.ProcessEnv,
  ) {
    this.color = err.isTTY === true && !env.NO_COLOR && env.TERM !== "dumb";
  }

  private paint(code: number, text: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** A piece of the reply, as it arrives. */
  text(piece: string): void {
    this.closeReasoning();
    this.out.write(piece);
    this.atLineStart = piece.endsWith("\n");
  }

  /** A piece of the model's reasoning: dimmed, on stderr, so stdout holds only the answer. */
  reasoning(piece: string): void {
    this.err.write(this.paint(2, piece));
    this.reasoningOpen = true;
  }

  /** One raw frame (`--json`), one per line. */
  frame(data: string): void {
    if (data !== "[DONE]") this.out.write(`${data}\n`);
  }

  /** Ends the reply's line, then the dim line of figures. */
  stats(stats: ReplyStats): void {
    this.endLine();
    this.err.write(`${this.paint(2, `[${formatStats(stats)}]`)}\n`);
  }

  error(message: string): void {
    this.endLine();
    this.err.write(`${this.paint(31, "error:")} ${message}\n`);
  }

  note(message: string): void {
    this.err.write(`${this.paint(2, message)}\n`);
  }

  private endLine(): void {
    this.closeReasoning();
    if (!this.atLineStart) this.out.write("\n");
    this.atLineStart = true;
  }

  private closeReasoning(): void {
    if (this.reasoningOpen) this.err.write("\n");
    this.reasoningOpen = false;
  }
}
