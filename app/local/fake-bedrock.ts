import { EventEmitter, once } from "node:events";
import { answer, sendError } from "./operations";
import { REALISTIC_PACING, type Pacing } from "./reply";
import type { Outcome, RecordedRequest, Scenario, ScenarioSource } from "./scenario";
import { createDualProtocolServer, type AnyRequest, type AnyResponse, type Protocol, type TlsIdentity } from "./transport";

/**
 * A local, scriptable stand-in for Amazon Bedrock's runtime (ConverseStream, CountTokens, and InvokeModel /
 * InvokeModelWithResponseStream with Claude's native body; see operations.ts): the real `@aws-sdk/client-bedrock-runtime`
 * talks to it unchanged (endpoint option or `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`), over HTTP/2 cleartext (the SDK's
 * default handler) or HTTP/1.1. Tests script each request's fate with a {@link Scenario} and observe what the
 * client did (headers, body, when and how it closed the stream) through {@link RecordedRequest}s.
 */

export type { Outcome, RecordedRequest, Scenario, ScenarioSource, Step } from "./scenario";
export type { Pacing } from "./reply";
export { NO_PACING, REALISTIC_PACING } from "./reply";
export type { InStreamExceptionName, PreStreamErrorName } from "./wire";
export { IN_STREAM_EXCEPTIONS, PRE_STREAM_ERRORS, PRE_STREAM_ERROR_STATUS } from "./wire";

export interface FakeBedrockOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port, read it back from `port` / `url`. */
  port?: number;
  /** Default `{}`: the plausible default reply. */
  scenario?: ScenarioSource;
  /** Pacing of the default reply; default {@link REALISTIC_PACING}. Tests usually pass `NO_PACING`. */
  pacing?: Pacing;
  /** Serve HTTPS (h2 or http/1.1 by ALPN) with this certificate instead of cleartext; clients must trust it. */
  tls?: TlsIdentity;
}

