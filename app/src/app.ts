import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import Koa from "koa";
import type { Logger } from "pino";
import type { ActiveStreams } from "./bedrock/active-streams";
import { servedModels } from "./bedrock/models";
import type { AppConfig } from "./config";
import { errorHandler } from "./http/error-handler";
import { requestLog } from "./http/request-log";
import { unmatchedRoute } from "./http/unmatched-route";
import type { AppState } from "./http/request-record";
import { createRouter } from "./routes";

export interface AppDependencies {
  config: AppConfig;
  bedrock: BedrockRuntimeClient;
  logger: Logger;
  /** Shared with the server so graceful shutdown can wait for, then abort, running streams. */
  activeStreams: ActiveStreams;
}

/**
 * Builds the Koa app from explicit dependencies and nothing else (no environment, no listening socket), so tests
 * can run it against any Bedrock endpoint and the server module owns only process concerns.
 *
 * Middleware order: the request log wraps everything (it reports the final status); inside it the one error sink;
 * inside that the translation of unmatched routes into errors; then the router.
 */
export function createApp(deps: AppDependencies): Koa<AppState> {
  const models = servedModels(deps.config.modelId, deps.config.allowedModelIds);
  const router = createRouter({ config: deps.config, bedrock: deps.bedrock, activeStreams: deps.activeStreams, models });
  const app = new Koa<AppState>();
  app.use(requestLog(deps.logger));
  app.use(errorHandler());
  app.use(unmatchedRoute());
  app.use(router.routes());
  app.use(router.allowedMethods());
  // The error sink handles every request error; this only sees failures of Koa's own response writing.
  app.on("error", (err: Error) => deps.logger.error({ err }, "unhandled error while responding"));
  return app;
}
