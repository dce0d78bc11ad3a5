import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { type FakeBedrock, NO_PACING, startFakeBedrock } from "../../local/fake-bedrock";
import { TEST_ENV } from "./harness";

export interface StandIn {
  fake: FakeBedrock;
  /** The SDK's default client (its own event-stream decoder), one attempt per call. */
  client: BedrockRuntimeClient;
  close(): Promise<void>;
}

/** A fresh stand-in without pacing and the real SDK pointed at it, for tests of the stand-in itself. */
export async function startStandIn(): Promise<StandIn> {
  const fake = await startFakeBedrock({ pacing: NO_PACING });
  const client = new BedrockRuntimeClient({
    region: TEST_ENV.AWS_REGION,
    endpoint: fake.url,
    maxAttempts: 1,
    credentials: { accessKeyId: TEST_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: TEST_ENV.AWS_SECRET_ACCESS_KEY },
  });
  return {
    fake,
    client,
    async close() {
      client.destroy();
      await fake.close();
    },
  };
}

/** Starts a stand-in before the suite and closes it after; its fields are set once `before` has run. */
export function useStandIn(): StandIn {
  const standIn = {} as StandIn;
  before(async () => Object.assign(standIn, await startStandIn()));
  after(() => standIn.close());
  return standIn;
}
