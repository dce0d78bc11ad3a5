import { parseArgs } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { noteNodeSupportOnce } from "../../local/node-support";
import { ENV } from "../../src/runtime-contract";
import { KEY_NAME } from "../../src/usage/key-schema";
import { windowsAt } from "../../src/usage/windows";
import { readMonth } from "./read-month";
import { renderCsv, renderTable, reportRows } from "./report";

export const USAGE_REPORT_HELP = `usage: npm run usage -- [options]
       bedrock-chat usage [options]

Prints a month's usage per API key and model from the usage table: requests, input, output, cache read and cache
write tokens, and the estimated cost in US dollars (list prices, or the stack's modelPrices). Needs AWS credentials
that may read the table (dynamodb:Scan, or dynamodb:GetItem with --key).

      --month YYYY-MM     the UTC month (default: this one)
      --table NAME        the usage table (pulumi stack output usageTableName)   [env ${ENV.usageTableName}]
      --region REGION     its AWS Region      [env AWS_REGION, else the AWS CLI's configuration]
      --key NAME          one key only
      --csv               CSV (RFC 4180, with a header) instead of the table
  -h, --help              show this help`;

/** Exit codes: as the chat client's (0 done, 1 failed, 2 bad command line). */
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Output {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** `bedrock-chat usage` / `npm run usage`: reads the table, prints the report; every failure is one line on stderr. */
export async function usageCommand(argv: string[], env: NodeJS.ProcessEnv, out: Output): Promise<number> {
  const fail = (code: number, message: string, help = false) => {
    out.stderr.write(`usage: ${message}\n${help ? `${USAGE_REPORT_HELP}\n` : ""}`);
    return code;
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        month: { type: "string" }, table: { type: "string" }, region: { type: "string" }, key: { type: "string" },
        csv: { type: "boolean", default: false }, help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    return fail(EXIT.usage, (error as Error).message, true);
  }
  if (values.help) {
    out.stdout.write(`${USAGE_REPORT_HELP}\n`);
    return EXIT.ok;
  }
  const month = values.month ?? windowsAt(new Date()).month.id;
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) return fail(EXIT.usage, `--month must be a month as YYYY-MM, got "${month}"`, true);
  if (values.key !== undefined && !KEY_NAME.test(values.key)) return fail(EXIT.usage, `--key must be a key name, got "${values.key}"`, true);
  const table = values.table || env[ENV.usageTableName];
  if (!table) {
    return fail(EXIT.usage, `no table: give --table NAME or set ${ENV.usageTableName} (pulumi stack output usageTableName)`);
  }
  // The SDK's nine-line warning about Node.js < 22, said once in one line as the local tools do.
  noteNodeSupportOnce(env, process.version, (line) => out.stderr.write(`${line}\n`));
  const client = new DynamoDBClient({ region: values.region || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined, maxAttempts: 3 });
  try {
    const rows = reportRows(await readMonth(client, table, month, { key: values.key }));
    out.stdout.write(values.csv ? renderCsv(rows) : renderTable(rows, month));
    return EXIT.ok;
  } catch (error) {
    return fail(EXIT.failed, await explain(error, table, client));
  } finally {
    client.destroy();
  }
}

/** The AWS failures an operator meets, each said in one line (never a stack trace). */
async function explain(error: unknown, table: string, client: DynamoDBClient): Promise<string> {
  const { name = "Error", message = String(error) } = error as Error;
  const firstLine = message.split("\n")[0];
  const region = await client.config.region().catch(() => undefined);
  if (name === "CredentialsProviderError" || /credentials/i.test(firstLine)) {
    return `no AWS credentials (${firstLine}); sign in (aws sso login, AWS_PROFILE, ...) and retry`;
  }
  if (/region is missing/i.test(firstLine)) return "no AWS Region: give --region or set AWS_REGION";
  if (name === "ResourceNotFoundException") return `table "${table}" not found in ${region ?? "the Region"} (check --table and --region)`;
  if (name === "AccessDeniedException") return `not allowed to read table "${table}": ${firstLine}`;
  return `cannot read table "${table}"${region ? ` in ${region}` : ""}: ${name}: ${firstLine}`;
}
