import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../src/config";
import {
  CONTAINER_PORT,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_TOKENS,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_MODEL_ID,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  ENV,
  SHUTDOWN_GRACE_SECONDS,
} from "../src/runtime-contract";

describe("configuration from the environment", () => {
  const region = { [ENV.region]: "eu-central-1" };

  it("defaults to the runtime contract's values", () => {
    assert.deepEqual(loadConfig(region), {
      port: CONTAINER_PORT,
      host: "0.0.0.0",
      modelId: DEFAULT_MODEL_ID,
      region: "eu-central-1",
      defaultMaxTokens: DEFAULT_MAX_TOKENS,
      bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
      shutdownGraceMs: SHUTDOWN_GRACE_SECONDS * 1000,
      upstreamIdleTimeoutMs: DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
      stagePrefix: undefined,
      logLevel: "info",
      usage: { tableName: undefined, apiKeys: {}, failurePolicy: "serve" },
      metricsNamespace: DEFAULT_METRICS_NAMESPACE,
    });
  });

  it("reads every variable the contract names, blank meaning unset", () => {
    const config = loadConfig({
      ...region,
      [ENV.port]: "9000",
      [ENV.host]: "127.0.0.1",
      [ENV.modelId]: "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
      [ENV.maxTokens]: "2048",
      [ENV.bodyLimitBytes]: "1000",
      [ENV.shutdownGraceMs]: "0",
      [ENV.upstreamIdleTimeoutMs]: "5000",
      [ENV.stagePrefix]: "/prod/",
      [ENV.logLevel]: " WARN ",
    });
    assert.equal(config.port, 9000);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.modelId, "eu.anthropic.claude-haiku-4-5-20251001-v1:0");
    assert.equal(config.defaultMaxTokens, 2048);
    assert.equal(config.bodyLimitBytes, 1000);
    assert.equal(config.shutdownGraceMs, 0);
    assert.equal(config.upstreamIdleTimeoutMs, 5000);
    assert.equal(config.stagePrefix, "prod", "slashes around the stage name are tolerated");
    assert.equal(config.logLevel, "warn");
    assert.equal(loadConfig({ ...region, [ENV.port]: "  ", [ENV.stagePrefix]: "" }).port, CONTAINER_PORT);
  });

  const INVALID: Array<[string, string | undefined, RegExp]> = [
    [ENV.region, undefined, /AWS_REGION is required/],
    [ENV.region, "Europe", /AWS_REGION must be an AWS Region/],
    [ENV.port, "8080x", /PORT must be a whole number \(got "8080x"\)/],
    [ENV.port, "70000", /PORT must be at most 65535/],
    [ENV.maxTokens, "0", /DEFAULT_MAX_TOKENS must be at least 1/],
    [ENV.maxTokens, "1e3", /DEFAULT_MAX_TOKENS must be a whole number/],
    [ENV.maxTokens, "64001", /DEFAULT_MAX_TOKENS must be at most 64000/],
    [ENV.bodyLimitBytes, "-1", /BODY_LIMIT_BYTES must be a whole number/],
    [ENV.shutdownGraceMs, "soon", /SHUTDOWN_GRACE_MS must be a whole number/],
    [ENV.upstreamIdleTimeoutMs, "0", /UPSTREAM_IDLE_TIMEOUT_MS must be at least 1/],
    [ENV.stagePrefix, "dev/v1", /STAGE_PREFIX must be an API Gateway stage name/],
    [ENV.modelId, "model id with spaces", /MODEL_ID must be a Bedrock model/],
    [ENV.logLevel, "verbose", /LOG_LEVEL must be one of/],
    [ENV.usageTableName, "a b", /USAGE_TABLE_NAME must be a DynamoDB table name/],
    [ENV.apiKeys, "{not json", /API_KEYS must be JSON/],
    [ENV.apiKeys, '{"id-1":{"name":"a b"}}', /API_KEYS \["id-1"\]\["name"\] must be 1-64 letters/],
    [ENV.apiKeys, '{"id-1":{"name":"a","tokensPerDay":0}}', /API_KEYS \["id-1"\]\["tokensPerDay"\]/],
    [ENV.apiKeys, '{"id-1":{"name":"a"},"id-2":{"name":"a"}}', /API_KEYS key names must be unique/],
    [ENV.usageStoreFailurePolicy, "maybe", /USAGE_STORE_FAILURE_POLICY must be one of serve, refuse/],
  ];
  for (const [name, value, message] of INVALID) {
    it(`rejects ${name}=${JSON.stringify(value)} with a message naming it`, () => {
      const env = { ...region, [name]: value };
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }

  it("reads the usage settings: table, keys with their limits, failure policy", () => {
    const config = loadConfig({
      ...region,
      [ENV.usageTableName]: "chat-usage",
      [ENV.apiKeys]: '{"abc123":{"name":"alice","tokensPerDay":1000,"tokensPerMonth":20000},"def456":{"name":"bob"}}',
      [ENV.usageStoreFailurePolicy]: "REFUSE",
    });
    assert.deepEqual(config.usage, {
      tableName: "chat-usage",
      apiKeys: { abc123: { name: "alice", tokensPerDay: 1000, tokensPerMonth: 20000 }, def456: { name: "bob" } },
      failurePolicy: "refuse",
    });
  });

  it("lists every invalid variable at once", () => {
    assert.throws(
      () => loadConfig({ [ENV.port]: "x", [ENV.logLevel]: "loud" }),
      (err: Error) => /PORT/.test(err.message) && /LOG_LEVEL/.test(err.message) && /AWS_REGION/.test(err.message),
    );
  });
});
