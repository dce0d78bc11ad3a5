import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";

/**
 * `pulumi up` does not run the program through tsx like the other tests: the Pulumi nodejs language host compiles
 * Pulumi.yaml's `main` with ts-node, the project's TypeScript and tsconfig.json, type-checking included. This test
 * loads the program that way in a child process (no Pulumi CLI here), so an entry point, module setting or type
 * error only that loader would trip on fails here first.
 */
describe("entry point under the Pulumi language host's TypeScript loader", function () {
  this.timeout(180_000);

  it("compiles infra/index.ts with type-checking and runs it to its outputs", async () => {
    const loader = path.join(__dirname, "pulumi-loader.cjs");
    const { stdout } = await promisify(execFile)(process.execPath, [loader], { timeout: 170_000 });
    const result = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
    assert.equal(result.url, "https://api.example/v1");
    assert.equal(result.streamUrl, "https://api.example/v1/stream");
    for (const type of ["awsx:ec2:Vpc", "awsx:ecs:FargateService", "aws:apigateway/integration:Integration"]) {
      assert.ok(result.types.includes(type), type);
    }
    console.log(`      (ts-node ${result.tsNode}, TypeScript ${result.typescript}: loaded in ${result.ms} ms)`);
  });
});
