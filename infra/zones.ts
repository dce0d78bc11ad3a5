import * as aws from "@pulumi/aws";

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

/**
 * The zone names the subnets go in: the configured ones, or else the region's first available zones whose IDs
 * support VPC link v2. Looked up at deploy time, which is why the program's entry point is async.
 */
export async function chooseAvailabilityZones(region: string, configured: readonly string[]): Promise<string[]> {
  if (configured.length > 0) return [...configured];
  const supported = VPC_LINK_ZONE_IDS[region];
  const zones = await aws.getAvailabilityZones({
    state: "available",
    filters: [
      { name: "zone-type", values: ["availability-zone"] },
      ...(supported ? [{ name: "zone-id", values: [...supported] }] : []),
    ],
  });
  if (zones.names.length < ZONE_COUNT) {
    throw new Error(
      `${region} has ${zones.names.length} available zone(s) where VPC link v2 works; ${ZONE_COUNT} are needed. ` +
        "Set bedrock-stream-api:availabilityZones to zone names that support it.",
    );
  }
  return zones.names.slice(0, ZONE_COUNT);
}
