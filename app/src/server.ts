import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as delay } from "node:timers/promises";
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { Logger } from "pino";
import { ActiveStreams } from "./bedrock/active-streams";
import { createBedrockClient } from "./bedrock/client";
import { createApp } from "./app";
import { type AppConfig, ConfigError, loadConfig } from "./config";
import { ShuttingDownError } from "./http/errors";
import { createLogger } from "./logger";
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS } from "./runtime-contract";

/** After the grace period: how long the streams just ended get to flush their error line before sockets close. */
const FINAL_FLUSH_MS = 2000;

export interface RunningServer {
  server: http.Server;
  url: string;
  port: number;
  activeStreams: ActiveStreams;
  /**
   * Graceful shutdown: stop accepting; let in-flight streams finish within `shutdownGraceMs`; then end each one
   * left with an error line and abort its Bedrock call; close every connection. Resolves when done.
   */
  shutdown(reason?: string): Promise<void>;
}

export interface ServerOverrides {
  logger?: Logger;
  /** A client of the caller's choosing (tests: `maxAttempts: 1`); by default the standard SDK configuration. */
  bedrock?: BedrockRuntimeClient;
}

/**
 * Node's own timeouts, set for a server behind an ALB that carries long streams.
 * - keepAliveTimeout above the ALB idle timeout: the ALB, not Node, closes idle connections, so it never sends a
 *   request on a connection Node is closing (which the ALB would turn into a 502).
 * - headersTimeout above keepAliveTimeout, as Node requires.
 * - requestTimeout 0 and no socket timeout: a stream may legitimately last many minutes; the ALB and API Gateway
 *   idle timeouts bound silence, and the upstream idle timeout bounds a hung model.
 */
export function createHttpServer(listener: http.RequestListener): http.Server {
  const server = http.createServer({ requestTimeout: 0, noDelay: true }, listener);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.timeout = 0;
  return server;
}

export async function startServer(config: AppConfig, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const bedrock = overrides.bedrock ?? createBedrockClient(config.region);
  const activeStreams = new ActiveStreams();
  const app = createApp({ config, bedrock, logger, activeStreams });
  const server = createHttpServer(app.callback());
  let stopping: Promise<void> | undefined;
  // While draining, every response not yet started asks the client to close its connection rather than reuse it.
  const unanswered = new Set<http.ServerResponse>();
  const askToClose = (res: http.ServerResponse) => {
    if (!res.headersSent) res.setHeader("Connection", "close");
  };
  server.prependListener("request", (_req, res) => {
    if (stopping) return askToClose(res);
    unanswered.add(res);
    res.once("close", () => unanswered.delete(res));
  });

  server.listen(config.port, config.host);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;

  async function drainAndClose(reason: string): Promise<void> {
    logger.info({ reason, activeStreams: activeStreams.size }, "shutting down: not accepting new connections");
    unanswered.forEach(askToClose);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (!(await activeStreams.whenIdle(config.shutdownGraceMs))) {
      logger.warn({ activeStreams: activeStreams.size }, "grace period over: ending the remaining streams");
      activeStreams.abortAll(() => new ShuttingDownError());
      await activeStreams.whenIdle(FINAL_FLUSH_MS);
    }
    server.closeIdleConnections();
    await Promise.race([closed, delay(FINAL_FLUSH_MS)]);
    server.closeAllConnections();
    if (!overrides.bedrock) bedrock.destroy();
    logger.info("shutdown complete");
  }

  return {
    server,
    port,
    url: `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`,
    activeStreams,
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
  const fatal = (err: unknown, msg: string) => {
    logger.fatal({ err }, msg);
    process.exit(1);
  };
  // A thrown exception leaves the process in an unknown state: exit and let ECS replace the task. A stray rejected
  // promise (e.g. inside a library after an abort) does not justify cutting every other stream: log it loudly.
  process.on("uncaughtException", (err) => fatal(err, "uncaught exception"));
  process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled promise rejection"));

  // Handlers go in before listening: a signal that arrives in between must not kill the process the default way.
  let running: RunningServer | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => {
    stopSignal ??= signal;
    if (running) void running.shutdown(signal).then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  running = await startServer(config, { logger }).catch((err: unknown) => fatal(err, "cannot listen"));
  if (!running) return;
  const { host, modelId, region, stagePrefix } = config;
  logger.info({ port: running.port, host, modelId, region, stagePrefix: stagePrefix ?? null }, "listening");
  if (stopSignal) stop(stopSignal);
}

if (require.main === module) void main();