export interface FakeBedrock {
  /** e.g. `http://127.0.0.1:39123` (`https://` with `tls`): pass it as the SDK's `endpoint` or `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`. */
  url: string;
  port: number;
  /** Every request so far, in order of arrival (recorded once its body has been read). */
  requests: RecordedRequest[];
  /** Scenario for the requests that arrive from now on; a function decides per request. */
  setScenario(scenario: ScenarioSource): void;
  /** Resolves with the first `n` requests once that many have arrived; rejects after `timeoutMs` (5 s). */
  waitForRequests(n: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Resolves once the upstream stream of `req` has closed (`closedAt`, `outcome` set); rejects after `timeoutMs`. */
  waitForClose(req: RecordedRequest, timeoutMs?: number): Promise<RecordedRequest>;
  /** Requests whose stream is still open. */
  openStreams(): number;
  /** Stops listening and resets every open connection (open streams end with outcome "reset"). */
  close(): Promise<void>;
}

const OPERATION_PATH = /^\/model\/([^/?]+)\/(converse-stream|count-tokens|invoke|invoke-with-response-stream)(?:\?.*)?$/;
const DEFAULT_WAIT_MS = 5000;

async function readBody(req: AnyRequest): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startFakeBedrock(options: FakeBedrockOptions = {}): Promise<FakeBedrock> {
  const requests: RecordedRequest[] = [];
  // Ids in order of arrival: taken before the body is read, so concurrent requests never share one.
  let nextId = 1;
  /** Connection ids: keyed by the HTTP/2 session or the HTTP/1.1 socket that carried a request. */
  const connectionIds = new WeakMap<object, number>();
  let connections = 0;
  const connectionOf = (req: AnyRequest): number => {
    const key = "stream" in req ? req.stream.session! : req.socket;
    if (!connectionIds.has(key)) connectionIds.set(key, ++connections);
    return connectionIds.get(key)!;
  };
  const changes = new EventEmitter().setMaxListeners(0);
  let scenarioSource: ScenarioSource = options.scenario ?? {};
  let shuttingDown = false;
  const pacing = options.pacing ?? REALISTIC_PACING;

  /** Polls `probe` on every change until it returns a value; the one waiting primitive behind both `waitFor*`. */
  function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`fake Bedrock: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        changes.off("change", check);
      };
      changes.on("change", check);
      check();
    });
  }

  /** Records how a request ended; the first word wins (a stream that closes after it completed stays completed). */
  const openStreams = () => requests.filter((record) => record.closedAt === undefined).length;

  function finish(record: RecordedRequest, outcome: Outcome): void {
    record.outcome ??= outcome;
    changes.emit("change");
  }

  async function handle(req: AnyRequest, res: AnyResponse, protocol: Protocol): Promise<void> {
    if ("stream" in req) req.stream.on("error", () => undefined); // a client's RST_STREAM is an outcome, not a crash
    const match = req.method === "POST" ? OPERATION_PATH.exec(req.url ?? "") : null;
    if (!match) return sendError(res, "UnknownOperationException", `No operation at ${req.method} ${req.url}`);
    const record: RecordedRequest = {
      id: nextId++,
      modelId: decodeURIComponent(match[1]),
      operation: match[2] as RecordedRequest["operation"],
      body: undefined,
      headers: { ...req.headers },
      protocol,
      connection: connectionOf(req),
      receivedAt: Date.now(),
    };
    const closed = new AbortController();
    res.once("close", () => {
      record.closedAt = Date.now();
      closed.abort();
      finish(record, shuttingDown ? "reset" : "client-aborted");
    });
    record.body = await readBody(req);
    requests.push(record);
    changes.emit("change");
    if (closed.signal.aborted) return;
    if (typeof record.body !== "object" || record.body === null) {
      sendError(res, "ValidationException", "Malformed input request, please reformat your input and try again.");
      return finish(record, "error");
    }
    const scenario: Scenario = typeof scenarioSource === "function" ? scenarioSource(record) : scenarioSource;
    const reset = (scope: "connection" | "stream") =>
      scope === "stream" ? server.resetStream(req) : server.resetConnection(req);
    const outcome = await answer({ res, record, scenario, pacing, closed: closed.signal, reset });
    if (outcome) finish(record, outcome);
  }

  const server = createDualProtocolServer((req, res, protocol) => {
    handle(req, res, protocol).catch((error: unknown) => {
      // A bug in the fake must be visible, not a silent hang of the test that drives it.
      console.error("fake Bedrock: request handler failed:", error);
      res.destroy();
    });
  }, options.tls);
  server.listener.listen(options.port ?? 0, options.host ?? "127.0.0.1");
  await once(server.listener, "listening");
  const address = server.listener.address() as { address: string; port: number };
  const host = address.address.includes(":") ? `[${address.address}]` : address.address;

  return {
    url: `${options.tls ? "https" : "http"}://${host}:${address.port}`,
    port: address.port,
    requests,
    setScenario(scenario) {
      scenarioSource = scenario;
    },
    waitForRequests(n, timeoutMs = DEFAULT_WAIT_MS) {
      return waitFor(() => (requests.length >= n ? requests.slice(0, n) : undefined), timeoutMs, `${n} requests`);
    },
    waitForClose(record, timeoutMs = DEFAULT_WAIT_MS) {
      const what = `request ${record.id} to close`;
      return waitFor(() => (record.closedAt !== undefined && record.outcome ? record : undefined), timeoutMs, what);
    },
    openStreams,
    async close() {
      shuttingDown = true;
      const stopped = new Promise((resolve) => server.listener.close(resolve));
      server.destroyAll();
      await stopped;
      // Resolve only once every stream is recorded as closed, so callers can assert outcomes right after.
      await waitFor(() => (openStreams() === 0 ? true : undefined), DEFAULT_WAIT_MS, "open streams to close");
    },
  };
}
