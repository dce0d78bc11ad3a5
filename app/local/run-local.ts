import type { ChildProcess } from "node:child_process";
import { localAppEnv, spawnApp, stopApp, waitForHealth } from "./app-process";
import { parseFakeCliOptions, usage, UsageError } from "./cli-options";
import { startFakeBedrock, type FakeBedrock } from "./fake-bedrock";
import { noteNodeSupportOnce } from "./node-support";
import {
  CHAT_COMPLETIONS_PATH, CONTAINER_PORT, ENV, HEALTH_PATH, MESSAGES_PATH, PLAYGROUND_PATH, STREAM_PATH, USAGE_PATH,
} from "../src/runtime-contract";
import {
  createUsageTable,
  LOCAL_KEY,
  LOCAL_KEY_HEADER,
  type LocalDynamo,
  localDynamoClient,
  localUsageEnv,
  startDynalite,
} from "./usage-table";

/**
 * `npm run local`: the service on this machine with no AWS account. Starts the local Bedrock stand-in (the real
 * ConverseStream wire protocol, a plausible reply at model-like pacing), then the app (`app/src/server.ts` under
 * tsx) pointed at it, waits for `/health` and prints copy-paste curl commands. Ctrl-C / SIGTERM stop both.
 * Token budgets run against a real DynamoDB-compatible server (dynalite, in memory) holding the usage table as the
 * stack creates it, with one local key ({@link LOCAL_KEY}) whose small daily budget shows the 429.
 *
 * Options: `PORT` (the app's port, 8080) and the fake's pacing flags/env (`--help`), e.g.
 * `npm run local -- --tokens-per-second 5`.
 */

const HEALTH_TIMEOUT_MS = 30_000;

function instructions(appUrl: string, fakeUrl: string, stage: string, dynamoUrl: string): string {
  const host = appUrl.replace(/^http:\/\//, "");
  const json = "-H 'content-type: application/json'";
  const chat = `npm run chat${appUrl.endsWith(`:${CONTAINER_PORT}`) ? "" : ` -- --url ${appUrl}`}`;
  // One base URL per client family, each exactly what that client is given: the OpenAI SDKs append
  // /chat/completions to theirs, the Anthropic SDKs /v1/messages to theirs (so theirs has no stage, or the path
  // would read /v1/v1/messages).
  const families: Array<[string, string]> = [
    ["JSON lines (curl)", `base URL ${appUrl} (POST ${STREAM_PATH})`],
    ["OpenAI clients", `base URL ${appUrl}/${stage} (the openai SDKs, Codex, the Agents SDK, LangChain, the AI SDK)`],
    ["Anthropic clients and Claude Code", `base URL ${appUrl} (ANTHROPIC_BASE_URL)`],
    ["Playground (in a browser)", `${appUrl}${PLAYGROUND_PATH}`],
    ["Terminal chat", chat],
  ];
  return [
    "",
    `Local mode is up: the app at ${appUrl}, talking to a local Bedrock stand-in at ${fakeUrl} (no AWS account used).`,
    "No API key is checked here: clients that need one may send any value.",
    "",
    ...families.map(([name, where]) => `  ${name}: ${where}`),
    "",
    "Try, in another terminal:",
    "",
    `  curl ${host}${HEALTH_PATH}`,
    `  curl --no-buffer -X POST ${host}${STREAM_PATH} ${json} -d '{"message":"こんにちは"}'`,
    `  curl --no-buffer -X POST ${host}${STREAM_PATH} ${json} \\`,
    `    -d '{"messages":[{"role":"user","content":"What is streaming?"}],"system":"Be brief.","maxTokens":200}'`,
    `  curl --no-buffer ${host}/${stage}${CHAT_COMPLETIONS_PATH} ${json} \\`,
    `    -d '{"messages":[{"role":"user","content":"Hello"}],"stream":true}'`,
    `  curl --no-buffer ${host}${MESSAGES_PATH} ${json} \\`,
    `    -d '{"max_tokens":200,"messages":[{"role":"user","content":"Hello"}],"stream":true}'`,
    "",
    'On /stream each reply arrives as JSON lines {"data":"..."} token by token, then a {"done":true,...} line.',
    "",
    `Token budgets (usage table in a local DynamoDB-compatible server at ${dynamoUrl}): the key "${LOCAL_KEY.name}" may`,
    `use ${LOCAL_KEY.tokensPerDay} tokens a day. There is no API Gateway here, so send the key-id header it would add;`,
    "the third request answers 429 token_budget_exceeded, with Retry-After until UTC midnight:",
    "",
    `  for i in 1 2 3; do curl -s -o /dev/null -w '%{http_code}\\n' -X POST ${host}${STREAM_PATH} ${json} \\`,
    `    -H '${LOCAL_KEY_HEADER}' -d '{"message":"hello"}'; done`,
    `  curl -i -X POST ${host}${STREAM_PATH} ${json} -H '${LOCAL_KEY_HEADER}' -d '{"message":"hello"}'`,
    `  curl -s ${host}${USAGE_PATH} -H '${LOCAL_KEY_HEADER}'`,
    "",
    "Press Ctrl-C to stop.",
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const options = parseFakeCliOptions(process.argv.slice(2), process.env);
  if (options.help) {
    console.log(`${usage("npm run local --")}\n  PORT                 the app's port (${CONTAINER_PORT})`);
    return;
  }
  noteNodeSupportOnce();
  const port = Number(process.env[ENV.port] || CONTAINER_PORT);
  const fake = await startFakeBedrock(options);
  const dynamo = await startLocalUsageTable();
  const env = { ...localAppEnv(process.env, fake.url, port), ...localUsageEnv(dynamo.url) };
  const child = spawnApp(env);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait for in-flight streams.
      child.kill("SIGKILL");
      process.exit(130);
    }
    stopping = true;
    await shutdown(child, fake, dynamo, signal);
  };
  process.on("SIGINT", stop).on("SIGTERM", stop);
  // Never leave an orphaned app behind, whatever ends this process.
  process.on("exit", () => child.exitCode === null && child.kill("SIGKILL"));
  child.once("exit", (code, signal) => {
    if (stopping) return;
    console.error(`local: the app exited unexpectedly (${signal ?? `code ${code}`})`);
    void Promise.all([fake.close(), dynamo.close()]).then(() => process.exit(code || 1));
  });

  await waitForHealth(`http://127.0.0.1:${port}`, child, HEALTH_TIMEOUT_MS);
  console.log(instructions(`http://localhost:${port}`, fake.url, env[ENV.stagePrefix]!, dynamo.url));
}

/** dynalite with the usage table, created as the stack creates it. */
async function startLocalUsageTable(): Promise<LocalDynamo> {
  const dynamo = await startDynalite();
  const client = localDynamoClient(dynamo.url);
  try {
    await createUsageTable(client);
  } finally {
    client.destroy();
  }
  return dynamo;
}

async function shutdown(child: ChildProcess, fake: FakeBedrock, dynamo: LocalDynamo, signal: NodeJS.Signals): Promise<void> {
  console.error(`local: ${signal}, stopping the app (in-flight streams may finish first)...`);
  const code = await stopApp(child, signal);
  await Promise.all([fake.close(), dynamo.close()]);
  console.error("local: stopped.");
  process.exit(code ?? 0);
}

main().catch((error: unknown) => {
  console.error(`local: ${(error as Error).message}`);
  if (error instanceof UsageError) console.error(usage("npm run local --"));
  process.exit(error instanceof UsageError ? 2 : 1);
});
