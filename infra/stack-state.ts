import * as pulumi from "@pulumi/pulumi";

/**
 * What earlier `pulumi up` runs of this stack recorded in its outputs, read back through a stack reference to the
 * stack itself. The program records choices there that must not change for the life of the stack (the subnets'
 * zones), since only state survives between runs from laptops, CI runners and teammates' clones.
 */

/** The stack output that records the subnets' zones. */
export const ZONES_OUTPUT = "availabilityZones";
/** An output every deployed version of the program has exported: its presence means the stack was deployed. */
const ALWAYS_EXPORTED = "url";

export interface PreviousDeployment {
  /** Some `pulumi up` of this program has completed on this stack. */
  readonly deployed: boolean;
  /** The zones it recorded; absent for a new stack or one deployed before the program recorded them. */
  readonly availabilityZones?: string[];
}

export async function readPreviousDeployment(): Promise<PreviousDeployment> {
  const self = new pulumi.StackReference("previous-deployment", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  const [zones, url] = await Promise.all([self.getOutputDetails(ZONES_OUTPUT), self.getOutputDetails(ALWAYS_EXPORTED)]);
  const recorded = Array.isArray(zones.value) && zones.value.every((zone) => typeof zone === "string")
    ? zones.value as string[]
    : undefined;
  return { deployed: url.value !== undefined || url.secretValue !== undefined, availabilityZones: recorded };
}
