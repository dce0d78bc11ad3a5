import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";

/**
 * Stands in for `src/bedrock/client.ts` in the benchmark's variant of the service (`build.mjs --replace`): the SDK's
 * default client, whose HTTP/2 handler gives every ConverseStream call a session of its own, so a new connection
 * (and TLS handshake) each. Everything else in that bundle is the service as shipped.
 */
export function createBedrockClient(region: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ region });
}
