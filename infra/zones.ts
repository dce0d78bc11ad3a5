import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * Availability-zone IDs where VPC link v2 works, by region (API Gateway developer guide, "Set up VPC links V2",
 * availability by Region). Zone *names* map to different zone IDs in every account, so an account's first two zone
 * names may include an unsupported ID (in us-east-1, one account in three gets use1-az3 among its first two), and
 * the VPC link would fail minutes into the first deploy. Regions missing here are used unfiltered.
 */
export const VPC_LINK_ZONE_IDS: Readonly<Record<string, readonly string[]>> = {
  "us-east-1": ["use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"],
  "us-east-2": ["use2-az1", "use2-az2", "use2-az3"],
  "us-west-1": ["usw1-az1", "usw1-az3"],
  "us-west-2": ["usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"],
  "ap-east-1": ["ape1-az2", "ape1-az3"],
  "ap-south-1": ["aps1-az1", "aps1-az2", "aps1-az3"],
  "ap-northeast-2": ["apne2-az1", "apne2-az2", "apne2-az3"],
  "ap-southeast-1": ["apse1-az1", "apse1-az2", "apse1-az3"],
  "ap-southeast-2": ["apse2-az1", "apse2-az2", "apse2-az3"],
};

/** How many zones the network spans. */
export const ZONE_COUNT = 2;

export interface ZoneChoiceArgs {
  readonly region: string;
  /** The `availabilityZones` key: zone names the user pinned, or empty. */
  readonly configured: readonly string[];
  /** The zones this stack's subnets were put in by an earlier `pulumi up` (its recorded choice), if any. */
  readonly recorded?: readonly string[];
  /** The stack was deployed by a version of the program that did not record its choice. */
  readonly deployedUnrecorded?: boolean;
  /** Full names of the interface endpoint services the subnets must host (`com.amazonaws.<region>.logs`...). */
  readonly endpointServices: readonly string[];
  /** The fully-qualified `availabilityZones` key, for messages. */
  readonly configKey: string;
  /** The override (`allowAvailabilityZoneChange`): a configured list may differ from the recorded one. */
  readonly allowChange?: boolean;
  /** The override's fully-qualified key, for messages. */
  readonly changeKey?: string;
}

interface Zone {
  readonly name: string;
  readonly id: string;
}

/**
 * The zone names the subnets go in, stable for the life of the stack: the configured ones; else the choice an
 * earlier `up` recorded; else the eligible zones (VPC link v2 supported, every interface endpoint service offered)
 * with the lowest zone IDs. The choice reads no transient state (an impaired zone stays a candidate), so later runs
 * compute the same zones even before one was recorded; replacing the subnets would replace the VPC link, the ALB,
 * the endpoints and the tasks, and likely fail on overlapping CIDRs. Every choice is checked against what the zones
 * offer, so a zone without an endpoint service fails here with a message instead of minutes into the deploy.
 */
