import * as pulumi from "@pulumi/pulumi";
import * as assert from "node:assert/strict";
import { interfaceEndpointServiceNames } from "../network";
import { ZONES_OUTPUT } from "../stack-state";
import { VPC_LINK_ZONE_IDS } from "../zones";
import {
  FAKE_ZONES, ORGANIZATION, PROJECT, ProgramRun, programError, REGION, runProgram, World,
} from "./program-under-mocks";

const VPC = "awsx:ec2:Vpc";
const zonesOf = (run: ProgramRun) => run.one(VPC, "chat-vpc").inputs.availabilityZoneNames;
const invokesOf = (run: ProgramRun, token: string) => run.invokes.filter((i) => i.token === token);
const ZONE_LOOKUP = "aws:index/getAvailabilityZones:getAvailabilityZones";
const ENDPOINT_LOOKUP = "aws:ec2/getVpcEndpointService:getVpcEndpointService";
const KEY = `${PROJECT}:availabilityZones`;
/** A stack the program deployed before, which recorded its zones. */
const deployed = (zones: string[]): World => ({ previousOutputs: { url: "https://x/v1", [ZONES_OUTPUT]: zones } });
const withState = (name: string, state: string) => FAKE_ZONES.map((z) => (z.name === name ? { ...z, state } : z));

