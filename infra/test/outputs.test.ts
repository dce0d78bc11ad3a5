import * as assert from "node:assert/strict";
import { HEALTH_PATH, STREAM_PATH, USAGE_PATH } from "../../app/src/runtime-contract";
import { ProgramRun, runProgram } from "./program-under-mocks";

const STAGE_URL = "https://chat-api-id.execute-api.us-east-1.amazonaws.com/v1";

describe("stack outputs", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("are the stage URL, healthUrl, streamUrl, usageUrl, the API keys, a curl command, the operator's links and the recorded zones, nothing else", () => {
    assert.deepEqual(Object.keys(run.outputs).sort(), [
      "alarmTopicArn", "apiKey", "apiKeys", "availabilityZones", "curlCommand", "dashboardUrl", "healthUrl", "streamUrl",
      "url", "usageTableName", "usageUrl",
    ]);
    assert.deepEqual(run.outputs.availabilityZones, run.one("awsx:ec2:Vpc", "chat-vpc").inputs.availabilityZoneNames);
    assert.equal(run.outputs.usageUrl, `${STAGE_URL}${USAGE_PATH}`);
    assert.equal(run.outputs.usageTableName, "chat-usage-table");
    assert.equal(run.outputs.alarmTopicArn, "arn:aws:sns:us-east-1:123456789012:chat-monitoring-alarms");
    assert.equal(
      run.outputs.dashboardUrl,
      "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/chat-api-v1",
    );
    assert.equal(run.outputs.url, STAGE_URL);
    assert.equal(run.outputs.healthUrl, `${STAGE_URL}${HEALTH_PATH}`);
    assert.equal(run.outputs.streamUrl, `${STAGE_URL}${STREAM_PATH}`);
  });

  it("export the generated API key as a secret", () => {
    assert.equal(run.outputs.apiKey, "generated-api-key-value");
    assert.ok(run.secretOutputs.has("apiKey"));
  });

  it("give a curl command that streams a JSON message with the key, as a secret", () => {
    const curl = String(run.outputs.curlCommand);
    assert.ok(run.secretOutputs.has("curlCommand"));
    assert.ok(curl.startsWith(`curl -sN ${STAGE_URL}${STREAM_PATH} `), curl);
    assert.ok(curl.includes("-H 'x-api-key: generated-api-key-value'"), curl);
    assert.ok(curl.includes("-H 'content-type: application/json'"), curl);
    const body = /-d '([^']+)'/.exec(curl)?.[1];
    assert.equal(typeof JSON.parse(body ?? "null").message, "string");
    assert.deepEqual([...run.secretOutputs].sort(), ["apiKey", "apiKeys", "curlCommand"], "the URLs stay readable");
  });

  it("export every configured key's value by name, as one secret; the first is also apiKey", async () => {
    const two = await runProgram({ keys: JSON.stringify([{ name: "ops" }, { name: "alice", tokensPerDay: 1000 }]) });
    assert.deepEqual(two.outputs.apiKeys, { ops: "generated-api-key-value", alice: "generated-api-key-value" });
    assert.ok(two.secretOutputs.has("apiKeys"));
    assert.equal(two.outputs.apiKey, "generated-api-key-value");
    assert.equal(run.ofType("aws:apigateway/apiKey:ApiKey").length, 1, "the default stack has one key");
  });

  it("have no key and a plain curl command when apiKeyRequired is false", async () => {
    const open = await runProgram({ apiKeyRequired: "false" });
    assert.equal(open.outputs.apiKey, undefined);
    assert.equal(open.outputs.apiKeys, undefined);
    assert.ok(!String(open.outputs.curlCommand).includes("x-api-key"));
    assert.equal(open.secretOutputs.size, 0);
  });
});
