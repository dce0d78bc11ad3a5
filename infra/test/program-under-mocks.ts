import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/**
 * Runs the real Pulumi program (infra/index.ts) under `pulumi.runtime.setMocks`: no cloud, no CLI.
 *
 * The configuration is what the CLI would hand the program for the `dev` stack: Pulumi.yaml's `default:` values,
 * overlaid with Pulumi.dev.yaml, overlaid with the test's overrides. Each run reloads infra/ with a fresh module
 * cache, records every registered resource (type, name, inputs) and resolves the stack outputs.
 *
 * awsx components are multi-language components: under mocks only the component itself is registered (its
 * children are built by the awsx plugin, which does not run here). The mock therefore returns plausible outputs
 * for them (subnet IDs, ALB ARN and DNS name, ...) and the tests assert on the inputs the program gives them.
 */

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const INFRA_DIR = path.join(REPO_ROOT, "infra");
const PROGRAM = path.join(INFRA_DIR, "index.ts");
export const ACCOUNT_ID = "123456789012";
export const REGION = "us-east-1";
export const S3_PREFIX_LIST_ID = "pl-63a5400a";
export const DYNAMODB_PREFIX_LIST_ID = "pl-02cd2c6b";
/**
 * The region's zones as the mocked getAvailabilityZones knows them. Name order and zone-ID order differ, as they do
 * in real accounts (names are shuffled per account): us-east-1e is use1-az3, which has no VPC link v2.
 */
export const FAKE_ZONES: readonly FakeZone[] = [
  { name: "us-east-1a", id: "use1-az4", state: "available" },
  { name: "us-east-1b", id: "use1-az6", state: "available" },
  { name: "us-east-1c", id: "use1-az1", state: "available" },
  { name: "us-east-1d", id: "use1-az2", state: "available" },
  { name: "us-east-1e", id: "use1-az3", state: "available" },
  { name: "us-east-1f", id: "use1-az5", state: "available" },
];

export interface FakeZone {
  readonly name: string;
  readonly id: string;
  /** `available`, or `impaired` / `unavailable` while AWS has trouble there. */
  readonly state: string;
}

/** The account and region the program sees, beyond the stack configuration. */
export interface World {
  /** The region's zones (default FAKE_ZONES). */
  readonly zones?: readonly FakeZone[];
  /** Zone names where an endpoint service is offered, by service name; unlisted services are offered everywhere. */
  readonly endpointZones?: Readonly<Record<string, readonly string[]>>;
  /** Outputs of the stack's last completed `pulumi up` (default: none, a new stack). */
  readonly previousOutputs?: Readonly<Record<string, unknown>>;
  /** The stack's name (default `dev`; the configuration is the dev stack's either way). */
  readonly stack?: string;
}

interface ProjectFile {
  name: string;
  config: Record<string, { type: string; description?: string; default?: unknown }>;
}

export const projectFile: ProjectFile = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.yaml"), "utf8"));
export const devStackConfig: Record<string, unknown> =
  parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")).config;
export const PROJECT = projectFile.name;
/** What `pulumi.getOrganization()` says with a self-managed backend (`pulumi login --local`). */
export const ORGANIZATION = "organization";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly id: string;
  readonly inputs: any;
  readonly transforms: readonly pulumi.ResourceTransform[];
  /** Logical names of the resources it depends on (`dependsOn` and inputs taken from other resources). */
  readonly dependsOn: readonly string[];
  /** The resource options the engine sees that change what an update or `destroy` does to it. */
  readonly options: RegistrationOptions;
}

export interface RegistrationOptions {
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
}

export interface RecordedInvoke {
  readonly token: string;
  readonly inputs: Record<string, any>;
}

export interface ProgramRun {
  readonly resources: readonly RecordedResource[];
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Every data-source call the program made (token and arguments). */
  readonly invokes: readonly RecordedInvoke[];
  readonly secretOutputs: ReadonlySet<string>;
  /** Every resource of one type. */
  ofType(type: string): RecordedResource[];
  /** The one resource of that type whose logical name ends with `suffix`; throws unless exactly one matches. */
  one(type: string, suffix: string): RecordedResource;
}

/** Config overrides by short key (`modelId`) or full key (`aws:region`); `undefined` removes a key. */
export type Overrides = Record<string, string | undefined>;

/** The configuration the CLI would pass for the dev stack, plus overrides, as full-key strings. */
export function stackConfig(overrides: Overrides = {}): Record<string, string> {
  const config: Record<string, string> = {};
  const put = (key: string, value: unknown) => {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (value === undefined) delete config[fullKey];
    else config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
  };
  for (const [key, schema] of Object.entries(projectFile.config)) put(key, schema.default);
  for (const [key, value] of Object.entries(devStackConfig)) put(key, value);
  for (const [key, value] of Object.entries(overrides)) put(key, value);
  return config;
}

const runs = new Map<string, Promise<ProgramRun>>();