describe("availability zones", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("on a new stack, takes the eligible zones with the lowest zone IDs, whatever their names", () => {
    // us-east-1c is use1-az1 and us-east-1d use1-az2; 1a and 1b come first by name but are az4 and az6.
    assert.deepEqual(zonesOf(run), ["us-east-1c", "us-east-1d"]);
    assert.deepEqual(run.outputs[ZONES_OUTPUT], ["us-east-1c", "us-east-1d"], "recorded in the stack's outputs");
  });

  it("looks zones up with no state filter, so a transient state never changes the choice", () => {
    const [lookup, ...more] = invokesOf(run, ZONE_LOOKUP);
    assert.equal(more.length, 0);
    assert.equal(lookup.inputs.state, undefined);
    assert.deepEqual(lookup.inputs.filters, [{ name: "zone-type", values: ["availability-zone"] }]);
  });

  it("chooses the same zones again, and when one of them is impaired during a later up", async () => {
    const again = await runProgram({}, { zones: FAKE_ZONES.map((z) => ({ ...z })) });
    assert.notEqual(again, run, "a second, separate run");
    assert.deepEqual(zonesOf(again), zonesOf(run));
    for (const state of ["impaired", "unavailable"]) {
      const impaired = await runProgram({}, { zones: withState("us-east-1c", state) });
      assert.deepEqual(zonesOf(impaired), ["us-east-1c", "us-east-1d"], state);
    }
  });

  it("keeps the zones the stack recorded, even when it would choose others now", async () => {
    const recorded = await runProgram({}, deployed(["us-east-1f", "us-east-1a"]));
    assert.deepEqual(zonesOf(recorded), ["us-east-1f", "us-east-1a"]);
    assert.deepEqual(recorded.outputs[ZONES_OUTPUT], ["us-east-1f", "us-east-1a"]);
    const reference = recorded.one("pulumi:pulumi:StackReference", "previous-deployment");
    assert.equal(reference.inputs.name, `${ORGANIZATION}/${PROJECT}/dev`, "the stack reads its own outputs");
  });

  it("refuses a stack deployed before zones were recorded if the choice would differ, naming the zones", async () => {
    const error = await programError({}, { previousOutputs: { url: "https://x/v1" } });
    assert.ok(pulumi.RunError.isInstance(error));
    assert.match(error.message, new RegExp(`^${KEY}: this stack was deployed before the program recorded its zones`));
    // What the earlier rule chose: the first names whose IDs have VPC link v2.
    assert.match(error.message, /most likely us-east-1a, us-east-1b/);
    assert.match(error.message,
      /pulumi config set --path 'availabilityZones\[0\]' us-east-1a && .*'availabilityZones\[1\]' us-east-1b/);
  });

  it("upgrades such a stack silently when the earlier rule chose the same zones", async () => {
    // An account whose first zone names are also its lowest supported zone IDs.
    const sameOrder = [
      { name: "us-east-1a", id: "use1-az1", state: "available" },
      { name: "us-east-1b", id: "use1-az2", state: "available" },
      { name: "us-east-1c", id: "use1-az4", state: "available" },
      { name: "us-east-1d", id: "use1-az3", state: "available" },
    ];
    const upgraded = await runProgram({}, { zones: sameOrder, previousOutputs: { url: "https://x/v1" } });
    assert.deepEqual(zonesOf(upgraded), ["us-east-1a", "us-east-1b"]);
  });

  it("upgrades it silently, in the deployed order, when the earlier rule chose the same zones in another order", async () => {
    // Names map to IDs in any order: here 1a is az2 and 1b az1, so by ID the rule now lists 1b first. awsx gives
    // subnets their CIDRs by position, so that order would replace both subnets; the deployed order is kept.
    const swapped = [
      { name: "us-east-1a", id: "use1-az2", state: "available" },
      { name: "us-east-1b", id: "use1-az1", state: "available" },
      { name: "us-east-1c", id: "use1-az4", state: "available" },
    ];
    const fresh = await runProgram({}, { zones: swapped });
    assert.deepEqual(zonesOf(fresh), ["us-east-1b", "us-east-1a"], "a new stack takes them by zone ID");
    const upgraded = await runProgram({}, { zones: swapped, previousOutputs: { url: "https://x/v1" } });
    assert.deepEqual(zonesOf(upgraded), ["us-east-1a", "us-east-1b"]);
    assert.deepEqual(upgraded.outputs[ZONES_OUTPUT], ["us-east-1a", "us-east-1b"], "and recorded so");
  });

  it("only takes zones where every interface endpoint service is offered", async () => {
    const services = interfaceEndpointServiceNames(REGION);
    assert.deepEqual(invokesOf(run, ENDPOINT_LOOKUP).map((i) => i.inputs.serviceName).sort(), [...services].sort());
    const bedrock = `com.amazonaws.${REGION}.bedrock-runtime`;
    const partial = await runProgram({}, { endpointZones: { [bedrock]: ["us-east-1a", "us-east-1d", "us-east-1f"] } });
    // use1-az1 (1c) lacks bedrock-runtime: next by zone ID are az2 (1d) and az4 (1a).
    assert.deepEqual(zonesOf(partial), ["us-east-1d", "us-east-1a"]);
  });

  it("fails with a clear message when fewer than two zones have VPC link v2 and every endpoint service", async () => {
    const logs = `com.amazonaws.${REGION}.logs`;
    const error = await programError({}, { endpointZones: { [logs]: ["us-east-1c", "us-east-1e"] } });
    assert.ok(pulumi.RunError.isInstance(error));
    assert.match(error.message, /us-east-1 has 1 zone\(s\) with VPC link v2 and every endpoint service/);
    assert.match(error.message, new RegExp(`Set ${KEY}`));
  });

  it("uses configured zones as given, after checking them against VPC link v2 and the endpoint services", async () => {
    const pinned = await runProgram({ availabilityZones: '["us-east-1b","us-east-1d"]' });
    assert.deepEqual(zonesOf(pinned), ["us-east-1b", "us-east-1d"]);
    const unsupported = await programError({ availabilityZones: '["us-east-1e","us-east-1d"]' });
    assert.match(unsupported.message,
      new RegExp(`^${KEY}: the configured zones .*us-east-1e \\(use1-az3\\) has no VPC link v2`));
    assert.ok(!VPC_LINK_ZONE_IDS[REGION].includes("use1-az3"));
    const ecr = `com.amazonaws.${REGION}.ecr.dkr`;
    const missing = await programError({ availabilityZones: '["us-east-1b","us-east-1d"]' },
      { endpointZones: { [ecr]: ["us-east-1a", "us-east-1d"] } });
    assert.match(missing.message, new RegExp(`${ecr} is not offered in us-east-1b`));
    assert.match(missing.message, /Zones that can: us-east-1a, us-east-1d\./);
  });

  describe("a configured list on a deployed stack (issue 20, item 4)", () => {
    const recorded = deployed(["us-east-1c", "us-east-1d"]);
    const CHANGE_KEY = `${PROJECT}:allowAvailabilityZoneChange`;

    it("is refused when it reorders the recorded zones, naming the subnets it would replace", async () => {
      const error = await programError({ availabilityZones: '["us-east-1d","us-east-1c"]' }, recorded);
      assert.ok(pulumi.RunError.isInstance(error));
      assert.match(error.message, new RegExp(`^${KEY}: the configured zones \\(us-east-1d, us-east-1c\\) differ only in their order`));
      assert.match(error.message, /subnet 1: us-east-1c -> us-east-1d; subnet 2: us-east-1d -> us-east-1c/);
      assert.match(error.message, /the VPC link, the internal ALB, the interface endpoints and the running tasks/);
      assert.match(error.message, /pulumi config set --path 'availabilityZones\[0\]' us-east-1c && .*'availabilityZones\[1\]' us-east-1d/);
      assert.match(error.message, new RegExp(`set ${CHANGE_KEY} to true`));
    });

    it("is refused when it names other zones, naming only the subnet that moves", async () => {
      const error = await programError({ availabilityZones: '["us-east-1c","us-east-1a"]' }, recorded);
      assert.match(error.message, /differ in their zones/);
      assert.match(error.message, /replace subnet 2: us-east-1d -> us-east-1a, and with them/);
    });

    it("is accepted when it equals the recorded list, or with the override set", async () => {
      const same = await runProgram({ availabilityZones: '["us-east-1c","us-east-1d"]' }, recorded);
      assert.deepEqual(zonesOf(same), ["us-east-1c", "us-east-1d"]);
      const moved = await runProgram({ availabilityZones: '["us-east-1d","us-east-1a"]', allowAvailabilityZoneChange: "true" }, recorded);
      assert.deepEqual(zonesOf(moved), ["us-east-1d", "us-east-1a"]);
      assert.deepEqual(moved.outputs[ZONES_OUTPUT], ["us-east-1d", "us-east-1a"], "the new choice is recorded");
    });
  });
});
