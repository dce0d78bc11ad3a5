import { takeOverSignals } from "./early-signals";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { Logger } from "pino";
import { ActiveStreams } from "./bedrock/active-streams";
import { createBedrockClient } from "./bedrock/client";
import { createApp } from "./app";
import { type AppConfig, ConfigError, loadConfig } from "./config";
import { clientErrorHandler, refuse } from "./http/edge";
import { createHttpServer, watchHalfClose } from "./http/node-server";
import { ApiError, ShuttingDownError } from "./http/errors";
import { createLogger, flushLogs } from "./logger";
import type { UsageMeter } from "./usage/meter";
import { type MeteringOverrides, setUpMetering } from "./usage/setup";

/** After the grace period: how long the streams just ended get to flush their error line before sockets close. */
const FINAL_FLUSH_MS = 2000;
/**
 * While stopping with nothing in flight, the listener closes once no connection has arrived for this long (it closes
 * at the end of the grace period at the latest): connections already queued are all accepted and answered by then.
 */
const LISTENER_QUIET_MS = 200;

export interface RunningServer {
  server: http.Server;
  url: string;
  port: number;
  activeStreams: ActiveStreams;
  usage: UsageMeter;
  /**
   * Graceful shutdown: keep accepting and answer new requests 503 `shutting_down`; let in-flight streams finish
   * within `shutdownGraceMs`; then end each one left with an error line and abort its Bedrock call; close the
   * listener and every connection. Resolves when done.
   */
  shutdown(reason?: string): Promise<void>;
}

export interface ServerOverrides {
  logger?: Logger;
  /** A client of the caller's choosing (tests: `maxAttempts: 1`); by default the standard SDK configuration. */
  bedrock?: BedrockRuntimeClient;
  /** Tests shorten the request timeout (`REQUEST_TIMEOUT_MS`) to see a stalled upload cut. */
  requestTimeoutMs?: number;
  /** Token budgets' store client, metric sink and clock (tests). */
  metering?: MeteringOverrides;
}

export async function startServer(config: AppConfig, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const bedrock = overrides.bedrock ?? createBedrockClient(config.region);
  const activeStreams = new ActiveStreams();
  const metering = setUpMetering(config, logger, overrides.metering);
  const app = createApp({ config, bedrock, logger, activeStreams, usage: metering.meter, metrics: metering.metrics });
  const handle = app.callback();
  let stopping: Promise<void> | undefined;
  let lastArrival = performance.now();
  // When the grace period ends (`performance.now()` time), once shutdown started.
  let graceEnds = Infinity;
  // Responses the app is producing, by socket: the client-error hook and the half-close watch need them.
  const responses = new WeakMap<Socket, http.ServerResponse>();
  const inFlight = (socket: Socket) => responses.get(socket);
  // While draining, every response not yet started asks the client to close its connection rather than reuse it.
  const unanswered = new Set<http.ServerResponse>();
  const askToClose = (res: http.ServerResponse) => {
    if (!res.headersSent) res.setHeader("Connection", "close");
  };

  const track = (req: http.IncomingMessage, res: http.ServerResponse) => {
    responses.set(req.socket, res);
    unanswered.add(res);
    res.once("close", () => {
      unanswered.delete(res);
      if (responses.get(req.socket) === res) responses.delete(req.socket);
    });
  };

  const server = createHttpServer((req, res) => {
    lastArrival = performance.now();
    if (stopping) {
      // Its body may still be arriving: the 503 goes out at once, and the connection closes once the body has been
      // drained (a close mid-upload resets the client before it reads the 503), within the grace period and the
      // body deadline. Tracked, so that shutdown waits for that end instead of cutting the connection.
      track(req, res);
      return refuse(logger, req, res, new ShuttingDownError(), Math.min(graceEnds, lastArrival + config.bodyReadTimeoutMs));
    }
    if (req.httpVersion === "1.1" && req.headers.host === undefined) {
      return refuse(logger, req, res, new ApiError(400, "bad_request", "HTTP/1.1 requests need a Host header"));
    }
    track(req, res);
    void handle(req, res);
  }, overrides.requestTimeoutMs);
  server.on("clientError", clientErrorHandler(logger, inFlight));
  server.on("checkExpectation", (req: http.IncomingMessage, res: http.ServerResponse) =>
    refuse(logger, req, res, new ApiError(417, "expectation_failed", "Only Expect: 100-continue is supported")),
  );
  server.on("connection", (socket: Socket) => {
    lastArrival = performance.now();
    watchHalfClose(socket, inFlight);
  });

  server.listen(config.port, config.host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  metering.startGauge(() => activeStreams.size);

  /** Until the grace period ends, or earlier once nothing is in flight and no connection arrives any more. */
  async function graceOrQuiet(): Promise<void> {
    for (;;) {
      const now = performance.now();
      const quietFor = now - lastArrival;
      if (now >= graceEnds) return;
      if (activeStreams.size === 0 && unanswered.size === 0 && quietFor >= LISTENER_QUIET_MS) return;
      await delay(Math.min(graceEnds - now, Math.max(LISTENER_QUIET_MS - quietFor, 10)));
    }
  }

  async function drainAndClose(reason: string): Promise<void> {
    graceEnds = performance.now() + config.shutdownGraceMs;
    logger.info({ reason, activeStreams: activeStreams.size }, "shutting down: new requests get 503 until the grace period ends");
    unanswered.forEach(askToClose);
    lastArrival = performance.now();
    await graceOrQuiet();
    if (activeStreams.size > 0) {
      logger.warn({ activeStreams: activeStreams.size }, "grace period over: ending the remaining streams");
      activeStreams.abortAll(() => new ShuttingDownError());
      await activeStreams.whenIdle(FINAL_FLUSH_MS);
    }
    // Only now: closing the listener earlier resets every connection still queued in its backlog.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await Promise.race([closed, delay(FINAL_FLUSH_MS)]);
    server.closeAllConnections();
    await metering.close();
    if (!overrides.bedrock) bedrock.destroy();
    logger.info("shutdown complete");
  }

  return {
    server,
    port,
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    activeStreams,
    usage: metering.meter,
    shutdown: (reason = "shutdown") => (stopping ??= drainAndClose(reason)),
  };
}

/** The process entry point: config from the environment, signals, exit codes. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config.logLevel);
  const exit = (code: number) => flushLogs(logger).finally(() => process.exit(code));
  const fatal = (err: unknown, msg: string) => {
    logger.fatal({ err }, msg);
    void exit(1);
  };
  // A thrown exception leaves the process in an unknown state: exit and let ECS replace the task. A stray rejected
  // promise (e.g. inside a library after an abort) does not justify cutting every other stream: log it loudly.
  process.on("uncaughtException", (err) => fatal(err, "uncaught exception"));
  process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled promise rejection"));

  let running: RunningServer | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => {
    stopSignal ??= signal;
    if (running) void running.shutdown(signal).then(() => exit(0));
  };
  // The bundle has held the signals since its first statement (early-signals.ts); a signal before listening is
  // replayed once the server runs.
  takeOverSignals(stop);

  running = await startServer(config, { logger }).catch((err: unknown) => {
    fatal(err, "cannot listen");
    return undefined;
  });
  if (!running) return;
  const { host, modelId, region, stagePrefix } = config;
  logger.info({ port: running.port, host, modelId, region, stagePrefix: stagePrefix ?? null }, "listening");
  if (stopSignal) stop(stopSignal);
}

if (require.main === module) void main();
