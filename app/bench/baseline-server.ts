import http from "node:http";
import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";

/**
 * The benchmark's yardstick: the smallest server that does the service's job at all. Plain `node:http`, the same
 * SDK client and call, each text delta piped straight to `res.write` as the same `{"data":...}` line, and the same
 * final `{"done":...}` line so one client check fits both servers. No framework, no validation, no logging, no
 * timeouts: whatever the real service costs above this is the price of those features.
 *
 * It still aborts the Bedrock call when the client leaves (one listener): a pipeline that leaks calls would not be
 * a fair "minimum". Config: PORT, HOST, MODEL_ID, AWS_REGION and the standard SDK variables, as the service.
 */

const bedrock = new BedrockRuntimeClient({ region: process.env.AWS_REGION });
const modelId = process.env.MODEL_ID ?? "";

async function readJson(req: http.IncomingMessage): Promise<{ message: string }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

async function stream(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { message } = await readJson(req);
  const abort = new AbortController();
  res.once("close", () => abort.abort());
  const response = await bedrock.send(
    new ConverseStreamCommand({ modelId, messages: [{ role: "user", content: [{ text: message }] }] }),
    { abortSignal: abort.signal },
  );
  res.writeHead(200, { "content-type": "application/x-ndjson; charset=utf-8" });
  let stopReason: string | undefined;
  let usage: unknown;
  for await (const event of response.stream ?? []) {
    const text = event.contentBlockDelta?.delta?.text;
    if (text) res.write(`${JSON.stringify({ data: text })}\n`);
    else if (event.messageStop) stopReason = event.messageStop.stopReason;
    else if (event.metadata) usage = event.metadata.usage;
  }
  res.end(`${JSON.stringify({ done: true, stopReason, usage })}\n`);
}

const server = http.createServer((req, res) => {
  if (req.url === "/health") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"status":"healthy"}');
    return;
  }
  stream(req, res).catch(() => {
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 8080), process.env.HOST ?? "127.0.0.1");
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
