import { writeSync } from "node:fs";
import { Socket } from "node:net";
import type { Writable } from "node:stream";

/** The `service` field of every log line. */
export const SERVICE_NAME = "chat-api";

/**
 * Log bytes held in memory at most while stdout does not keep up (the log driver stalled): beyond this, request
 * lines are dropped and counted, so a stalled reader cannot grow the process until the task runs out of memory.
 */
export const MAX_BUFFERED_LOG_BYTES = 1024 * 1024;
/**
 * Extra room for lines that are not about one request (start-up, shutdown, process errors): a stalled reader loses
 * request lines first, never the line saying the process is stopping.
 */
const PROCESS_LINE_RESERVE_BYTES = 64 * 1024;

/**
 * stdout as a non-blocking stream when it is a pipe or socket (a container's log driver): writes never block the
 * event loop (Node makes stdio pipes blocking) nor a thread-pool thread, which would also keep the process from
 * exiting. A file or terminal never stalls: written synchronously.
 */
function openStdout(fd: number): Writable | undefined {
  try {
    const socket = new Socket({ fd, readable: false, writable: true });
    socket.on("error", () => undefined); // stdout gone: logging stops, serving goes on
    return socket;
  } catch {
    return undefined;
  }
}

/** The ISO time pino writes into every line (the logger's `timestamp` setting). */
const TIME_FIELD = /"time":"([^"]+)"/;

/**
 * Where the service's log lines go: stdout, in order, with a bounded buffer and a flush that gives up at a deadline.
 * An unbounded asynchronous writer grows memory while the reader stalls and loses everything at SIGKILL.
 */
export class StdoutSink {
  private readonly stream: Writable | undefined;
  private dropped = 0;
  /** Set by pino before each `write` (see the constructor): the logged object, to tell request lines apart. */
  lastObj: unknown;

  constructor(
    private readonly fd = 1,
    private readonly maxBufferedBytes = MAX_BUFFERED_LOG_BYTES,
  ) {
    this.stream = openStdout(fd);
    // pino's opt-in for destinations that want each line's object (`lastObj`) along with its text.
    (this as unknown as Record<symbol, boolean>)[Symbol.for("pino.metadata")] = true;
  }

  /** pino's destination interface: one complete JSON line per call. */
  write(line: string): void {
    const stream = this.stream;
    if (!stream) {
      writeSync(this.fd, line);
      return;
    }
    const bytes = Buffer.byteLength(line);
    const aboutRequest = typeof this.lastObj === "object" && this.lastObj !== null && "requestId" in this.lastObj;
    const room = this.maxBufferedBytes + (aboutRequest ? 0 : PROCESS_LINE_RESERVE_BYTES) - stream.writableLength;
    if (this.dropped > 0) {
      // Said where the gap is, once there is room again, stamped with the time of the line it precedes: the clock may
      // have ticked since pino stamped that line, and the note must not look logged after it.
      const time = TIME_FIELD.exec(line)?.[1] ?? new Date().toISOString();
      const note = `${JSON.stringify({ level: "warn", time, service: SERVICE_NAME, droppedLines: this.dropped, msg: "log lines dropped: stdout did not keep up" })}\n`;
      if (Buffer.byteLength(note) + bytes <= room) {
        this.dropped = 0;
        stream.write(note);
      }
    }
    if (this.dropped > 0 || bytes > room) {
      this.dropped += 1;
      return;
    }
    stream.write(line);
  }

  /** Before exiting: resolves once every buffered line is written, or after `timeoutMs` (then the rest is lost). */
  flush(timeoutMs: number): Promise<void> {
    const stream = this.stream;
    if (!stream || stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      stream.end(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
