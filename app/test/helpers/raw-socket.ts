import net from "node:net";

/** A response as read off a raw socket: what Node's client would hide (bare bodies, missing headers) stays visible. */
export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, including any interim (1xx) responses. */
  raw: string;
  /** Whether the server closed the connection. */
  closed: boolean;
}

export interface RawOptions {
  /** Half-close (FIN) after writing, as a client that has nothing more to send may. */
  halfClose?: boolean;
  /** Give up waiting for the server to close after this long (the reply so far is returned). */
  waitMs?: number;
  /** Written in pieces with pauses, so that the server parses them separately. */
  pieces?: Array<string | Buffer>;
}

/** The last final (non-1xx) response in `raw`, body cut by Content-Length when there is one. */
export function parseRawReply(raw: string, closed: boolean): RawReply {
  let rest = raw;
  for (;;) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) return { status: 0, headers: {}, body: "", raw, closed };
    const [statusLine, ...lines] = rest.slice(0, end).split("\r\n");
    const status = Number(statusLine.split(" ")[1]);
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
    rest = rest.slice(end + 4);
    if (status >= 100 && status < 200) continue;
    const length = headers["content-length"] === undefined ? rest.length : Number(headers["content-length"]);
    return { status, headers, body: rest.slice(0, length), raw, closed };
  }
}

/** Opens a connection to `url`, writes `bytes` (or `options.pieces`), and reads until the server closes. */
export async function rawExchange(url: string, bytes: string | Buffer, options: RawOptions = {}): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  socket.on("error", () => undefined);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<boolean>((resolve) => {
    socket.once("close", () => resolve(true));
    setTimeout(() => resolve(false), options.waitMs ?? 3000).unref();
  });
  await new Promise((resolve) => socket.once("connect", resolve));
  for (const piece of options.pieces ?? [bytes]) {
    socket.write(piece);
    if (options.pieces) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (options.halfClose) socket.end();
  const wasClosed = await closed;
  socket.destroy();
  return parseRawReply(Buffer.concat(chunks).toString("latin1"), wasClosed);
}

/** A request head with CRLFs, from lines. */
export const head = (...lines: string[]) => `${lines.join("\r\n")}\r\n\r\n`;
