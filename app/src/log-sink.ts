import { write } from "node:fs";

/**
 * Log lines held in memory at most while stdout does not keep up (the log driver stalled): beyond this, lines are
 * dropped and counted, so a stalled reader cannot grow the process until the task runs out of memory.
 */
/** The `service` field of every log line. */
export const SERVICE_NAME = "chat-api";

export const MAX_BUFFERED_LOG_BYTES = 1024 * 1024;
/**
 * Extra room for lines that are not about one request (start-up, shutdown, process errors): a stalled reader loses
 * request lines first, never the line saying the process is stopping.
 */
const PROCESS_LINE_RESERVE_BYTES = 64 * 1024;
const RETRY_MS = 20;

/**
 * Where the service's log lines go: stdout, written asynchronously in order (one write at a time), with a bounded
 * buffer and a flush that gives up at a deadline. A synchronous write would block the event loop (every stream)
 * whenever the log driver stops reading; an unbounded asynchronous one grows memory and loses everything at SIGKILL.
 */
export class StdoutSink {
  private queue: string[] = [];
  private queuedBytes = 0;
  private writing = false;
  private dropped = 0;
  private readonly idleWaiters = new Set<() => void>();

  constructor(
    private readonly fd = 1,
    private readonly maxBufferedBytes = MAX_BUFFERED_LOG_BYTES,
  ) {
    // pino's opt-in for destinations that want each line's object (`lastObj`) along with its text.
    (this as unknown as Record<symbol, boolean>)[Symbol.for("pino.metadata")] = true;
  }

  /** Set by pino before each `write` (see the constructor): the logged object, to tell request lines apart. */
  lastObj: unknown;

  /** pino's destination interface: one complete JSON line per call. */
  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    const aboutRequest = typeof this.lastObj === "object" && this.lastObj !== null && "requestId" in this.lastObj;
    const room = this.maxBufferedBytes + (aboutRequest ? 0 : PROCESS_LINE_RESERVE_BYTES) - this.queuedBytes;
    if (this.dropped > 0) {
      // Said where the gap is, once there is room again.
      const note = `${JSON.stringify({ level: "warn", time: new Date().toISOString(), service: SERVICE_NAME, droppedLines: this.dropped, msg: "log lines dropped: stdout did not keep up" })}\n`;
      if (Buffer.byteLength(note) + bytes <= room) {
        this.dropped = 0;
        this.enqueue(note, Buffer.byteLength(note));
      }
    }
    if (this.dropped > 0 || bytes > room) {
      this.dropped += 1;
      return;
    }
    this.enqueue(line, bytes);
  }

  private enqueue(line: string, bytes: number): void {
    this.queue.push(line);
    this.queuedBytes += bytes;
    if (!this.writing) this.writeNext();
  }

  private writeNext(): void {
    if (this.queue.length === 0) {
      this.writing = false;
      for (const wake of this.idleWaiters) wake();
      this.idleWaiters.clear();
      return;
    }
    this.writing = true;
    const batch = Buffer.from(this.queue.join(""));
    this.queue = [];
    this.writeFrom(batch, 0);
  }

  private writeFrom(batch: Buffer, offset: number): void {
    write(this.fd, batch, offset, batch.length - offset, null, (err, written) => {
      if (err && err.code !== "EAGAIN") {
        // stdout is gone (closed pipe): nothing can be logged any more; keep the process running regardless.
        this.queuedBytes = 0;
        this.queue = [];
        this.writeNext();
        return;
      }
      const next = offset + (err ? 0 : written);
      if (next < batch.length) {
        setTimeout(() => this.writeFrom(batch, next), err ? RETRY_MS : 0).unref();
        return;
      }
      this.queuedBytes -= batch.length;
      this.writeNext();
    });
  }

  /** Resolves once every buffered line is written, or after `timeoutMs` (then the rest is lost). */
  flush(timeoutMs: number): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.add(done);
    });
  }
}
