import assert from "node:assert/strict";
import { type FakeBedrock, NO_PACING, startFakeBedrock } from "../local/fake-bedrock";
import { createUsageTable, type LocalDynamo, localDynamoClient, startDynalite } from "../local/usage-table";
import { GATEWAY_API_KEY_ID_HEADER } from "../src/runtime-contract";
import { postStream, request } from "./helpers/http-client";
import { ServerProcess } from "./helpers/server-process";

/**
 * The production bundle as ECS runs it, metering against dynalite through the standard AWS_ENDPOINT_URL_DYNAMODB
 * (no client injected): the bundle carries the DynamoDB client, and its embedded metrics are stdout lines.
 */
describe("token budgets in the production bundle", function () {
  this.timeout(20_000);
  let fake: FakeBedrock;
  let dynamo: LocalDynamo;
  let server: ServerProcess;

  before(async () => {
    fake = await startFakeBedrock({ pacing: NO_PACING, scenario: { steps: [{ text: "ok" }], usage: { inputTokens: 6, outputTokens: 4 } } });
    dynamo = await startDynalite();
    const client = localDynamoClient(dynamo.url);
    const table = await createUsageTable(client);
    client.destroy();
    server = await ServerProcess.start({
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: fake.url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      USAGE_TABLE_NAME: table,
      API_KEYS: JSON.stringify({ "id-carol": { name: "carol", tokensPerDay: 20 } }),
    });
  });
  after(async () => {
    await server.stop();
    await dynamo.close();
    await fake.close();
  });

  it("charges through the SDK's endpoint variable, refuses past the budget and writes EMF lines without key ids", async () => {
    const headers = { [GATEWAY_API_KEY_ID_HEADER]: "id-carol" };
    assert.equal((await postStream(server.url, { message: "a secret prompt" }, { headers })).status, 200);
    assert.equal((await postStream(server.url, { message: "a secret prompt" }, { headers })).status, 200);
    // Charges land after the response: poll /usage (no timing asserted) until both are in.
    let usage: any;
    for (let i = 0; i < 200 && usage?.day.requests !== 2; i++) {
      usage = (await request(server.url, { path: "/usage", headers })).json();
    }
    assert.equal(usage.day.totalTokens, 20);
    const refused = await postStream(server.url, { message: "a secret prompt" }, { headers });
    assert.equal(refused.status, 429);
    assert.equal(refused.json().error.code, "token_budget_exceeded");

    const emf = await server.waitForLog((line) => line._aws && line.ErrorCode === "token_budget_exceeded");
    assert.equal(emf.ApiKey, "carol");
    assert.equal(emf._aws.CloudWatchMetrics[0].Namespace, "BedrockStreamApi");
    const log = await server.waitForLog((line) => line.errorCode === "token_budget_exceeded" && line.msg);
    assert.equal(log.apiKey, "carol");
    assert.ok(!server.stdout.includes("id-carol"), "the key id never reaches stdout");
    assert.ok(!server.stdout.includes("secret prompt"), "prompts never reach stdout");
  });
});
