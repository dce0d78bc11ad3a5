import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { BUILD_CONTEXT, DEPLOYMENTS_KEPT, DOCKERFILE } from "../image";
import { programError, ProgramRun, runProgram } from "./program-under-mocks";

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

  it("keeps the images of the last deployments: one manifest per deployment, so the count is of deployments", () => {
    const lifecycle = run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "chat-lifecycle").inputs;
    assert.equal(lifecycle.repository, run.one(REPOSITORY, "chat-repo").name);
    const rules = JSON.parse(lifecycle.policy).rules;
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0].selection, { tagStatus: "any", countType: "imageCountMoreThan", countNumber: DEPLOYMENTS_KEPT });
    assert.deepEqual(rules[0].action, { type: "expire" });
    assert.ok(DEPLOYMENTS_KEPT >= 2 && DEPLOYMENTS_KEPT <= 10);
    // What makes one deployment one manifest: a single platform, and docker-build's embedded builder (which turns
    // buildx's default provenance attestation off) rather than `exec` mode (which would not).
    const image = run.one(IMAGE, "chat-image").inputs;
    assert.equal(image.platforms.length, 1);
    assert.equal(image.exec, undefined);
    assert.equal(image.exports, undefined, "push: true is the only export (no attestation-carrying exporter options)");
  });

  it("does not build during pulumi preview, so previews run without Docker", () => {
    assert.equal(run.one(IMAGE, "chat-image").inputs.buildOnPreview, false);
  });

  it("is built from the repository root with app/Dockerfile and pushed to the repository with ECR credentials", () => {
    const image = run.one(IMAGE, "chat-image").inputs;
    const repositoryUrl = `123456789012.dkr.ecr.us-east-1.amazonaws.com/${run.one(REPOSITORY, "chat-repo").name}`;
    // Relative to the project root, where Pulumi runs the program: the same strings in every clone and CI runner.
    assert.deepEqual(image.context, { location: "." });
    assert.deepEqual(image.dockerfile, { location: "app/Dockerfile" });
    assert.deepEqual([BUILD_CONTEXT, DOCKERFILE], [".", "app/Dockerfile"]);
    assert.ok(!path.isAbsolute(image.context.location) && !path.isAbsolute(image.dockerfile.location));
    assert.ok(fs.existsSync(path.join(REPO_ROOT, image.dockerfile.location)), "the Dockerfile the program builds exists");
    assert.ok(fs.existsSync(path.join(REPO_ROOT, "Pulumi.yaml")), "the context is the project root");
    assert.ok(fs.existsSync(path.join(REPO_ROOT, ".dockerignore")), "the context root has a .dockerignore");
    assert.equal(image.push, true);
    assert.deepEqual(image.tags, [`${repositoryUrl}:latest`]);
    assert.deepEqual(image.registries, [{ address: repositoryUrl, username: "AWS", password: "ecr-token" }]);
  });

  it("refuses to run outside the project directory, where the relative context would be another folder", async () => {
    const cwd = process.cwd();
    process.chdir(path.join(REPO_ROOT, "infra"));
    try {
      const error = await programError({});
      assert.match(error.message, /Run pulumi in the project directory .*: the image's build context/);
    } finally {
      process.chdir(cwd);
    }
  });

  it("targets the platform that matches cpuArchitecture", async () => {
    assert.deepEqual(run.one(IMAGE, "chat-image").inputs.platforms, ["linux/arm64"]);
    const x86 = await runProgram({ cpuArchitecture: "X86_64" });
    assert.deepEqual(x86.one(IMAGE, "chat-image").inputs.platforms, ["linux/amd64"]);
  });
});
