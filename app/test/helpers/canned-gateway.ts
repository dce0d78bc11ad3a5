import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface CannedAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

export interface CannedGateway {
  url: string;
  /** Every request: method, path, headers and body text. */
  requests: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/**
 * Answers of the layers in front of the app that this repository does not run in tests: API Gateway's own 403
 * (`{"message":"Forbidden"}` for a missing or wrong key) and the like. It answers every request with one canned
 * response and records what the client sent (which headers carried the key), on 127.0.0.1 with an ephemeral port.
 */
export async function startCannedGateway(answer: CannedAnswer): Promise<CannedGateway> {
  const requests: CannedGateway["requests"] = [];
  const server = http.createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
    res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
    res.end(answer.body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * API Gateway's header mapping, and nothing else: forwards every request to `target` with `headers` added (e.g. the
 * key-id header the integrations set from `$context.identity.apiKeyId`), streaming both ways.
 */
export async function startHeaderProxy(target: string, headers: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, ...headers } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    res.on("close", () => forward.destroy());
    req.pipe(forward);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
