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
 * Writes a stream's frames with backpressure, coalescing without delay: the first write of an event-loop turn
 * corks the response and a `process.nextTick` uncorks it, which runs once the promise jobs already queued (the
 * events Bedrock delivered in the same chunk) have written their frames, and before the loop returns to I/O. So
 * frames that are ready together leave in one socket write, and no frame waits for a timer or a later turn.
 */
export class FrameSink {
  private corked = false;
  private keepAlive: NodeJS.Timeout | undefined;

  constructor(
    private readonly res: ServerResponse,
    private readonly signal: AbortSignal,
    /** A keep-alive frame sent after {@link KEEP_ALIVE_FRAME_MS} of silence, if the format has one. */
    ping?: () => string,
  ) {
    if (ping) {
      this.keepAlive = setInterval(() => this.res.write(ping()), KEEP_ALIVE_FRAME_MS);
      this.keepAlive.unref();
    }
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.res.uncork();
  };

  /** Writes `text` (nothing if empty); when the socket's buffer is full, waits for `drain` or the abort. */
  async write(text: string): Promise<void> {
    if (!text) return;
    this.keepAlive?.refresh();
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(this.uncork);
    }
    if (!this.res.write(text)) await once(this.res, "drain", { signal: this.signal });
  }

  /** Writes the last frames and ends the response, unless the connection is already gone. */
  end(text: string): void {
    this.close();
    endWith(this.res, text);
  }

  /** Stops the keep-alive frames (the stream is over, whichever way). */
  close(): void {
    clearInterval(this.keepAlive);
  }
}

/** Ends a streamed response with a last frame, unless the connection is already gone. */
export function endWith(res: ServerResponse, text: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.end(text);
}
