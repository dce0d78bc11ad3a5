import type * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import {
  CONTAINER_NAME, CONTAINER_PORT, CONTAINER_USER, ENV, HEALTH_CHECK, READONLY_ROOT_FILESYSTEM, taskNodeOptions,
  STOP_TIMEOUT_SECONDS,
} from "../app/src/runtime-contract";
import type { StackConfig } from "./config";
import { type DeployedSettings, deployedEnvironment } from "./deployed-settings";

/**
 * The app's container as the task definition describes it: user, port, health check, stop timeout and environment,
 * all from the app's runtime contract. Pure data, no resources; ChatService (service.ts) places it in a Fargate task.
 */

/** What the container's environment is made of: the deployed app settings and the task's memory. */
export type ContainerSettings = DeployedSettings & Pick<StackConfig, "memory">;

export interface ContainerArgs {
  readonly settings: ContainerSettings & Pick<StackConfig, "region">;
  readonly imageRef: pulumi.Input<string>;
  /** The service's log group (created with its retention by the service, so awsx makes none). */
  readonly logGroupName: pulumi.Input<string>;
  readonly usage?: UsageEnvironment;
}

/** Per-key token budgets: what the app needs to find the usage table and the keys' limits. */
export interface UsageEnvironment {
  readonly tableName: pulumi.Input<string>;
  /** `API_KEYS`: the API keys' ids -> their names and token limits (JSON). */
  readonly apiKeysJson: pulumi.Input<string>;
}

/** The task definition's one container. */
export function containerDefinition(args: ContainerArgs): awsx.types.input.ecs.TaskDefinitionContainerDefinitionArgs {
  const { settings } = args;
  return {
    name: CONTAINER_NAME,
    image: args.imageRef,
    essential: true,
    user: CONTAINER_USER,
    readonlyRootFilesystem: READONLY_ROOT_FILESYSTEM,
    portMappings: [{ containerPort: CONTAINER_PORT, protocol: "tcp" }],
    healthCheck: {
      command: [...HEALTH_CHECK.command],
      interval: HEALTH_CHECK.intervalSeconds,
      timeout: HEALTH_CHECK.timeoutSeconds,
      retries: HEALTH_CHECK.retries,
      startPeriod: HEALTH_CHECK.startPeriodSeconds,
    },
    stopTimeout: STOP_TIMEOUT_SECONDS,
    environment: [...taskEnvironment(settings), ...usageEnvironment(args.usage)],
    logConfiguration: {
      logDriver: "awslogs",
      options: {
        "awslogs-group": args.logGroupName,
        "awslogs-region": settings.region,
        "awslogs-stream-prefix": CONTAINER_NAME,
      },
    },
  };
}

/**
 * The container environment: the app settings the stack sets (derived from the settings registry, see
 * deployed-settings.ts) and Node's options, with V8's heap sized from the task's memory (see taskNodeOptions).
 */
export function containerEnvironment(settings: ContainerSettings): Array<{ name: string; value: string }> {
  return [
    ...deployedEnvironment(settings).map(({ name, value }) => ({ name, value })),
    { name: ENV.nodeOptions, value: taskNodeOptions(settings.memory) },
  ];
}

/** The same, with the values of secret settings kept secret (they are part of the task definition). */
function taskEnvironment(settings: ContainerSettings): Array<{ name: string; value: pulumi.Input<string> }> {
  const secret = new Set(deployedEnvironment(settings).filter((entry) => entry.secret).map((entry) => entry.name));
  return containerEnvironment(settings)
    .map(({ name, value }) => ({ name, value: secret.has(name) ? pulumi.secret(value) : value }));
}

/** The usage table's name and the keys: resource outputs, so they join the environment here, not from the stack. */
function usageEnvironment(usage: UsageEnvironment | undefined): Array<{ name: string; value: pulumi.Input<string> }> {
  if (!usage) return [];
  return [{ name: ENV.usageTableName, value: usage.tableName }, { name: ENV.apiKeys, value: usage.apiKeysJson }];
}