/** Runs the program once per distinct configuration and world (runs are cached: the program is deterministic). */
export function runProgram(overrides: Overrides = {}, world: World = {}): Promise<ProgramRun> {
  const key = JSON.stringify([stackConfig(overrides), world]);
  let run = runs.get(key);
  if (!run) {
    // Chain onto the previous run: the Pulumi runtime is process-global, so runs must not overlap.
    const previous = Promise.all([...runs.values()].map((r) => r.catch(() => undefined)));
    run = previous.then(() => execute(overrides, world));
    runs.set(key, run);
  }
  return run;
}

/** Loads the program with this configuration and returns the error it throws while constructing. */
export async function programError(overrides: Overrides, world: World = {}): Promise<Error> {
  await Promise.all([...runs.values()].map((r) => r.catch(() => undefined)));
  try {
    await execute(overrides, world);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`the program accepted ${JSON.stringify(overrides)}`);
}

/**
 * Prepares the runtime for code that reads the configuration directly, outside a program run (e.g.
 * `loadStackConfig`): waits for pending runs and installs resource-less mocks for this project and the dev stack.
 * Then `pulumi.runtime.setAllConfig(stackConfig(overrides))` sets the configuration it reads.
 */
export async function outsideProgram(): Promise<void> {
  await Promise.all([...runs.values()].map((r) => r.catch(() => undefined)));
  await pulumi.runtime.setMocks({
    newResource: (args) => { throw new Error(`unexpected resource ${args.type}`); },
    call: (args) => fakeInvoke(args.token, args.inputs, {}),
  }, PROJECT, "dev", false, ORGANIZATION);
}

async function execute(overrides: Overrides, world: World): Promise<ProgramRun> {
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const dependencies = new Map<string, Registration>();
  pulumi.runtime.setAllConfig(stackConfig(overrides));
  await pulumi.runtime.setMocks({
    newResource(args: pulumi.runtime.MockResourceArgs) {
      const id = args.type === "aws:ec2/securityGroup:SecurityGroup" ? `sg-${args.name}` : `${args.name}-id`;
      const inputs = revealSecrets(args.inputs);
      const registration = dependencies.get(`${args.type}::${args.name}`);
      resources.push({
        type: args.type, name: args.name, id, inputs, transforms: args.transforms ?? [],
        dependsOn: registration?.dependsOn ?? [],
        options: registration?.options ?? { retainOnDelete: false, deleteBeforeReplace: false },
      });
      const state = args.type === "pulumi:pulumi:StackReference"
        ? { name: inputs.name, outputs: world.previousOutputs ?? {}, secretOutputNames: [] }
        : fakeOutputs(args.type, args.name, inputs);
      return { id, state: { ...args.inputs, ...state } };
    },
    call(args: pulumi.runtime.MockCallArgs) {
      invokes.push({ token: args.token, inputs: args.inputs });
      return fakeInvoke(args.token, args.inputs, world);
    },
  }, PROJECT, world.stack ?? "dev", false, ORGANIZATION);
  recordDependencies(dependencies);

  for (const cached of Object.keys(require.cache)) {
    if (cached.startsWith(INFRA_DIR + path.sep) && !cached.startsWith(path.join(INFRA_DIR, "test"))) {
      delete require.cache[cached];
    }
  }
  // infra/index.ts exports an async function (Pulumi's form for a program that awaits look-ups): its result holds
  // the stack outputs.
  const entry: () => Promise<Record<string, unknown>> = require(PROGRAM);
  const program = await entry();

  const outputs: Record<string, unknown> = {};
  const secretOutputs = new Set<string>();
  for (const [name, value] of Object.entries(program)) {
    if (!pulumi.Output.isInstance(value)) continue;
    outputs[name] = await settle(value);
    if (await pulumi.isSecret(value)) secretOutputs.add(name);
  }
  // Resources registered outside the outputs' dependency chains finish registering too.
  await pulumi.runtime.disconnect();

  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    resources,
    invokes,
    outputs,
    secretOutputs,
    ofType,
    one(type: string, suffix: string) {
      const matches = ofType(type).filter((r) => r.name.endsWith(suffix));
      if (matches.length !== 1) {
        throw new Error(`expected one ${type} named *${suffix}, found [${matches.map((m) => m.name).join(", ")}]`);
      }
      return matches[0];
    },
  };
}

interface Registration {
  readonly dependsOn: string[];
  readonly options: RegistrationOptions;
}

/**
 * The mocks' `newResource` does not see a resource's dependencies or options; the registration request the SDK sends
 * the mock monitor does. Records them (dependencies as logical names) by type and name.
 */
function recordDependencies(into: Map<string, Registration>): void {
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: unknown) => {
    const urns: string[] = req.getDependenciesList();
    into.set(`${req.getType()}::${req.getName()}`, {
      dependsOn: urns.map((urn) => urn.slice(urn.lastIndexOf("::") + 2)),
      options: { retainOnDelete: Boolean(req.getRetainondelete()), deleteBeforeReplace: Boolean(req.getDeletebeforereplace()) },
    });
    return register(req, callback);
  };
}

