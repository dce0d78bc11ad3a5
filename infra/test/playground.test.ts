import * as assert from "node:assert/strict";
import { GATEWAY_REQUEST_ID_HEADER, PLAYGROUND_PATH } from "../../app/src/runtime-contract";
import { ProgramRun, runProgram } from "./program-under-mocks";
import { RESOURCE, METHOD, INTEGRATION, DEPLOYMENT, METHOD_RESPONSE, INTEGRATION_RESPONSE } from "./resource-types";

const ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/chat-alb/50dc6c495c0c9188";
const ALB_DNS = "internal-chat-alb-1234567890.us-east-1.elb.amazonaws.com";
const STAGE_URL = "https://chat-api-id.execute-api.us-east-1.amazonaws.com/v1";

const paths = (run: ProgramRun) => run.ofType(RESOURCE).map((resource) => resource.inputs.pathPart);

describe("playground route (config key playground)", () => {
  let off: ProgramRun;
  let on: ProgramRun;
  before(async () => {
    [off, on] = await Promise.all([runProgram(), runProgram({ playground: "true" })]);
  });

  it("is off by default: its method answers a fixed 404 (a MOCK integration), nothing reaches the app, no output", () => {
    assert.ok(paths(off).includes("playground"));
    const method = off.one(METHOD, "chat-playground-method").inputs;
    assert.deepEqual([method.httpMethod, method.authorization, method.apiKeyRequired], ["GET", "NONE", false]);
    const integration = off.one(INTEGRATION, "chat-playground-integration").inputs;
    assert.equal(integration.type, "MOCK");
    assert.equal(integration.connectionId, undefined, "no VPC link: nothing behind it");
    assert.deepEqual(JSON.parse(integration.requestTemplates["application/json"]), { statusCode: 404 });
    assert.equal(integration.passthroughBehavior, "WHEN_NO_MATCH", "any content type gets the same 404");
    assert.equal(off.one(METHOD_RESPONSE, "chat-playground-not-found").inputs.statusCode, "404");
    const response = off.one(INTEGRATION_RESPONSE, "chat-playground-not-found-response").inputs;
    assert.equal(response.statusCode, "404");
    assert.equal(response.selectionPattern, undefined, "the default response: every outcome of the mock");
    // The error body every client family reads (edge-responses.ts).
    assert.deepEqual(JSON.parse(response.responseTemplates["application/json"]).error,
      { type: "not_found_error", code: "not_found", param: null, message: `${PLAYGROUND_PATH} is not enabled on this stack` });
    assert.equal(off.outputs.playgroundUrl, undefined);
  });

  it("turned off by a later up stops answering in that up (issue 20, item 2)", () => {
    // Pulumi deletes a removed resource only at the end of an update, after the new deployment took its snapshot. So
    // turning the route off must remove nothing the snapshot would serve: the same method and integration exist
    // either way (updated or replaced in place), only the integration differs.
    const apiNames = (run: ProgramRun) => run.resources.filter((r) => r.type.startsWith("aws:apigateway/") &&
      ![METHOD_RESPONSE, INTEGRATION_RESPONSE].includes(r.type)).map((r) => `${r.type}::${r.name}`).sort();
    assert.deepEqual(apiNames(off), apiNames(on));
    assert.equal(on.one(INTEGRATION, "chat-playground-integration").inputs.type, "HTTP_PROXY");
    // The type change replaces the integration: deleted first, since API Gateway holds one per method and deleting
    // the old one after creating the new would remove the new one.
    assert.equal(off.one(INTEGRATION, "chat-playground-integration").options.deleteBeforeReplace, true);
    assert.equal(on.one(INTEGRATION, "chat-playground-integration").options.deleteBeforeReplace, true);
    // The change re-creates the deployment, and the new deployment waits for the 404 to be in place.
    const deployment = (run: ProgramRun) => run.one(DEPLOYMENT, "chat-deployment");
    assert.notEqual(deployment(off).inputs.triggers.redeployment, deployment(on).inputs.triggers.redeployment);
    for (const name of ["chat-playground-method", "chat-playground-integration", "chat-playground-not-found",
      "chat-playground-not-found-response"]) {
      assert.ok(deployment(off).dependsOn.includes(name), `the deployment depends on ${name}`);
    }
  });

  it("when enabled: GET /playground at the API root, without the API key, while the other methods still require it", () => {
    const resource = on.one(RESOURCE, "chat-playground");
    assert.deepEqual([resource.inputs.parentId, resource.inputs.pathPart], ["root-resource-id", "playground"]);
    const method = on.one(METHOD, "chat-playground-method").inputs;
    assert.deepEqual([method.resourceId, method.httpMethod, method.authorization, method.apiKeyRequired],
      ["chat-playground-id", "GET", "NONE", false]);
    // The probes (probe-routes.ts) are keyless MOCKs at the edge; every method that reaches the app needs the key.
    const others = on.ofType(METHOD).filter((m) => m.name !== "chat-playground-method" && !/-(get|head)-method$/.test(m.name));
    assert.ok(others.length > 0 && others.every((m) => m.inputs.apiKeyRequired === true));
  });

  it("when enabled: a buffered HTTP_PROXY integration over the VPC link to the app's page", () => {
    const health = on.one(INTEGRATION, "chat-health-integration").inputs;
    assert.deepEqual(on.one(INTEGRATION, "chat-playground-integration").inputs, {
      restApi: "chat-api-id",
      resourceId: "chat-playground-id",
      httpMethod: "GET",
      type: "HTTP_PROXY",
      integrationHttpMethod: "GET",
      connectionType: "VPC_LINK",
      connectionId: "chat-vpc-link-id",
      integrationTarget: ALB_ARN,
      uri: `http://${ALB_DNS}${PLAYGROUND_PATH}`,
      responseTransferMode: "BUFFERED",
      timeoutMilliseconds: 29_000,
      // The same header mapping as every route (the request id among them).
      requestParameters: health.requestParameters,
    });
    assert.equal(health.requestParameters[`integration.request.header.${GATEWAY_REQUEST_ID_HEADER}`], "context.requestId");
  });

  it("when enabled: exports playgroundUrl and re-creates the deployment", () => {
    assert.equal(on.outputs.playgroundUrl, `${STAGE_URL}${PLAYGROUND_PATH}`);
    const trigger = (run: ProgramRun) => run.one(DEPLOYMENT, "chat-deployment").inputs.triggers.redeployment;
    assert.notEqual(trigger(on), trigger(off));
  });

  it("rejects a value that is not a boolean, naming the key", async () => {
    await assert.rejects(runProgram({ playground: "sometimes" }), /playground/);
  });
});
