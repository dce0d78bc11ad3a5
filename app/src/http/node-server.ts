import http from "node:http";
import type { Socket } from "node:net";
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from "../runtime-contract";

/**
 * Node's own timeouts, set for a server behind an ALB that carries long streams.
 * - keepAliveTimeout above the ALB idle timeout: the ALB, not Node, closes idle connections, so it never sends a
 *   request on a connection Node is closing (which the ALB would turn into a 502).
 * - headersTimeout above keepAliveTimeout, as Node requires.
 * - requestTimeout bounds receiving a request (a stalled upload), never sending the response; no socket timeout:
 *   a stream may legitimately last many minutes, and the idle timeouts in front and the upstream idle timeout
 *   bound silence. Node checks these timeouts periodically; the period scales with the timeout.
 * - A client may half-close after its request (HTTP allows it): it still gets its answer (see `watchHalfClose`).
 * - A missing Host is checked by the server, so it gets the JSON error body instead of Node's bare 400.
 */
export function createHttpServer(listener: http.RequestListener, requestTimeoutMs = REQUEST_TIMEOUT_MS): http.Server {
  const server = http.createServer(
    {
      noDelay: true,
      requireHostHeader: false,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(requestTimeoutMs / 10))),
    },
    listener,
  );
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs);
  server.requestTimeout = requestTimeoutMs;
  server.timeout = 0;
  (server as http.Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  return server;
}

/** Half-close probes: the first at once, then backing off up to this interval while the answer has not started. */
const MAX_PROBE_INTERVAL_MS = 1000;

/**
 * With half-open connections allowed, a FIN no longer tells a client that left from one that only finished sending.
 * Before the answer started, `100 Continue` (which every HTTP/1.1 client must accept) probes the connection: a client
 * that closed answers it with a reset, which the next probe's write reports, aborting the request (and its Bedrock
 * call). After the answer started, a FIN means the client left.
 */
export function watchHalfClose(socket: Socket, inFlight: (socket: Socket) => http.ServerResponse | undefined): void {
  socket.on("end", () => {
    const res = inFlight(socket);
    if (!res) return;
    if (res.headersSent) return void socket.destroy();
    let interval = 10;
    const probe = () => {
      if (res.headersSent || res.writableEnded || socket.destroyed) return;
      res.writeContinue();
      setTimeout(probe, interval).unref();
      interval = Math.min(interval * 2, MAX_PROBE_INTERVAL_MS);
    };
    probe();
  });
}
