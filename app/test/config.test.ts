import assert from "node:assert/strict";
import * as z from "zod";
import { ConfigError, loadConfig } from "../src/config";
import {
  CONTAINER_PORT,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_MAX_TOKENS,
  DEFAULT_MODEL_ID,
  DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
  ENV,
  SHUTDOWN_GRACE_SECONDS,
} from "../src/runtime-contract";
import { flag, json, list, matching, type Rule, SETTING_LIST } from "../src/settings";
import { DEFAULT_METRICS_NAMESPACE } from "../src/usage/key-schema";

describe("configuration from the environment", () => {
  const region = { [ENV.region]: "eu-central-1" };

  it("defaults to the runtime contract's values", () => {
    assert.deepEqual(loadConfig(region), {
      port: CONTAINER_PORT,
      host: "0.0.0.0",
      modelId: DEFAULT_MODEL_ID,
      allowedModelIds: [],
      embeddingModelIds: [],
      modelCatalog: {},
      modelAliases: {},
      modelPrices: {},
      strictModels: false,
      region: "eu-central-1",
      defaultMaxTokens: DEFAULT_MAX_TOKENS,
      bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
      bodyMemoryBytes: undefined,
      bodyMemoryWaitMs: 5000,
      bodyReadTimeoutMs: 10_000,
      shutdownGraceMs: SHUTDOWN_GRACE_SECONDS * 1000,
      upstreamIdleTimeoutMs: DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
      stagePrefix: undefined,
      logLevel: "info",
      usageTableName: undefined,
      apiKeys: {},
      usageStoreFailurePolicy: "serve",
      budgetReadMaxAgeMs: 500,
      metricsNamespace: DEFAULT_METRICS_NAMESPACE,
      upstreamMaxAttempts: 3,
      upstreamRetryBudgetMs: 10_000,
      modelFallbacks: {},
      circuitThrottles: 5,
      circuitWindowMs: 10_000,
      circuitCoolOffMs: 30_000,
      guardrail: {},
    });
  });

  it("reads the further allowed models as a JSON array or comma-separated, refusing ARNs", () => {
    const models = ["us.amazon.nova-lite-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"];
    assert.deepEqual(loadConfig({ ...region, [ENV.allowedModelIds]: JSON.stringify(models) }).allowedModelIds, models);
    assert.deepEqual(loadConfig({ ...region, [ENV.allowedModelIds]: ` ${models.join(" , ")} ` }).allowedModelIds, models);
    const arn = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/x";
    assert.throws(() => loadConfig({ ...region, [ENV.allowedModelIds]: arn }), /ALLOWED_MODEL_IDS must list Bedrock model IDs/);
  });

  it("reads the embedding models the same way", () => {
    const models = ["amazon.titan-embed-text-v2:0", "cohere.embed-v4:0"];
    assert.deepEqual(loadConfig({ ...region, [ENV.embeddingModelIds]: models.join(",") }).embeddingModelIds, models);
    const arn = "arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-v4:0";
    assert.throws(() => loadConfig({ ...region, [ENV.embeddingModelIds]: arn }), /EMBEDDING_MODEL_IDS must list Bedrock model IDs/);
  });

  it("reads every variable the contract names, blank meaning unset", () => {
    const config = loadConfig({
      ...region,
      [ENV.port]: "9000",
      [ENV.host]: "127.0.0.1",
      [ENV.modelId]: "eu.anthropic.claude-haiku-4-5-20251001-v1:0",
      [ENV.defaultMaxTokens]: "2048",
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
    [ENV.defaultMaxTokens, "0", /DEFAULT_MAX_TOKENS must be at least 1/],
    [ENV.defaultMaxTokens, "1e3", /DEFAULT_MAX_TOKENS must be a whole number/],
    [ENV.defaultMaxTokens, "64001", /DEFAULT_MAX_TOKENS must be at most 64000/],
    [ENV.bodyLimitBytes, "-1", /BODY_LIMIT_BYTES must be a whole number/],
    [ENV.shutdownGraceMs, "soon", /SHUTDOWN_GRACE_MS must be a whole number/],
    [ENV.upstreamIdleTimeoutMs, "0", /UPSTREAM_IDLE_TIMEOUT_MS must be at least 1/],
    [ENV.stagePrefix, "dev/v1", /STAGE_PREFIX must be an API Gateway stage name/],
    [ENV.modelId, "model id with spaces", /MODEL_ID must be a Bedrock model/],
    // The task role's IAM policy is derived from the ID (infra/iam.ts); an ARN would pass here and fail at Bedrock.
    [ENV.modelId, "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", /MODEL_ID must be a Bedrock model ID/],
    [ENV.logLevel, "verbose", /LOG_LEVEL must be one of/],
    [ENV.usageTableName, "a b", /USAGE_TABLE_NAME must be a DynamoDB table name/],
    [ENV.apiKeys, "{not json", /API_KEYS must be valid JSON/],
    [ENV.apiKeys, '{"id-1":{"name":"a b"}}', /API_KEYS must be 1-64 letters/],
    [ENV.apiKeys, '{"id-1":{"name":"a","tokensPerDay":0}}', /API_KEYS .*>=1/],
    [ENV.apiKeys, '{"id-1":{"name":"a"},"id-2":{"name":"a"}}', /API_KEYS key names must be unique/],
    [ENV.usageStoreFailurePolicy, "maybe", /USAGE_STORE_FAILURE_POLICY must be one of serve, refuse/],
    [ENV.budgetReadMaxAgeMs, "60001", /BUDGET_READ_MAX_AGE_MS must be at most 60000/],
    [ENV.budgetReadMaxAgeMs, "1s", /BUDGET_READ_MAX_AGE_MS must be a whole number/],
    [ENV.modelCatalog, "[]", /MODEL_CATALOG /],
    [ENV.modelCatalog, '{"x.y*":{"thinking":"sometimes"}}', /MODEL_CATALOG .*budget/],
    [ENV.modelCatalog, '{"x.y*":{"maxTokens":5}}', /MODEL_CATALOG .*maxTokens/],
    [ENV.modelAliases, '{"opus":7}', /MODEL_ALIASES /],
    [ENV.strictModels, "yes", /STRICT_MODELS must be true or false/],
  ];
  for (const [name, value, message] of INVALID) {
    it(`rejects ${name}=${JSON.stringify(value)} with a message naming it`, () => {
      const env = { ...region, [name]: value };
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
    });
  }

  it("reads the usage settings: table, keys with their limits, failure policy, budget reads' maximum age", () => {
    const config = loadConfig({
      ...region,
      [ENV.usageTableName]: "chat-usage",
      [ENV.apiKeys]: '{"abc123":{"name":"alice","tokensPerDay":1000,"tokensPerMonth":20000},"def456":{"name":"bob"}}',
      [ENV.usageStoreFailurePolicy]: "REFUSE",
      [ENV.budgetReadMaxAgeMs]: "1000",
    });
    assert.deepEqual([config.usageTableName, config.apiKeys, config.usageStoreFailurePolicy, config.budgetReadMaxAgeMs], [
      "chat-usage",
      { abc123: { name: "alice", tokensPerDay: 1000, tokensPerMonth: 20000 }, def456: { name: "bob" } },
      "refuse",
      1000,
    ]);
  });

  it("reads the model catalog's settings: entries, aliases, strictness", () => {
    const config = loadConfig({
      ...region,
      [ENV.modelCatalog]: '{"anthropic.claude-opus-5*":{"family":"claude-opus","maxOutputTokens":128000,"thinking":"adaptive-only"}}',
      [ENV.modelAliases]: '{"claude-opus-*":"global.anthropic.claude-opus-4-8"}',
      [ENV.strictModels]: "TRUE",
    });
    assert.deepEqual([config.modelCatalog, config.modelAliases, config.strictModels], [
      { "anthropic.claude-opus-5*": { family: "claude-opus", maxOutputTokens: 128000, thinking: "adaptive-only" } },
      { "claude-opus-*": "global.anthropic.claude-opus-4-8" },
      true,
    ]);
  });

  it("lists every invalid variable at once", () => {
    assert.throws(
      () => loadConfig({ [ENV.port]: "x", [ENV.logLevel]: "loud" }),
      (err: Error) => /PORT/.test(err.message) && /LOG_LEVEL/.test(err.message) && /AWS_REGION/.test(err.message),
    );
  });
});

describe("settings registry rules for list and JSON values", () => {
  const parse = <T>(rule: Rule<T>, text: string) => rule.safeParse(text);

  it("list() reads a JSON array (Pulumi's form of an array key) or comma-separated text, checking every item", () => {
    const ids = list(matching(/^[a-z.]+$/, "must be lowercase"));
    assert.deepEqual(parse(ids, '["a.b", "c"]').data, ["a.b", "c"]);
    assert.deepEqual(parse(ids, "a.b, c ,").data, ["a.b", "c"]);
    assert.match(parse(ids, "a,B").error!.issues[0].message, /must be lowercase/);
    assert.match(parse(ids, "[1, 2]").error!.issues[0].message, /JSON array of strings or comma-separated/);
  });

  it("json() reads a JSON document checked by its schema", () => {
    const keys = json(z.array(z.object({ name: z.string(), rpm: z.number().int().positive() })));
    assert.deepEqual(parse(keys, '[{"name":"ci","rpm":5}]').data, [{ name: "ci", rpm: 5 }]);
    assert.match(parse(keys, "{oops").error!.issues[0].message, /must be valid JSON/);
    assert.equal(parse(keys, '[{"name":"ci","rpm":0}]').success, false);
  });

  it("flag() reads true/false in any case and refuses anything else", () => {
    assert.equal(parse(flag, "TRUE").data, true);
    assert.equal(parse(flag, "false").data, false);
    assert.match(parse(flag, "yes").error!.issues[0].message, /must be true or false/);
  });

  it("every setting's default passes its own rule, and its formatted text reads back as the same value", () => {
    for (const [name, setting] of SETTING_LIST) {
      if (setting.default === undefined) continue;
      const text = setting.format(setting.default);
      assert.deepEqual(setting.schema.parse(text), setting.default, `${name}: ${text}`);
    }
  });
});
