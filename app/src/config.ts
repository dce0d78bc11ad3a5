import { servedModels } from "./models";
import { fallbackProblems } from "./resilience/fallback-rules";
import { parseSettings, SETTINGS, type Settings } from "./settings";

/**
 * The service's configuration, read once from the environment at start-up.
 *
 * Why validate up front: a typo in a task definition (`PORT=80a`, `DEFAULT_MAX_TOKENS=-1`) should stop the container
 * at boot with a message naming the variable, not surface later as a confusing 500 on the first request. The
 * variables, their rules and defaults are the settings registry's (settings.ts), which the Pulumi program checks too.
 */

export { MAX_TOKENS_LIMIT } from "./settings";

/** Every setting's value (settings.ts); `stagePrefix` is the stage API Gateway may put in front of backend paths. */
export type AppConfig = Settings;

/** Thrown when the environment is invalid; `message` lists every bad variable, one per line. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates the configuration; throws {@link ConfigError} naming every invalid variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const { values, problems } = parseSettings((_name, setting) => env[setting.env]);
  if (problems.length > 0) {
    const lines = problems.map(({ name, message }) => {
      const variable = SETTINGS[name].env;
      const raw = env[variable];
      return `  - ${variable} ${message}${raw === undefined ? "" : ` (got ${JSON.stringify(raw)})`}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const config = values as AppConfig;
  const fallbacks = fallbackProblems(servedModels(config.modelId, config.allowedModelIds), config.modelFallbacks);
  if (fallbacks.length > 0) {
    const lines = fallbacks.map((problem) => `  - ${SETTINGS.modelFallbacks.env} ${problem}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  return config;
}
