import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type tls from "node:tls";

/** The request/response pair handed to the fake's handler; the compat APIs of `http` and `http2` share this shape. */
export type AnyRequest = http.IncomingMessage | http2.Http2ServerRequest;
/** The part of `http.ServerResponse` and `http2.Http2ServerResponse` the fake uses (their union is not callable). */
export interface AnyResponse extends NodeJS.EventEmitter {
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: Uint8Array): boolean;
  end(): unknown;
  end(chunk: string): unknown;
  destroy(error?: Error): unknown;
  /** HTTP/1.1 only: HTTP/2 sends the headers at `writeHead` already. */
  flushHeaders?(): void;
}
export type Protocol = "h2" | "http/1.1";
export type RequestHandler = (req: AnyRequest, res: AnyResponse, protocol: Protocol) => void;

/** Every HTTP/2 connection starts with this preface; HTTP/1.1 starts with a method name, never "PRI". */
const H2_PREFACE_START = "PRI";

/** A certificate and its private key (PEM): the server then speaks TLS, offering h2 and http/1.1 by ALPN. */
export type TlsIdentity = Pick<tls.SecureContextOptions, "key" | "cert">;

export interface DualProtocolServer {
  listener: net.Server;
  /** Abruptly resets (TCP RST) the connection that carries this request: what a crashed upstream looks like. */
  resetConnection(req: AnyRequest): void;
  /** HTTP/2: RST_STREAM INTERNAL_ERROR on this stream only, the connection lives on. HTTP/1.1: a connection reset. */
  resetStream(req: AnyRequest): void;
  /** Destroys every open connection, so `close()` never waits for a hung stream. */
  destroyAll(): void;
}

/**
 * One port that speaks both cleartext HTTP/2 with prior knowledge and HTTP/1.1.
 *
 * Why: `@aws-sdk/client-bedrock-runtime` defaults to `NodeHttp2Handler`, which over `http://` opens h2c with prior
 * knowledge (no ALPN, no Upgrade), while an app may swap in `NodeHttpHandler` (HTTP/1.1). `http2.createServer` alone
 * refuses HTTP/1.1 (`allowHTTP1` only works with TLS), so we peek at the first bytes and hand the socket to the
 * matching server. Both servers read the bytes we peeked: we unshift them, and Node's Http2Session and HTTP parser
 * drain a socket's already-buffered data when they take it over.
 */
export function createDualProtocolServer(handler: RequestHandler, identity?: TlsIdentity): DualProtocolServer {
  const sockets = new Set<net.Socket>();
  const rawSocketOfSession = new WeakMap<http2.Http2Session, net.Socket>();
  const h2Options = {
    // Hundreds of streams may share one session when a client enables concurrent streams; never refuse them.
    settings: { maxConcurrentStreams: 100_000 },
    maxSessionMemory: 256,
  };
  if (identity) return secureServer(handler, { ...h2Options, ...identity });

  const h2 = http2.createServer(h2Options);
  h2.on("request", (req, res) => handler(req, res, "h2"));
  const h1 = http.createServer({ requestTimeout: 0 }, (req, res) => handler(req, res, "http/1.1"));
  // Long streams must never be cut by Node's own idle timers.
  h1.keepAliveTimeout = 60_000;
  h1.timeout = 0;

  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    sniffProtocol(socket, (isH2) => {
      if (isH2) {
        h2.once("session", (session) => rawSocketOfSession.set(session, socket));
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    });
  });

  return {
    listener,
    resetConnection(req) {
      const raw = "stream" in req ? rawSocketOfSession.get(req.stream.session!) : req.socket;
      raw?.resetAndDestroy();
    },
    resetStream(req) {
      if ("stream" in req) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else req.socket.resetAndDestroy();
    },
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/**
 * The same over TLS, as Bedrock's endpoints are: one `http2.createSecureServer` that offers h2 and http/1.1 by
 * ALPN. Each connection then costs a TLS handshake, so a client that opens a session per call shows it.
 */
function secureServer(handler: RequestHandler, options: http2.SecureServerOptions): DualProtocolServer {
  const sockets = new Set<net.Socket>();
  const server = http2.createSecureServer({ ...options, allowHTTP1: true });
  server.on("request", (req, res) => handler(req, res, req.httpVersion === "2.0" ? "h2" : "http/1.1"));
  server.on("secureConnection", (socket: tls.TLSSocket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  });
  const socketOf = (req: AnyRequest) => ("stream" in req ? req.stream.session?.socket : req.socket);
  return {
    listener: server,
    // A TLS socket cannot send a TCP RST through its TLS layer: destroying it aborts the connection as abruptly.
    resetConnection: (req) => socketOf(req)?.destroy(),
    resetStream(req) {
      if ("stream" in req) req.stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
      else req.socket.destroy();
    },
    destroyAll() {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Reads until the first three bytes are known, puts them back, and reports whether they start an h2 preface. */
function sniffProtocol(socket: net.Socket, route: (isH2: boolean) => void): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length < H2_PREFACE_START.length) return;
    socket.off("data", onData);
    socket.pause();
    socket.unshift(buffered);
    route(buffered.subarray(0, H2_PREFACE_START.length).toString("latin1") === H2_PREFACE_START);
  };
  socket.on("data", onData);
}