export async function chooseAvailabilityZones(args: ZoneChoiceArgs): Promise<string[]> {
  const [zones, offered] = await Promise.all([regionZones(), endpointZones(args.endpointServices)]);
  const supported = VPC_LINK_ZONE_IDS[args.region];
  const problemsOf = (zone: Zone | undefined, name: string): string[] => {
    if (!zone) return [`${name} is not an availability zone of ${args.region} in this account`];
    const problems = supported && !supported.includes(zone.id) ? [`${name} (${zone.id}) has no VPC link v2`] : [];
    for (const [service, names] of offered) {
      if (!names.includes(name)) problems.push(`${service} is not offered in ${name}`);
    }
    return problems;
  };
  const byName = new Map(zones.map((zone) => [zone.name, zone]));
  const check = (names: readonly string[], what: string): string[] => {
    const problems = names.flatMap((name) => problemsOf(byName.get(name), name));
    if (problems.length > 0) {
      throw new pulumi.RunError(`${args.configKey}: ${what} cannot host the network: ${problems.join("; ")}. ` +
        `Zones that can: ${eligibleNames(zones, problemsOf).join(", ") || "none"}.`);
    }
    return [...names];
  };

  if (args.configured.length > 0) {
    if (args.recorded && args.recorded.length > 0 && !args.allowChange) refuseZoneChange(args, args.recorded);
    return check(args.configured, `the configured zones (${args.configured.join(", ")})`);
  }
  if (args.recorded && args.recorded.length > 0) {
    return check(args.recorded, `the zones this stack was deployed in (${args.recorded.join(", ")})`);
  }
  const eligible = zones.filter((zone) => problemsOf(zone, zone.name).length === 0)
    .sort((a, b) => a.id.localeCompare(b.id));
  if (eligible.length < ZONE_COUNT) {
    throw new pulumi.RunError(
      `${args.region} has ${eligible.length} zone(s) with VPC link v2 and every endpoint service ` +
      `(${args.endpointServices.join(", ")}); ${ZONE_COUNT} are needed. ` +
      `Set ${args.configKey} to zones that have them.`);
  }
  const chosen = eligible.slice(0, ZONE_COUNT).map((zone) => zone.name);
  if (args.deployedUnrecorded) {
    // Earlier versions took the first zone *names* with VPC link v2; if that differs, the subnets are elsewhere.
    const earlier = zones.filter((zone) => !supported || supported.includes(zone.id)).map((zone) => zone.name)
      .sort().slice(0, ZONE_COUNT);
    // The same zones in another order are the earlier choice: awsx gives subnets their CIDRs by position, so its
    // order is the one to keep (taking the zone-ID order would replace both subnets).
    if ([...earlier].sort().join() === [...chosen].sort().join()) return earlier;
    const set = earlier.map((name, i) => `pulumi config set --path 'availabilityZones[${i}]' ${name}`).join(" && ");
    throw new pulumi.RunError(
      `${args.configKey}: this stack was deployed before the program recorded its zones, and the zones it would ` +
      `choose now (${chosen.join(", ")}) may differ from its subnets', which would replace the whole network. ` +
      `Pin the subnets' zones (most likely ${earlier.join(", ")}: check with \`aws ec2 describe-subnets\`): ${set}`);
  }
  return chosen;
}

/**
 * Refuses a configured list that differs from the recorded one, in set or in order. awsx gives the subnets their
 * CIDRs by position, so even a reordered list replaces the subnets, and with them everything placed in them.
 */
function refuseZoneChange(args: ZoneChoiceArgs, recorded: readonly string[]): void {
  const configured = args.configured;
  if (configured.join() === recorded.join()) return;
  const moved = Array.from({ length: Math.max(configured.length, recorded.length) }, (_, i) => i)
    .filter((i) => configured[i] !== recorded[i])
    .map((i) => `subnet ${i + 1}: ${recorded[i] ?? "none"} -> ${configured[i] ?? "none"}`);
  const how = [...configured].sort().join() === [...recorded].sort().join() ? "only in their order" : "in their zones";
  const restore = recorded.map((name, i) => `pulumi config set --path 'availabilityZones[${i}]' ${name}`).join(" && ");
  throw new pulumi.RunError(
    `${args.configKey}: the configured zones (${configured.join(", ")}) differ ${how} from the ones this stack's ` +
    `network is in (${recorded.join(", ")}). awsx gives subnets their CIDRs by position, so this up would replace ` +
    `${moved.join("; ")}, and with them every resource placed in the subnets: the VPC link, the internal ALB, the ` +
    `interface endpoints and the running tasks (the API stops answering until they are back; the new CIDRs may ` +
    `overlap the old ones). To keep the network: ${restore}` +
    ` (or \`pulumi config rm availabilityZones\`). To replace it on purpose, set ${args.changeKey ?? "the override key"} ` +
    "to true for that one up.");
}

/** The region's availability zones (no Local or Wavelength zones), whatever their current state. */
async function regionZones(): Promise<Zone[]> {
  const result = await aws.getAvailabilityZones({ filters: [{ name: "zone-type", values: ["availability-zone"] }] });
  return result.names.map((name, i) => ({ name, id: result.zoneIds[i] }));
}

/** Service name -> the zone names it is offered in (for this account). */
async function endpointZones(services: readonly string[]): Promise<Map<string, string[]>> {
  const answers = await Promise.all(services.map((serviceName) => aws.ec2.getVpcEndpointService({ serviceName })));
  return new Map(answers.map((answer, i) => [services[i], answer.availabilityZones]));
}

function eligibleNames(zones: readonly Zone[], problemsOf: (zone: Zone, name: string) => string[]): string[] {
  return zones.filter((zone) => problemsOf(zone, zone.name).length === 0).map((zone) => zone.name).sort();
}
