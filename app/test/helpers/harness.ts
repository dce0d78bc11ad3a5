import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { DestinationStream } from "pino";
import { batchingEventStreamSerdeProvider } from "../../src/bedrock/event-stream-decoder";
import { type FakeBedrock, type FakeBedrockOptions, NO_PACING, startFakeBedrock } from "../../local/fake-bedrock";
import { type AppConfig, loadConfig } from "../../src/config";
import { createLogger } from "../../src/logger";
import { type RunningServer, type ServerOverrides, startServer } from "../../src/server";

/** Credentials and region for talking to the fake: it records SigV4 headers but never checks them. */
export const TEST_ENV = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
  AWS_SECRET_ACCESS_KEY: "local-test-secret",
} as const;

/** One parsed log line of the service. */
export type LogLine = Record<string, any>;

/**
 * The real SDK client pointed at the fake, decoding streams as the service's own client does (the batching
 * decoder). One attempt: error tests must see each upstream answer exactly once.
 */
export function testBedrockClient(endpoint: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: TEST_ENV.AWS_REGION,
    endpoint,
    maxAttempts: 1,
    eventStreamSerdeProvider: batchingEventStreamSerdeProvider,
    credentials: { accessKeyId: TEST_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_ENV.AWS_SECRET_ACCESS_KEY },
  });
}

export interface Harness {
  fake: FakeBedrock;
  server: RunningServer;
  config: AppConfig;
  url: string;
  bedrock: BedrockRuntimeClient;
  /** Every log line the service wrote, parsed. */
  logs: LogLine[];
  /** Every embedded-metric (EMF) line the service wrote, parsed. */
  metrics: LogLine[];
  /** Resolves with the request log line of the request with this id, once written. */
  logFor(requestId: string, timeoutMs?: number): Promise<LogLine>;
  close(): Promise<void>;
}

/**
 * The service in this process on 127.0.0.1 (random port), wired through the real SDK to a fresh fake Bedrock.
 * `env` is the service's environment on top of {@link TEST_ENV}.
 */
export async function startHarness(
  env: Record<string, string> = {},
  fakeOptions: FakeBedrockOptions = {},
  /** Routes the SDK somewhere else first (e.g. a proxy in front of the fake); receives the fake's URL. */
  upstreamUrl: (fakeUrl: string) => string | Promise<string> = (fakeUrl) => fakeUrl,
  /** Server knobs beyond the environment (e.g. a short request timeout; the usage store's client and clock). */
  serverOverrides: Pick<ServerOverrides, "requestTimeoutMs" | "metering"> = {},
): Promise<Harness> {
  const fake = await startFakeBedrock({ pacing: NO_PACING, ...fakeOptions });
  const config = loadConfig({ ...TEST_ENV, PORT: "0", HOST: "127.0.0.1", SHUTDOWN_GRACE_MS: "1000", ...env });
  const logs: LogLine[] = [];
  const destination: DestinationStream = { write: (line: string) => void logs.push(JSON.parse(line)) };
  const metrics: LogLine[] = [];
  const metricsSink = { write: (line: string) => void metrics.push(JSON.parse(line)) };
  const bedrock = testBedrockClient(await upstreamUrl(fake.url));
  const logger = createLogger(config.logLevel, destination);
  const metering = { ...serverOverrides.metering, metricsSink };
  const server = await startServer(config, { ...serverOverrides, bedrock, logger, metering });
  return {
    fake,
    server,
    config,
    url: server.url,
    bedrock,
    logs,
    metrics,
    logFor: (requestId, timeoutMs = 2000) =>
      waitUntil(() => logs.find((line) => line.requestId === requestId && "status" in line), timeoutMs, `log of ${requestId}`),
    async close() {
      await server.shutdown("test over");
      bedrock.destroy();
      await fake.close();
    },
  };
}

/** Polls `probe` every few milliseconds until it returns something, or fails after `timeoutMs`. */
export async function waitUntil<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
