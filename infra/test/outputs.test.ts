import * as assert from "node:assert/strict";
import { HEALTH_PATH, STREAM_PATH } from "../../app/src/runtime-contract";
import { ProgramRun, runProgram } from "./program-under-mocks";

const STAGE_URL = "https://chat-api-id.execute-api.us-east-1.amazonaws.com/v1";

describe("stack outputs", () => {
  let run: ProgramRun;
  before(async () => {
    run = await runProgram();
  });

  it("are the stage URL, healthUrl, streamUrl, the API key, a curl command and the recorded zones, nothing else", () => {
    assert.deepEqual(Object.keys(run.outputs).sort(),
      ["apiKey", "availabilityZones", "curlCommand", "healthUrl", "streamUrl", "url"]);
    assert.deepEqual(run.outputs.availabilityZones, run.one("awsx:ec2:Vpc", "chat-vpc").inputs.availabilityZoneNames);
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
    assert.deepEqual([...run.secretOutputs].sort(), ["apiKey", "curlCommand"], "the URLs stay readable");
  });

  it("have no key and a plain curl command when apiKeyRequired is false", async () => {
    const open = await runProgram({ apiKeyRequired: "false" });
    assert.equal(open.outputs.apiKey, undefined);
    assert.ok(!String(open.outputs.curlCommand).includes("x-api-key"));
    assert.equal(open.secretOutputs.size, 0);
  });
});
