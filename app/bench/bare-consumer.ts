import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { DEFAULT_MODEL_ID } from "../src/runtime-contract";

/**
 * The floor every server is measured against: the SDK used directly in the benchmark's own process, with no HTTP
 * hop of ours in between. Its time to first delta is what the upstream and the SDK cost by themselves; a server's
 * "added" time to first line is its client-observed figure minus this one.
 */
export class BareConsumer {
  private readonly client: BedrockRuntimeClient;

  constructor(upstreamUrl: string) {
    this.client = new BedrockRuntimeClient({
      region: "us-east-1",
      endpoint: upstreamUrl,
      credentials: { accessKeyId: "bench-dummy-key-id", secretAccessKey: "bench-dummy-secret" },
    });
  }

  /**
   * Milliseconds from `send()` to the first text delta. The rest of the stream is read to the end, so the upstream
   * does the same work per request as it does behind a server.
   */
  async timeToFirstDelta(prompt: string): Promise<number> {
    const startedAt = performance.now();
    let firstDeltaMs: number | undefined;
    const command = new ConverseStreamCommand({
      modelId: DEFAULT_MODEL_ID,
      messages: [{ role: "user", content: [{ text: prompt }] }],
    });
    const response = await this.client.send(command);
    for await (const event of response.stream ?? []) {
      if (firstDeltaMs === undefined && event.contentBlockDelta?.delta?.text) firstDeltaMs = performance.now() - startedAt;
    }
    if (firstDeltaMs === undefined) throw new Error("the upstream sent no text delta");
    return firstDeltaMs;
  }

  close(): void {
    this.client.destroy();
  }
}