/** Inputs arrive with secrets still wrapped ({sig: secret, value}); tests assert on the values. */
function revealSecrets(value: any): any {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== "object") return value;
  if (value[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return revealSecrets(value.value);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
}

function settle<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => {
    resolve(value);
    return value;
  }));
}

/** Outputs AWS (or the awsx plugin) would compute, shaped like the real ones. */
function fakeOutputs(type: string, name: string, inputs: any): Record<string, unknown> {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT_ID}:${resource}`;
  switch (type) {
    case "awsx:ec2:Vpc":
      return {
        vpcId: "vpc-0a1b2c3d",
        isolatedSubnetIds: ["subnet-iso-a", "subnet-iso-b"],
        privateSubnetIds: [],
        publicSubnetIds: [],
        routeTables: [{ id: "rtb-iso-a" }, { id: "rtb-iso-b" }],
      };
    case "aws:ec2/vpcEndpoint:VpcEndpoint":
      if (inputs.vpcEndpointType !== "Gateway") return {};
      return { prefixListId: inputs.serviceName.endsWith(".dynamodb") ? DYNAMODB_PREFIX_LIST_ID : S3_PREFIX_LIST_ID };
    case "aws:dynamodb/table:Table":
      return { name, arn: arn("dynamodb", `table/${name}`) };
    case "aws:sns/topic:Topic":
      return { arn: arn("sns", name) };
    case "aws:kms/key:Key":
      return { arn: arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab") };
    case "awsx:lb:ApplicationLoadBalancer":
      return {
        loadBalancer: {
          arn: arn("elasticloadbalancing", `loadbalancer/app/${name}/50dc6c495c0c9188`),
          arnSuffix: `app/${name}/50dc6c495c0c9188`,
          dnsName: `internal-${name}-1234567890.${REGION}.elb.amazonaws.com`,
        },
        defaultTargetGroup: {
          arn: arn("elasticloadbalancing", `targetgroup/${name}/73e2d6bc24d8a067`),
          arnSuffix: `targetgroup/${name}/73e2d6bc24d8a067`,
        },
      };
    case "awsx:ecs:FargateService":
      return { service: { name: `${name}-svc` } };
    case "aws:ecr/repository:Repository":
      return {
        name,
        arn: arn("ecr", `repository/${name}`),
        registryId: ACCOUNT_ID,
        repositoryUrl: `${ACCOUNT_ID}.dkr.ecr.${REGION}.amazonaws.com/${name}`,
      };
    case "docker-build:index:Image":
      return { ref: `${inputs.tags[0]}@sha256:${"ab".repeat(32)}`, digest: `sha256:${"ab".repeat(32)}` };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { name: inputs.name ?? name, arn: arn("logs", `log-group:${inputs.name ?? name}`) };
    case "aws:iam/role:Role":
      return { name, arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}` };
    case "aws:ecs/cluster:Cluster":
      return { name: inputs.name ?? name, arn: arn("ecs", `cluster/${inputs.name ?? name}`) };
    case "aws:apigateway/restApi:RestApi":
      return { rootResourceId: "root-resource-id", name, executionArn: arn("execute-api", `${name}-id`) };
    case "aws:lambda/function:Function": {
      const functionArn = arn("lambda", `function:${name}`);
      return { name, arn: functionArn, invokeArn: `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${functionArn}/invocations` };
    }
    case "aws:apigateway/stage:Stage":
      return { invokeUrl: `https://${inputs.restApi}.execute-api.${REGION}.amazonaws.com/${inputs.stageName}` };
    case "aws:apigateway/apiKey:ApiKey":
      return { value: "generated-api-key-value" };
    default:
      return {};
  }
}

function fakeInvoke(token: string, inputs: Record<string, any>, world: World): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/test`, userId: "AIDATEST" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      // As EC2 answers: the zones matching the state and every filter, in name order.
      const filters: Array<{ name: string; values: string[] }> = inputs.filters ?? [];
      const zones = (world.zones ?? FAKE_ZONES).filter((zone) => (!inputs.state || zone.state === inputs.state) &&
        filters.every((f) => f.name === "zone-type" ? f.values.includes("availability-zone")
          : f.name === "zone-id" ? f.values.includes(zone.id)
          : f.name === "zone-name" ? f.values.includes(zone.name)
          : f.name === "state" ? f.values.includes(zone.state)
          : false))
        .sort((a, b) => a.name.localeCompare(b.name));
      return { names: zones.map((z) => z.name), zoneIds: zones.map((z) => z.id), id: REGION };
    }
    case "aws:ec2/getVpcEndpointService:getVpcEndpointService": {
      const everywhere = (world.zones ?? FAKE_ZONES).map((z) => z.name);
      const zones = world.endpointZones?.[inputs.serviceName] ?? everywhere;
      return { serviceName: inputs.serviceName, serviceType: "Interface", availabilityZones: [...zones], id: inputs.serviceName };
    }
    case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
      return { userName: "AWS", password: "ecr-token", authorizationToken: "QVdTOmVjci10b2tlbg==" };
    default:
      throw new Error(`unexpected invoke ${token}`);
  }
}
