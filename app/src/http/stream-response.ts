import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { Context } from "koa";

/** Silence after which a format's keep-alive frame is sent (well below every idle timeout in front of the app). */
export const KEEP_ALIVE_FRAME_MS = 15_000;

/**
 * Sends the 200 status and every header right now, and takes the response away from Koa.
 *
 * Why flush at once: API Gateway forwards nothing to the client until it has received every backend header, so
 * headers held back until the first delta would add the model's whole time-to-first-token to the wait for a 200.
 * Why `respond = false`: the stream writes frames itself, never buffered or compressed.
 */
export function openStream(ctx: Context, contentType: string): ServerResponse {
  ctx.status = 200;
  ctx.set("Content-Type", contentType);
  ctx.set("Cache-Control", "no-cache");
  ctx.set("X-Content-Type-Options", "nosniff");
  // Tells buffering proxies (nginx and friends, e.g. in local setups) not to hold frames back.
  ctx.set("X-Accel-Buffering", "no");
  ctx.respond = false;
  const res = ctx.res;
  // Each frame must leave now, not wait for Nagle's algorithm to coalesce it.
  res.socket?.setNoDelay(true);
  res.writeHead(200);
  res.flushHeaders();
  return res;
}

/**
 * Writes a stream's frames with backpressure, coalescing without delay. The frames of one event-loop iteration
 * are joined and written once, from a `setImmediate` queued with the iteration's first frame: it runs right after
 * the I/O callbacks of the iteration (every upstream read that was already waiting, and the events decoded from
 * it), before the loop waits for I/O again. So frames that are ready together leave as one HTTP chunk in one
 * socket write, and no frame waits for a timer, a later iteration or another frame.
 *
 * Why not `process.nextTick`: Node hands a stream's first DATA frame after a pause to the reader on its own, so a
 * tick-scoped flush wrote a burst of piled-up deltas as two writes at least. Why join rather than cork: Node frames
 * every `res.write` as its own chunk (length line, data, CRLF: four buffered socket writes), so a corked burst of n
 * frames still cost 4n writes and n chunk headers; joined, it costs four and one.
 */
export class FrameSink {
  /** Frames of this iteration not yet written. */
  private pending = "";
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly signal: AbortSignal,
    /** A keep-alive frame sent after {@link KEEP_ALIVE_FRAME_MS} of silence, if the format has one. */
    ping?: () => string,
  ) {
    if (ping) {
      this.keepAlive = setInterval(() => this.write(ping()), KEEP_ALIVE_FRAME_MS);
      this.keepAlive.unref();
    }
  }

  private readonly flush = (): void => {
    const text = this.pending;
    this.pending = "";
    if (text && !this.res.writableEnded && !this.res.destroyed) this.res.write(text);
  };

  /**
   * Queues `text` (nothing if empty) for this iteration's write. Returns a promise only when the socket's buffer is
   * full: the caller then waits for `drain` (or the abort) before producing more, so a slow reader bounds memory.
   */
  write(text: string): Promise<unknown> | undefined {
    if (!text) return undefined;
    this.keepAlive?.refresh();
    if (!this.pending) setImmediate(this.flush);
    this.pending += text;
    return this.res.writableNeedDrain ? once(this.res, "drain", { signal: this.signal }) : undefined;
  }

  /** Writes the last frames, with what this iteration still holds, and ends the response (unless the client left). */
  end(text: string): void {
    clearInterval(this.keepAlive);
    const held = this.pending;
    this.pending = "";
    endWith(this.res, held + text);
  }

  /** Writes what this iteration still holds and stops the keep-alive frames (the stream is over, whichever way). */
  close(): void {
    clearInterval(this.keepAlive);
    this.flush();
  }
}

/** Ends a streamed response with a last frame, unless the connection is already gone. */
export function endWith(res: ServerResponse, text: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.end(text);
}
