import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { IMAGES_KEPT } from "../image";
import { ProgramRun, runProgram } from "./program-under-mocks";

const REPOSITORY = "aws:ecr/repository:Repository";
const IMAGE = "docker-build:index:Image";
const REPO_ROOT = path.resolve(__dirname, "..", "..");

describe("image", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("lives in an ECR repository that scans on push and that pulumi destroy may delete with its images", () => {
    const repository = run.one(REPOSITORY, "chat-repo").inputs;
    assert.deepEqual(repository.imageScanningConfiguration, { scanOnPush: true });
    assert.equal(repository.forceDelete, true);
  });

  it("keeps only the most recent images", () => {
    const lifecycle = run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "chat-lifecycle").inputs;
    assert.equal(lifecycle.repository, run.one(REPOSITORY, "chat-repo").name);
    const [rule] = JSON.parse(lifecycle.policy).rules;
    assert.deepEqual(rule.selection, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: IMAGES_KEPT });
    assert.deepEqual(rule.action, { type: "expire" });
    assert.ok(IMAGES_KEPT >= 2 && IMAGES_KEPT <= 10);
  });

  it("is built from the repository root with app/Dockerfile and pushed to the repository with ECR credentials", () => {
    const image = run.one(IMAGE, "chat-image").inputs;
    const repositoryUrl = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${run.one(REPOSITORY, "chat-repo").name}`;
    assert.deepEqual(image.context, { location: REPO_ROOT });
    assert.deepEqual(image.dockerfile, { location: path.join(REPO_ROOT, "app", "Dockerfile") });
    assert.ok(fs.existsSync(image.dockerfile.location), "the Dockerfile the program builds exists");
    assert.ok(fs.existsSync(path.join(REPO_ROOT, ".dockerignore")), "the context root has a .dockerignore");
    assert.equal(image.push, true);
    assert.deepEqual(image.tags, [`${repositoryUrl}:latest`]);
    assert.deepEqual(image.registries, [{ address: repositoryUrl, username: "AWS", password: "ecr-token" }]);
  });

  it("targets the platform that matches cpuArchitecture", async () => {
    assert.deepEqual(run.one(IMAGE, "chat-image").inputs.platforms, ["linux/arm64"]);
    const x86 = await runProgram({ cpuArchitecture: "X86_64" });
    assert.deepEqual(x86.one(IMAGE, "chat-image").inputs.platforms, ["linux/amd64"]);
  });
});
