import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../app/src/config";
import { MAX_TOKENS_LIMIT, SETTING_LIST, SETTINGS } from "../../app/src/settings";
import { loadStackConfig } from "../config";
import { deployedEnvironment, STACK_DEFAULTS } from "../deployed-settings";
import { containerEnvironment } from "../container";
import {
  outsideProgram, PROJECT, programError, projectFile, REGION, runProgram, stackConfig,
} from "./program-under-mocks";

/**
 * The stack may only pass the container values the app accepts: every setting a Pulumi key feeds is checked with
 * the app's own rule (app/src/settings.ts), so a stack the tasks would refuse at start fails at `pulumi preview`.
 */

const DEPLOYED = SETTING_LIST.filter(([, setting]) => setting.stack);
const fullKey = (key: string) => (key.includes(":") ? key : `${PROJECT}:${key}`);

/**
 * Candidate texts for any setting: boundaries of the numeric rules in this project, and the shapes other rules
 * tell apart (IDs vs ARNs, regions, stage names, lists, blanks).
 */
const PROBES = [
  "", " ", "0", "1", "-1", "1.5", "1e3", "63999", String(MAX_TOKENS_LIMIT), String(MAX_TOKENS_LIMIT + 1), "65536",
  "abc", "true", "[]", '["a"]', "us-east-1", "eu-central-1", "us-east-10", "Europe", "us-east-1a",
  "global.anthropic.claude-haiku-4-5-20251001-v1:0", "amazon.nova-pro-v1:0", "model id with spaces",
  "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0", "v1", "/prod/", "v 1", "dev/v1",
  "a".repeat(128), "a".repeat(129),
];

/** Whether the program's configuration check accepts `value` for `key` (everything else at the dev stack's values). */
function programAccepts(key: string, value: string): { ok: boolean; message: string } {
  pulumi.runtime.setAllConfig(stackConfig({ [fullKey(key)]: value }));
  try {
    loadStackConfig();
    return { ok: true, message: "" };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function appAccepts(env: string, value: string): boolean {
  try {
    loadConfig({ AWS_REGION: REGION, [env]: value });
    return true;
  } catch (err) {
    if (err instanceof ConfigError) return false;
    throw err;
  }
}

describe("settings the stack passes to the container", () => {
  beforeEach(outsideProgram);

  it("are the registry's settings with a Pulumi key, and Pulumi.yaml declares each project key", () => {
    const keys = DEPLOYED.map(([, s]) => s.stack!.key);
    for (const key of ["aws:region", "maxTokens", "modelId", "stageName"]) assert.ok(keys.includes(key), key);
    for (const [, setting] of DEPLOYED) {
      if (!setting.stack!.key.includes(":")) assert.ok(projectFile.config[setting.stack!.key], setting.stack!.key);
    }
  });

  for (const [name, setting] of DEPLOYED) {
    const key = setting.stack!.key;
    it(`${fullKey(key)} accepts exactly what the app accepts in ${setting.env}, and names the key otherwise`, () => {
      let refused = 0;
      for (const probe of PROBES) {
        const app = appAccepts(setting.env, probe);
        const program = programAccepts(key, probe);
        assert.equal(program.ok, app, `${key} = ${JSON.stringify(probe)}: app ${app ? "accepts" : "refuses"} it`);
        if (!program.ok) {
          refused++;
          // A secret's value stays out of the message.
          const named = setting.stack!.secret ? `${fullKey(key)}: ` : `${fullKey(key)} = ${JSON.stringify(probe)}: `;
          assert.ok(program.message.includes(named), program.message);
        }
      }
      assert.ok(refused > 0, `${name}: the probes should include values the app refuses`);
    });
  }

  it("refuses a maxTokens above the app's limit at preview, naming the key", async () => {
    for (const value of [String(MAX_TOKENS_LIMIT + 1), "65536"]) {
      const error = await programError({ maxTokens: value });
      assert.ok(pulumi.RunError.isInstance(error), "a RunError: reported without a stack trace");
      assert.match(error.message, new RegExp(`${PROJECT}:maxTokens = "${value}": must be at most ${MAX_TOKENS_LIMIT}`));
    }
    const run = await runProgram({ maxTokens: String(MAX_TOKENS_LIMIT) });
    const container = run.one("awsx:ecs:FargateService", "chat-service").inputs.taskDefinitionArgs.container;
    assert.ok(container.environment.some((e: any) => e.name === SETTINGS.defaultMaxTokens.env && e.value === "64000"));
  });

  it("refuses a region the app refuses, naming aws:region", async () => {
    const error = await programError({ "aws:region": "Europe" });
    assert.match(error.message, /aws:region = "Europe": must be an AWS Region/);
  });

  it("gives the container an environment the app reads back as the stack's values", () => {
    const aliases = { "claude-opus-*": "amazon.nova-pro-v1:0" };
    const catalog = { "amazon.nova-pro-v1*": { maxOutputTokens: 5000 } };
    const overrides = {
      maxTokens: "4096", stageName: "/prod/", modelId: "amazon.nova-pro-v1:0", strictModels: "true",
      modelAliases: JSON.stringify(aliases), modelCatalog: JSON.stringify(catalog),
    };
    pulumi.runtime.setAllConfig(stackConfig(overrides));
    const stack = loadStackConfig();
    assert.equal(stack.stageName, "prod", "the stage API Gateway gets is the prefix the app serves");
    const env = Object.fromEntries(containerEnvironment(stack).map(({ name, value }) => [name, value]));
    const app = loadConfig(env);
    assert.equal(app.defaultMaxTokens, 4096);
    assert.equal(app.stagePrefix, "prod");
    assert.equal(app.modelId, "amazon.nova-pro-v1:0");
    assert.deepEqual([app.modelAliases, app.modelCatalog, app.strictModels], [aliases, catalog, true]);
    assert.equal(app.region, REGION);
    for (const [, setting] of SETTING_LIST.filter(([, s]) => s.pinned)) {
      assert.equal(env[setting.env], setting.format(setting.default), `${setting.env} pinned to its default`);
    }
    assert.deepEqual(deployedEnvironment(stack).filter((e) => e.secret), [], "no deployed setting is secret yet");
  });

  it("has stack defaults the app itself accepts, equal to Pulumi.yaml's", () => {
    for (const [field, value] of Object.entries(STACK_DEFAULTS)) {
      assert.deepEqual(projectFile.config[field].default, value, field);
    }
    const [, stage] = DEPLOYED.find(([name]) => name === "stagePrefix")!;
    assert.ok(appAccepts(stage.env, stage.format(STACK_DEFAULTS.stageName)));
  });
});
