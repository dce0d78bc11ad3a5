import { once } from "node:events";
import type { ServerResponse } from "node:http";
import type { Context } from "koa";

export const NDJSON_CONTENT_TYPE = "application/x-ndjson; charset=utf-8";

/**
 * Sends the 200 status and every header right now, and takes the response away from Koa.
 *
 * Why flush at once: API Gateway forwards nothing to the client until it has received every backend header, so
 * headers held back until the first delta would add the model's whole time-to-first-token to the wait for a 200.
 * Why `respond = false`: the stream writes lines itself, one `write` per line, never buffered or compressed.
 */
export function openNdjsonStream(ctx: Context): ServerResponse {
  ctx.status = 200;
  ctx.set("Content-Type", NDJSON_CONTENT_TYPE);
  ctx.set("Cache-Control", "no-cache");
  ctx.set("X-Content-Type-Options", "nosniff");
  // Tells buffering proxies (nginx and friends, e.g. in local setups) not to hold lines back.
  ctx.set("X-Accel-Buffering", "no");
  ctx.respond = false;
  const res = ctx.res;
  // Each line is one small write that must leave now, not wait for Nagle's algorithm to coalesce it.
  res.socket?.setNoDelay(true);
  res.writeHead(200);
  res.flushHeaders();
  return res;
}

/**
 * Writes one JSON line. When the socket's buffer is full it waits for `drain` (backpressure), so a slow reader
 * slows the Bedrock stream down instead of growing this process's memory; `signal` ends the wait on abort.
 */
export async function writeLine(res: ServerResponse, value: unknown, signal: AbortSignal): Promise<void> {
  if (!res.write(`${JSON.stringify(value)}\n`)) {
    await once(res, "drain", { signal });
  }
}

/** Writes a last line and ends the response, unless the connection is already gone. */
export function endWithLine(res: ServerResponse, value: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  res.end(`${JSON.stringify(value)}\n`);
}
