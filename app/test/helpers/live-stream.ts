import type http from "node:http";
import { type RequestOptions, startRequest } from "./http-client";

export interface ArrivedLine {
  value: any;
  /** `Date.now()` when the line's last byte arrived. */
  at: number;
}

/**
 * A `/stream` response read as it arrives: lines are parsed the moment their newline byte lands, so tests can
 * check timing (a line reached the client while the upstream was still producing) and disconnect mid-stream.
 * Lines are cut on the 0x0A byte, which never occurs inside a multi-byte UTF-8 sequence, then decoded whole.
 */
export class LiveStream {
  readonly lines: ArrivedLine[] = [];
  readonly chunks: Buffer[] = [];
  ended = false;
  private pending = Buffer.alloc(0);
  private readonly waiters = new Set<() => void>();

  private constructor(
    readonly req: http.ClientRequest,
    readonly res: http.IncomingMessage,
    readonly headersAt: number,
  ) {
    res.on("data", (chunk: Buffer) => this.receive(chunk));
    res.on("end", () => this.settle(true));
    res.on("close", () => this.settle(true));
    res.on("error", () => undefined);
  }

  static async open(baseUrl: string, body: unknown, options: Omit<RequestOptions, "body"> = {}): Promise<LiveStream> {
    const { req, response } = startRequest(baseUrl, {
      method: "POST",
      path: "/stream",
      ...options,
      body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", ...options.headers },
    });
    const res = await response;
    return new LiveStream(req, res, Date.now());
  }

  get status(): number {
    return this.res.statusCode ?? 0;
  }

  private receive(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.pending = Buffer.concat([this.pending, chunk]);
    let newline: number;
    while ((newline = this.pending.indexOf(0x0a)) !== -1) {
      const line = this.pending.subarray(0, newline).toString("utf8");
      this.pending = this.pending.subarray(newline + 1);
      this.lines.push({ value: JSON.parse(line), at: Date.now() });
    }
    this.settle(false);
  }

  private settle(ended: boolean): void {
    if (ended) this.ended = true;
    for (const wake of this.waiters) wake();
  }

  /** Resolves once `count` lines have arrived (rejects if the stream ends first or `timeoutMs` passes). */
  async waitForLines(count: number, timeoutMs = 5000): Promise<ArrivedLine[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length < count) {
      if (this.ended) throw new Error(`stream ended after ${this.lines.length} of ${count} lines`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for line ${count} (have ${this.lines.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, left);
        function wake() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(wake);
      }).finally(() => this.waiters.clear());
    }
    return this.lines.slice(0, count);
  }

  /** Resolves when the response has ended; returns every line. */
  async done(timeoutMs = 5000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`stream still open after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (this.pending.length > 0) throw new Error(`unterminated last line: ${this.pending.toString("utf8")}`);
    return this.lines.map((line) => line.value);
  }

  /** Closes the connection as a client that gives up would; returns when (Date.now()) it did. */
  disconnect(): number {
    const at = Date.now();
    this.req.destroy();
    return at;
  }

  /** All bytes received so far. */
  get raw(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
