import http from "node:http";

/**
 * Minimal HTTP/1.1 clients over real sockets, reading raw bytes, so tests see exactly what the service sent
 * (headers, byte-exact bodies, when each line arrived) with no client library smoothing anything over.
 */

export interface RequestOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string | number>;
  /** Sent as is; objects are JSON-encoded with `Content-Type: application/json` unless a type is given. */
  body?: string | Buffer | object;
  /** Keep-alive agent of the caller (fuzzing reuses connections); default: a fresh connection. */
  agent?: http.Agent;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
  text: string;
  /** The body parsed as JSON (throws if it is not). */
  json(): any;
}

function encodeBody(options: RequestOptions): { body?: Buffer; headers: Record<string, string | number> } {
  const headers = { ...options.headers };
  if (options.body === undefined) return { headers };
  const has = (header: string) => Object.keys(headers).some((name) => name.toLowerCase() === header);
  const raw = typeof options.body === "string" || Buffer.isBuffer(options.body);
  if (!raw && !has("content-type")) headers["Content-Type"] = "application/json";
  const body = raw ? Buffer.from(options.body as string | Buffer) : Buffer.from(JSON.stringify(options.body));
  // Node's client frames bodies of GET/DELETE/OPTIONS only when told their length.
  if (!has("content-length") && !has("transfer-encoding")) headers["Content-Length"] = body.length;
  return { body, headers };
}

/** Starts a request and resolves with the response head (the body is still to be read). */
export function startRequest(baseUrl: string, options: RequestOptions = {}): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
  const { body, headers } = encodeBody(options);
  // Host and port from the base URL, the path verbatim: `//stream` must stay a path, never become a host name.
  const { hostname, port } = new URL(baseUrl);
  const req = http.request({
    host: hostname,
    port,
    path: options.path ?? "/",
    method: options.method ?? (body ? "POST" : "GET"),
    headers,
    agent: options.agent ?? false,
  });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once("response", resolve);
    req.once("error", reject);
  });
  req.end(body);
  return { req, response };
}

/** One complete request; resolves once the whole body has arrived. */
export async function request(baseUrl: string, options: RequestOptions = {}): Promise<Reply> {
  const res = await startRequest(baseUrl, options).response;
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  const text = raw.toString("utf8");
  return { status: res.statusCode ?? 0, headers: res.headers, raw, text, json: () => JSON.parse(text) };
}

/** `POST /stream` with a JSON body. */
export function postStream(baseUrl: string, body: unknown, options: Omit<RequestOptions, "body"> = {}): Promise<Reply> {
  return request(baseUrl, { method: "POST", path: "/stream", ...options, body: JSON.stringify(body), headers: { "Content-Type": "application/json", ...options.headers } });
}

/** Splits a reply body into parsed JSON lines; every line must be complete JSON and end with "\n". */
export function parseLines(text: string): any[] {
  if (text === "") return [];
  if (!text.endsWith("\n")) throw new Error(`stream does not end with a newline: ${JSON.stringify(text.slice(-80))}`);
  return text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

/** Concatenated `data` of every line: the model's reply as the client reconstructs it. */
export function replyText(lines: any[]): string {
  return lines.filter((line) => "data" in line).map((line) => line.data).join("");
}
