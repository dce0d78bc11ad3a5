import * as aws from "@pulumi/aws";
import * as dockerBuild from "@pulumi/docker-build";
import * as pulumi from "@pulumi/pulumi";
import * as path from "node:path";
import type { CpuArchitecture } from "./config";

/**
 * The container image: an ECR repository and the app image built from this repository and pushed there.
 *
 * The build context is the repository root (the Dockerfile needs the workspace manifests and the lockfile next to
 * `app/`); the root `.dockerignore` keeps `node_modules`, `.git` and the like out of it.
 */

/**
 * Where the image is built from, relative to the project root (Pulumi runs the program there). docker-build stores
 * and compares these strings on every `up`: an absolute path would differ in every clone and CI workspace and
 * rebuild, re-push and roll the service although nothing changed.
 */
export const BUILD_CONTEXT = ".";
export const DOCKERFILE = "app/Dockerfile";
/** The project root (where Pulumi.yaml is), seen from this file. */
const PROJECT_ROOT = path.resolve(__dirname, "..");

/**
 * Deployments whose image the repository keeps, so ECS can roll back to them. Each deployment pushes exactly one
 * image manifest: one platform, and no attestation manifests (docker-build's embedded builder disables buildx's
 * default provenance; `exec` mode, which would not, stays off). So counting images counts deployments; a
 * multi-platform build or attestations would add manifests per deployment and must change this policy.
 */
export const DEPLOYMENTS_KEPT = 5;

/** The image platform Fargate runs for each `cpuArchitecture`. */
export const PLATFORM_BY_ARCHITECTURE: Readonly<Record<CpuArchitecture, dockerBuild.Platform>> = {
  ARM64: dockerBuild.Platform.Linux_arm64,
  X86_64: dockerBuild.Platform.Linux_amd64,
};

export interface AppImageArgs {
  readonly cpuArchitecture: CpuArchitecture;
}

export class AppImage extends pulumi.ComponentResource {
  /** Pushed image as `repository:tag@sha256:digest`, so every new build changes the task definition. */
  public readonly imageRef: pulumi.Output<string>;
  public readonly repositoryArn: pulumi.Output<string>;

  constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("bedrock-stream:image:AppImage", name, {}, opts);
    if (path.resolve(BUILD_CONTEXT) !== PROJECT_ROOT) {
      throw new pulumi.RunError(`Run pulumi in the project directory ${PROJECT_ROOT}: the image's build context.`);
    }

    const repository = new aws.ecr.Repository(`${name}-repo`, {
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: "MUTABLE",
      // `pulumi destroy` must remove the repository even though it still holds the pushed images.
      forceDelete: true,
    }, { parent: this });

    new aws.ecr.LifecyclePolicy(`${name}-lifecycle`, {
      repository: repository.name,
      policy: JSON.stringify({
        rules: [{
          rulePriority: 1,
          description: `Keep the images of the ${DEPLOYMENTS_KEPT} most recent deployments (one manifest each)`,
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: DEPLOYMENTS_KEPT },
          action: { type: "expire" },
        }],
      }),
    }, { parent: this });

    const credentials = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent: this });
    const image = new dockerBuild.Image(`${name}-image`, {
      context: { location: BUILD_CONTEXT },
      dockerfile: { location: DOCKERFILE },
      // `pulumi preview` (e.g. in CI, where there may be no Docker) does not build; `pulumi up` builds and pushes.
      buildOnPreview: false,
      // The Dockerfile's build stage runs on the build machine's platform and only the runtime stage targets
      // this one, so an x86 laptop builds an ARM64 image without emulating the npm install.
      platforms: [PLATFORM_BY_ARCHITECTURE[args.cpuArchitecture]],
      push: true,
      tags: [pulumi.interpolate`${repository.repositoryUrl}:latest`],
      registries: [{
        address: repository.repositoryUrl,
        username: credentials.userName,
        password: pulumi.secret(credentials.password),
      }],
    }, { parent: this });

    this.imageRef = image.ref;
    this.repositoryArn = repository.arn;
    this.registerOutputs({ imageRef: this.imageRef, repositoryArn: this.repositoryArn });
  }
}
