import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_MAX_TOKENS, DEFAULT_MODEL_ID } from "../../app/src/runtime-contract";
import { CONFIG_KEYS, configDefaults } from "../config";
import { KEY_LIMITS } from "../key-limits";
import { PROJECT, devStackConfig, programError, projectFile, runProgram } from "./program-under-mocks";

describe("stack configuration", () => {
  describe("Pulumi.yaml", () => {
    it("runs infra/index.ts with the nodejs runtime, TypeScript and npm", () => {
      const project = projectFile as unknown as Record<string, any>;
      assert.deepEqual(project.runtime, { name: "nodejs", options: { typescript: true, packagemanager: "npm" } });
      assert.equal(project.main, "infra/index.ts");
      assert.ok(fs.existsSync(path.resolve(__dirname, "..", "..", project.main)));
    });

    it("requires the oldest CLI the program runs on: transforms (3.115.0) and untyped structured config (issue 20, item 9)", () => {
      const required = (projectFile as unknown as Record<string, unknown>).requiredPulumiVersion;
      assert.equal(required, ">=3.115.0");
      const installed = JSON.parse(fs.readFileSync(require.resolve("@pulumi/pulumi/package.json"), "utf8")).version as string;
      const [major, minor] = installed.split(".").map(Number);
      assert.ok(major > 3 || (major === 3 && minor >= 115), `the SDK in use (${installed}) is not older than the minimum`);
    });

    it("declares exactly the keys the program reads, each with a type, a description and a default", () => {
      assert.deepEqual(Object.keys(projectFile.config).sort(), [...CONFIG_KEYS].sort());
      for (const [key, schema] of Object.entries(projectFile.config)) {
        // `keys` is a list of objects and the model catalog's keys are maps, which Pulumi's project schema cannot type
        // (no object type; arrays need a simple item type): they have a default only, and their rules check them.
        const structured = ["keys", "modelCatalog", "modelPrices", "modelAliases", "fallbacks", "guardrail"].includes(key);
        const types: Array<string | undefined> = structured ? [undefined] : ["string", "integer", "boolean", "array"];
        assert.ok(types.includes(schema.type), `${key}: type ${schema.type}`);
        assert.ok((schema.description ?? "").length > 20, `${key}: description`);
        assert.notEqual(schema.default, undefined, `${key}: default`);
      }
    });

    it("names in the keys description every field a key may set", () => {
      const description = projectFile.config.keys.description ?? "";
      for (const field of ["name", ...KEY_LIMITS]) assert.match(description, new RegExp(`\\b${field}\\??[,}]`), field);
    });

    it("has the same defaults as the program, so CLI and tests run the same configuration", () => {
      const fromFile = Object.fromEntries(Object.entries(projectFile.config).map(([k, v]) => [k, v.default]));
      assert.deepEqual(fromFile, configDefaults());
    });

    it("defaults modelId and maxTokens to the runtime contract's values", () => {
      assert.equal(projectFile.config.modelId.default, DEFAULT_MODEL_ID);
      assert.equal(projectFile.config.maxTokens.default, DEFAULT_MAX_TOKENS);
      assert.equal(projectFile.config.cpuArchitecture.default, "ARM64");
      assert.equal(projectFile.config.apiKeyRequired.default, true);
    });

    it("Pulumi.dev.yaml sets the region to us-east-1 and the model ID", () => {
      assert.equal(devStackConfig["aws:region"], "us-east-1");
      assert.equal(devStackConfig[`${PROJECT}:modelId`], DEFAULT_MODEL_ID);
    });

    it("Pulumi.dev.yaml holds the key list (the default one), so `pulumi config set --path 'keys[1].name'` can append to it", () => {
      // Pulumi sets a list index only up to the stack file's list length: on a stack without the list, index 1 is
      // "array index out of range" (the project's default is not in the stack file).
      assert.deepEqual(devStackConfig[`${PROJECT}:keys`], projectFile.config.keys.default);
    });
  });

  describe("validation", () => {
    const invalid: Array<[string, Record<string, string | undefined>, string]> = [
      ["a CPU size Fargate does not offer", { cpu: "300" }, "cpu"],
      ["memory that does not fit the CPU size", { cpu: "256", memory: "4096" }, "memory"],
      ["a desired count above the maximum", { desiredCount: "10", maxCapacity: "6" }, "desiredCount"],
      ["a minimum above the maximum", { minCapacity: "7", desiredCount: "7", maxCapacity: "6" }, "minCapacity"],
      ["a retention CloudWatch does not accept", { logRetentionDays: "45" }, "logRetentionDays"],
      ["a stage name that is not a URL segment", { stageName: "v 1/x" }, "stageName"],
      ["an unknown CPU architecture", { cpuArchitecture: "arm" }, "cpuArchitecture"],
      ["a boolean that is not one", { apiKeyRequired: "maybe" }, "apiKeyRequired"],
      ["a model ARN instead of an ID", { modelId: "arn:aws:bedrock:us-east-1::foundation-model/x" }, "modelId"],
      ["zero max tokens", { maxTokens: "0" }, "maxTokens"],
      ["a fractional quota", { dailyQuota: "1.5" }, "dailyQuota"],
      ["a non-number", { throttleRateLimit: "ten" }, "throttleRateLimit"],
      ["a burst below the rate", { throttleRateLimit: "50", throttleBurstLimit: "20" }, "throttleBurstLimit"],
      ["a single availability zone", { availabilityZones: '["us-east-1a"]' }, "availabilityZones"],
      ["a budget read age above a minute", { budgetReadMaxAgeMs: "60001" }, "budgetReadMaxAgeMs"],
      ["a budget read age that is not whole milliseconds", { budgetReadMaxAgeMs: "0.5" }, "budgetReadMaxAgeMs"],
      ["a fallback the deployment does not serve", { fallbacks: '{"global.anthropic.claude-haiku-4-5-20251001-v1:0":["eu.amazon.nova-lite-v1:0"]}' }, "fallbacks"],
      ["a guardrail without a version", { guardrail: '{"identifier":"abc123"}' }, "guardrail"],
      ["an attempt count of 0", { upstreamMaxAttempts: "0" }, "upstreamMaxAttempts"],
      ["model aliases that are not a map of names", { modelAliases: '["opus"]' }, "modelAliases"],
      ["a catalog entry with an unknown thinking form", { modelCatalog: '{"a.b*":{"thinking":"always"}}' }, "modelCatalog"],
      ["a strictness that is not a boolean", { strictModels: "yes" }, "strictModels"],
    ];
    for (const [what, overrides, key] of invalid) {
      it(`rejects ${what}, naming ${PROJECT}:${key}`, async () => {
        const error = await programError(overrides);
        assert.ok(pulumi.RunError.isInstance(error), "a RunError: reported without a stack trace");
        assert.match(error.message, new RegExp(`${PROJECT}:${key}\\b`));
      });
    }

    it("lists every invalid key at once", async () => {
      const error = await programError({ cpu: "300", logRetentionDays: "45", stageName: "v 1" });
      for (const key of ["cpu", "logRetentionDays", "stageName"]) assert.match(error.message, new RegExp(`${PROJECT}:${key}`));
    });

    it("requires aws:region", async () => {
      // The AWS provider would also take the region from the environment; make sure neither is there.
      const saved = { AWS_REGION: process.env.AWS_REGION, AWS_DEFAULT_REGION: process.env.AWS_DEFAULT_REGION };
      delete process.env.AWS_REGION;
      delete process.env.AWS_DEFAULT_REGION;
      try {
        const error = await programError({ "aws:region": undefined });
        assert.match(error.message, /aws:region/);
      } finally {
        for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
      }
    });

    it("refuses a key's rate or burst above the stage's, naming the key (issue 20, item 1)", async () => {
      const keys = JSON.stringify([{ name: "default" }, { name: "alice", rateLimit: 50, burstLimit: 100 }]);
      const error = await programError({ keys });
      assert.ok(pulumi.RunError.isInstance(error));
      assert.match(error.message, new RegExp(`${PROJECT}:keys\\[1\\]\\.rateLimit: key "alice" asks for 50, above the stage's throttleRateLimit \\(10\\)`));
      assert.match(error.message, new RegExp(`${PROJECT}:keys\\[1\\]\\.burstLimit: key "alice" asks for 100, above the stage's throttleBurstLimit \\(20\\)`));
      // The same key is accepted once the stage allows it: the stage is the ceiling for every caller together.
      const raised = await runProgram({ keys, throttleRateLimit: "50", throttleBurstLimit: "100" });
      assert.deepEqual(raised.one("aws:apigateway/usagePlan:UsagePlan", "chat-plans-alice").inputs.throttleSettings,
        { rateLimit: 50, burstLimit: 100 });
    });

    it("refuses apiKeyRequired=false while a key sets limits, naming both keys (issue 20, item 8)", async () => {
      const keys = JSON.stringify([{ name: "default" }, { name: "alice", tokensPerDay: 1000 }, { name: "bob", dailyQuota: 5 }]);
      const error = await programError({ apiKeyRequired: "false", keys });
      assert.ok(pulumi.RunError.isInstance(error));
      assert.match(error.message, new RegExp(`${PROJECT}:apiKeyRequired = "false": .*limits set in keys would never apply: ` +
        `keys\\[1\\] "alice" \\(tokensPerDay\\); keys\\[2\\] "bob" \\(dailyQuota\\)`));
      // Keys without limits are fine (the default list has one).
      await runProgram({ apiKeyRequired: "false", keys: JSON.stringify([{ name: "default" }, { name: "carol" }]) });
    });

    it("accepts other valid sizes and counts", async () => {
      const run = await runProgram({ cpu: "1024", memory: "4096", minCapacity: "1", desiredCount: "3", maxCapacity: "10" });
      const service = run.one("awsx:ecs:FargateService", "chat-service").inputs;
      assert.equal(service.taskDefinitionArgs.cpu, "1024");
      assert.equal(service.taskDefinitionArgs.memory, "4096");
      assert.equal(service.desiredCount, 3);
      const scaling = run.one("aws:appautoscaling/target:Target", "chat-scaling-target").inputs;
      assert.deepEqual([scaling.minCapacity, scaling.maxCapacity], [1, 10]);
    });
  });
});
