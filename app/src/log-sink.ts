import { write } from "node:fs";

/**
 * Log lines held in memory at most while stdout does not keep up (the log driver stalled): beyond this, lines are
 * dropped and counted, so a stalled reader cannot grow the process until the task runs out of memory.
 */
export const MAX_BUFFERED_LOG_BYTES = 1024 * 1024;
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
  ) {}

  /** pino's destination interface: one complete JSON line per call. */
  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.queuedBytes + bytes > this.maxBufferedBytes) {
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
    if (this.dropped > 0 && this.queuedBytes < this.maxBufferedBytes / 2) {
      // Reported once the reader has caught up, ahead of the lines queued meanwhile.
      const note = `${JSON.stringify({ level: "warn", time: new Date().toISOString(), droppedLines: this.dropped, msg: "log lines dropped: stdout did not keep up" })}\n`;
      this.dropped = 0;
      this.queue.unshift(note);
      this.queuedBytes += Buffer.byteLength(note);
    }
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
