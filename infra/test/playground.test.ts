import * as assert from "node:assert/strict";
import { GATEWAY_REQUEST_ID_HEADER, PLAYGROUND_PATH } from "../../app/src/runtime-contract";
import { ProgramRun, runProgram } from "./program-under-mocks";

const RESOURCE = "aws:apigateway/resource:Resource";
const METHOD = "aws:apigateway/method:Method";
const INTEGRATION = "aws:apigateway/integration:Integration";
const DEPLOYMENT = "aws:apigateway/deployment:Deployment";
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

  it("does not exist by default: no resource, method, integration or output", () => {
    assert.ok(!paths(off).includes("playground"));
    assert.equal(off.ofType(METHOD).filter((m) => m.name.includes("playground")).length, 0);
    assert.equal(off.ofType(INTEGRATION).filter((m) => m.name.includes("playground")).length, 0);
    assert.equal(off.outputs.playgroundUrl, undefined);
  });

  it("when enabled: GET /playground at the API root, without the API key, while the other methods still require it", () => {
    const resource = on.one(RESOURCE, "chat-playground");
    assert.deepEqual([resource.inputs.parentId, resource.inputs.pathPart], ["root-resource-id", "playground"]);
    const method = on.one(METHOD, "chat-playground-method").inputs;
    assert.deepEqual([method.resourceId, method.httpMethod, method.authorization, method.apiKeyRequired],
      ["chat-playground-id", "GET", "NONE", false]);
    const others = on.ofType(METHOD).filter((m) => m.name !== "chat-playground-method");
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
