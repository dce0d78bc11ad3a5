import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readMonth } from "../cli/usage/read-month";
import { ChatProcess } from "./helpers/chat-process";
import { TEST_ENV } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const HAIKU = "global.anthropic.claude-haiku-4-5-20251001-v1:0"; // the default: 1 / 5 / cache read 0.1 / write 1.25
const SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"; // geographic: 3.3 / 16.5 / 0.33 / 4.125
const USAGE = { inputTokens: 33, outputTokens: 7, cacheReadInputTokens: 11, cacheWriteInputTokens: 4 };
// By hand: Haiku 33 + 35 + 1.1 + 5 = 74.1 -> 74; Sonnet 108.9 + 115.5 + 3.63 + 16.5 = 244.53 -> 245 micro-dollars.
const KEYS = { "key-id-alice": { name: "alice" }, "key-id-bob": { name: "bob" } };

/** RFC 4180 read strictly: CRLF line ends, quoted fields with doubled quotes; throws on anything else. */
function parseCsv(text: string): string[][] {
  assert.ok(text.endsWith("\r\n"), "CRLF after the last record");
  return text.slice(0, -2).split("\r\n").map((line) => {
    const fields: string[] = [];
    const field = /("(?:[^"]|"")*"|[^",\r\n]*)(,|$)/y;
    for (let match; field.lastIndex < line.length || fields.length === 0; ) {
      match = field.exec(line);
      assert.ok(match, `bad CSV line: ${line}`);
      fields.push(match[1].startsWith('"') ? match[1].slice(1, -1).replace(/""/g, '"') : match[1]);
      if (match[2] === "") break;
    }
    return fields;
  });
}

/**
 * The operator's report (`npm run usage`, `bedrock-chat usage`) run as a child process against dynalite, after real
 * requests through the service charged two keys on two models.
 */
describe("usage report command (dynalite)", () => {
  let h: UsageHarness;
  let home: string;
  let env: Record<string, string>;
  before(async () => {
    h = await startUsageHarness({ keys: KEYS, env: { ALLOWED_MODEL_IDS: SONNET } });
    h.fake.setScenario({ steps: [{ text: "Hi" }], usage: USAGE });
    const chat = (keyId: string, model: string) =>
      request(h.url, { path: "/chat/completions", headers: h.as(keyId), body: { model, messages: [{ role: "user", content: "hi" }] } });
    // October: one request of bob's that November's report must not show.
    h.clock.set("2026-10-31T23:00:00Z");
    assert.equal((await chat("key-id-bob", SONNET)).status, 200);
    h.clock.set("2026-11-28T12:00:00Z");
    for (const [key, model] of [["alice", HAIKU], ["alice", HAIKU], ["alice", SONNET], ["bob", HAIKU]]) {
      assert.equal((await chat(`key-id-${key}`, model)).status, 200);
    }
    await h.charged();
    home = mkdtempSync(path.join(tmpdir(), "usage-report-"));
    // No AWS configuration files and no instance metadata: only what the test gives.
    env = {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      HOME: home, AWS_EC2_METADATA_DISABLED: "true", AWS_ENDPOINT_URL_DYNAMODB: h.dynamo.url, AWS_REGION: TEST_ENV.AWS_REGION,
      AWS_ACCESS_KEY_ID: TEST_ENV.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: TEST_ENV.AWS_SECRET_ACCESS_KEY,
    };
  });
  after(async () => {
    await h.close();
    rmSync(home, { recursive: true, force: true });
  });
  const usage = (args: string[], extra: Record<string, string> = {}) => ChatProcess.run(["usage", ...args], { ...env, ...extra });
  const table = () => h.config.usageTableName!;

  it("--csv: one RFC 4180 row per key and model with exact tokens and micro-dollar costs", async () => {
    const run = await usage(["--month", "2026-11", "--table", table(), "--csv"]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(parseCsv(run.stdout), [
      ["key", "model", "requests", "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost_usd"],
      ["alice", SONNET, "1", "33", "7", "11", "4", "0.000245"],
      ["alice", HAIKU, "2", "66", "14", "22", "8", "0.000148"],
      ["bob", HAIKU, "1", "33", "7", "11", "4", "0.000074"],
    ]);
  });

  it("the table (the table name from USAGE_TABLE_NAME): per key and model, a key's subtotal and the month's total", async () => {
    const run = await usage(["--month", "2026-11"], { USAGE_TABLE_NAME: table() });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split("\n").map((line) => line.split(/\s{2,}/));
    assert.equal(lines[0].join(" "), "Usage for 2026-11 (UTC), estimated at list prices:");
    assert.deepEqual(lines.slice(1), [
      ["KEY", "MODEL", "REQUESTS", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "COST USD"],
      ["alice", SONNET, "1", "33", "7", "11", "4", "0.000245"],
      ["alice", HAIKU, "2", "66", "14", "22", "8", "0.000148"],
      ["alice", "(all models)", "3", "99", "21", "33", "12", "0.000393"],
      ["bob", HAIKU, "1", "33", "7", "11", "4", "0.000074"],
      ["TOTAL", "4", "132", "28", "44", "16", "0.000467"],
    ]);
  });

  it("--key shows that key only; another month shows its own usage", async () => {
    const bob = await usage(["--month", "2026-11", "--table", table(), "--key", "bob", "--csv"]);
    assert.equal(bob.code, 0, bob.stderr);
    assert.deepEqual(parseCsv(bob.stdout).slice(1), [["bob", HAIKU, "1", "33", "7", "11", "4", "0.000074"]]);
    assert.doesNotMatch(bob.stdout, /alice/);
    const october = await usage(["--month", "2026-10", "--table", table(), "--csv"]);
    assert.deepEqual(parseCsv(october.stdout).slice(1), [["bob", SONNET, "1", "33", "7", "11", "4", "0.000245"]]);
  });

  it("reads every page of the scan", async () => {
    const months = await readMonth(h.dynamodb, table(), "2026-11", { pageSize: 1 });
    assert.deepEqual(months.map((m) => [m.key, m.total.requests, m.total.costMicroUsd]), [["alice", 3, 393], ["bob", 1, 74]]);
  });

  it("failures are one line on stderr and a non-zero exit: no credentials, a missing table, a bad month", async () => {
    const noCredentials = await usage(["--table", table()], { AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" });
    assert.equal(noCredentials.code, 1);
    assert.match(noCredentials.stderr, /^usage: no AWS credentials \(.*\); sign in .*\n$/);
    const missing = await usage(["--table", "no-such-table"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'usage: table "no-such-table" not found in us-east-1 (check --table and --region)\n');
    const noTable = await usage([]);
    assert.equal(noTable.code, 2);
    assert.match(noTable.stderr, /^usage: no table: give --table NAME or set USAGE_TABLE_NAME .*\n$/);
    const badMonth = await usage(["--month", "2026-13", "--table", table()]);
    assert.equal(badMonth.code, 2);
    assert.match(badMonth.stderr, /^usage: --month must be a month as YYYY-MM, got "2026-13"\n/);
    for (const run of [noCredentials, missing, noTable, badMonth]) assert.doesNotMatch(run.stderr, /\bat .+:\d+:\d+|node_modules/);
  });
});
