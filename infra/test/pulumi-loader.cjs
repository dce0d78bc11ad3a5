// Loads infra/index.ts the way the Pulumi nodejs language host does (@pulumi/pulumi cmd/run/run.js): ts-node
// (the vendored 7.x unless the project has its own) with the project's TypeScript and tsconfig.json, type-checking
// on. The program then runs under minimal mocks; the outcome is printed as one JSON line for the parent test.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
process.chdir(root);
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const tsutils = require(path.join(pulumiDir, "tsutils.js"));
const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
require(tsnodeRequire).register({
  compiler: typescriptRequire,
  project: "tsconfig.json",
  skipProject: false,
  compilerOptions: {
    target: "ES2020", module: "nodenext", moduleResolution: "nodenext", sourceMap: "true",
    ...tsutils.loadTypeScriptCompilerOptions("tsconfig.json"),
  },
});

const pulumi = require("@pulumi/pulumi");
const { parse } = require("yaml");
const project = parse(fs.readFileSync("Pulumi.yaml", "utf8"));
const stack = parse(fs.readFileSync("Pulumi.dev.yaml", "utf8")).config;
// As the CLI hands them over: structured values (the key list) as JSON text.
pulumi.runtime.setAllConfig(Object.fromEntries(Object.entries(stack).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
const types = new Set();
pulumi.runtime.setMocks({
  newResource(args) {
    types.add(args.type);
    const outputs = {
      vpcId: "vpc-1", isolatedSubnetIds: ["subnet-a", "subnet-b"], routeTables: [{ id: "rtb-a" }],
      loadBalancer: { arn: "arn:alb", arnSuffix: "app/alb/1", dnsName: "alb.internal" },
      defaultTargetGroup: { arn: "arn:tg", arnSuffix: "targetgroup/tg/1" }, service: { name: "svc" },
      ref: "repo:latest@sha256:00", invokeUrl: "https://api.example/v1", value: "key",
      // The stack reference the program reads its previous outputs through: a new stack has none.
      outputs: {},
    };
    return { id: `${args.name}-id`, state: { ...args.inputs, ...outputs } };
  },
  call: () => ({
    accountId: "123456789012", userName: "AWS", password: "token",
    names: ["us-east-1a", "us-east-1b"], zoneIds: ["use1-az1", "use1-az2"], availabilityZones: ["us-east-1a", "us-east-1b"],
  }),
}, project.name, "dev", false, "organization");

const started = Date.now();
const entry = require(path.resolve(root, project.main));
const outputs = {};
// The program is an async function, as the language host calls it; its result holds the stack outputs.
Promise.resolve(entry()).then((program) =>
  pulumi.all([program.url, program.streamUrl]).apply(([url, streamUrl]) => Object.assign(outputs, { url, streamUrl })));
// Printed once every registration has settled (the event loop has nothing left), like the language host's exit.
process.once("beforeExit", () => {
  const typescript = require(typescriptRequire).version;
  const tsNode = path.relative(root, tsnodeRequire) || tsnodeRequire;
  const summary = { ...outputs, types: [...types].sort(), typescript, tsNode, ms: Date.now() - started };
  process.stdout.write(JSON.stringify(summary) + "\n");
});
