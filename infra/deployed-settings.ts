import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  parseSettings, type Setting, SETTING_LIST, type SettingName, SETTINGS, type Settings,
} from "../app/src/settings";

/**
 * The app settings a stack sets through the container's environment, derived from the registry
 * (app/src/settings.ts): which Pulumi keys feed which variables, their defaults, the check of their values by the
 * app's own rules (so `pulumi preview` refuses what the tasks would refuse at start) and the environment itself.
 * Nothing here names a particular setting: a registry entry with `stack` is all it takes.
 */

type Registry = typeof SETTINGS;
/** A Pulumi key's name without its namespace: `aws:region` -> `region`. */
type FieldOf<Key extends string> = Key extends `${string}:${infer Name}` ? Name : Key;
type StackKeyOf<K extends SettingName> = Registry[K] extends { stack: { key: infer Key extends string } } ? Key : never;
type StackValue<K extends SettingName> =
  Registry[K] extends { stack: { default: unknown } } ? NonNullable<Settings[K]> : Settings[K];

/** The stack's value of every deployed setting, by Pulumi key name (`maxTokens`, `stageName`, `region`...). */
export type DeployedSettings = { readonly [K in SettingName as FieldOf<StackKeyOf<K>>]: StackValue<K> };

interface Deployed {
  readonly name: SettingName;
  readonly setting: Setting<unknown, unknown>;
  readonly key: string;
  readonly field: string;
  readonly stackDefault: unknown;
}

const DEPLOYED: readonly Deployed[] = SETTING_LIST.flatMap(([name, setting]) => setting.stack
  ? [{
    name, setting, key: setting.stack.key, field: setting.stack.key.split(":").pop()!,
    stackDefault: setting.stack.default ?? setting.default,
  }]
  : []);

/** Keys another package reads the way it resolves them itself (the provider also takes AWS_REGION). */
const PROVIDER_READS: Readonly<Record<string, () => string | undefined>> = {
  "aws:region": () => aws.config.region,
};

/** This project's keys among them: Pulumi.yaml declares these. */
export const STACK_KEYS: readonly string[] = DEPLOYED.filter((d) => !d.key.includes(":")).map((d) => d.key);

/** Their defaults (Pulumi.yaml's `default:` entries must say the same). */
export const STACK_DEFAULTS = Object.fromEntries(DEPLOYED
  .filter((d) => !d.key.includes(":") && d.stackDefault !== undefined)
  .map((d) => [d.field, d.stackDefault])) as Omit<DeployedSettings, "region">;

/**
 * Reads every deployed setting's key and parses its text with the app's schema. Problems name the fully-qualified
 * key and, unless the setting is secret, the value.
 */
export function readDeployedSettings(project: string): { values: DeployedSettings; problems: string[] } {
  const fullKey = (key: string) => (key.includes(":") ? key : `${project}:${key}`);
  const read = (d: Deployed) => PROVIDER_READS[d.key]?.() ?? pulumi.runtime.getConfig(fullKey(d.key));
  const raw = new Map(DEPLOYED.map((d) => [d.name, read(d)]));
  const parsed = parseSettings((name) => raw.get(name), DEPLOYED.map((d) => d.name));
  const problems = parsed.problems.map(({ name, message }) => {
    const d = DEPLOYED.find((entry) => entry.name === name)!;
    const value = raw.get(name) === undefined || d.setting.stack?.secret ? "" : ` = ${JSON.stringify(raw.get(name))}`;
    return `  ${fullKey(d.key)}${value}: ${message}`;
  });
  const values = Object.fromEntries(DEPLOYED.map((d) => [d.field, parsed.values[d.name] ?? d.stackDefault]));
  return { values: values as DeployedSettings, problems };
}

/** One variable of the task definition's environment. */
export interface EnvironmentEntry {
  readonly name: string;
  readonly value: string;
  /** Set from a secret key: the program keeps the value a secret. */
  readonly secret: boolean;
}

/** The variables the task definition sets: every deployed setting from the stack, every pinned one at its default. */
export function deployedEnvironment(values: DeployedSettings): EnvironmentEntry[] {
  const fromStack: Record<string, unknown> = values;
  return SETTING_LIST.flatMap(([name, setting]) => {
    const d = DEPLOYED.find((entry) => entry.name === name);
    const value = d ? fromStack[d.field] : setting.pinned ? setting.default : undefined;
    if (value === undefined) return [];
    return [{ name: setting.env, value: setting.format(value), secret: Boolean(setting.stack?.secret) }];
  });
}
