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

/** Where the image is built from: the repository root, seen from this file. */
export const BUILD_CONTEXT_DIR = path.resolve(__dirname, "..");
export const DOCKERFILE_PATH = path.join(BUILD_CONTEXT_DIR, "app", "Dockerfile");

/** Images kept in the repository: enough to roll back a few deployments, few enough to cost nothing worth noting. */
export const IMAGES_KEPT = 5;

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
          description: `Keep the ${IMAGES_KEPT} most recent images`,
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: IMAGES_KEPT },
          action: { type: "expire" },
        }],
      }),
    }, { parent: this });

    const credentials = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId }, { parent: this });
    const image = new dockerBuild.Image(`${name}-image`, {
      context: { location: BUILD_CONTEXT_DIR },
      dockerfile: { location: DOCKERFILE_PATH },
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
