import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import Koa from "koa";
import type { Logger } from "pino";
import type { ActiveStreams } from "./bedrock/active-streams";
import type { AppConfig } from "./config";
import { errorHandler, responseErrorLogger } from "./http/error-handler";
import { requestLog } from "./http/request-log";
import { unmatchedRoute } from "./http/unmatched-route";
import type { AppState } from "./http/request-record";
import { requestMetrics } from "./metrics/request-metrics";
import type { ServiceMetrics } from "./metrics/service-metrics";
import { servedModels, useCatalogOverrides } from "./models";
import { createResilience } from "./resilience/setup";
import { createRouter } from "./routes";
import type { UsageMeter } from "./usage/meter";

export interface AppDependencies {
  config: AppConfig;
  bedrock: BedrockRuntimeClient;
  logger: Logger;
  /** Shared with the server so graceful shutdown can wait for, then abort, running streams. */
  activeStreams: ActiveStreams;
  /** Per-key budgets and metering (shared with the server so shutdown can wait for the last charges). */
  usage: UsageMeter;
  metrics: ServiceMetrics;
}

/**
 * Builds the Koa app from explicit dependencies and nothing else (no environment, no listening socket), so tests
 * can run it against any Bedrock endpoint and the server module owns only process concerns.
 *
 * Middleware order: the request log wraps everything (it reports the final status); inside it the request's metrics
 * (emitted once the error sink has settled the outcome); inside them the one error sink;
 * inside that the translation of unmatched routes into errors; then the router.
 */
export function createApp(deps: AppDependencies): Koa<AppState> {
  const models = servedModels(deps.config.modelId, deps.config.allowedModelIds);
  useCatalogOverrides(deps.config.modelCatalog);
  const { config, bedrock, activeStreams, usage } = deps;
  const resilience = createResilience(config, deps.metrics);
  const embeddingModels = [...new Set(deps.config.embeddingModelIds)];
  const router = createRouter({ config, bedrock, activeStreams, models, embeddingModels, usage, resilience });
  const app = new Koa<AppState>();
  app.use(requestLog(deps.logger));
  app.use(requestMetrics(deps.metrics));
  app.use(errorHandler(config.bodyReadTimeoutMs));
  app.use(unmatchedRoute());
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.on("error", responseErrorLogger(deps.logger));
  return app;
}
