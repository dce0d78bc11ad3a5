import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { BedrockRuntimeClient, ConverseStreamCommand } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttp2Handler } from "@smithy/node-http-handler";
import { makeCertificate } from "../bench/tls";
import { type FakeBedrock, NO_PACING, startFakeBedrock } from "../local/fake-bedrock";
import { MultiplexedHttp2Handler } from "../src/bedrock/client";
import { TEST_ENV } from "./helpers/harness";

/**
 * The stand-in over HTTPS, as the benchmark runs it for the agent scenario: a certificate made with openssl, the
 * real SDK trusting it, h2 negotiated by ALPN; and what the two Bedrock clients do with connections there.
 */
describe("stand-in over TLS", () => {
  let dir: string;
  let fake: FakeBedrock;
  let ca: Buffer;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stand-in-tls-"));
    const { certFile, keyFile } = makeCertificate(dir);
    ca = readFileSync(certFile);
    fake = await startFakeBedrock({ pacing: NO_PACING, scenario: { steps: [{ text: "over TLS" }] }, tls: { cert: ca, key: readFileSync(keyFile) } });
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function client(requestHandler: NodeHttp2Handler): BedrockRuntimeClient {
    const { AWS_REGION: region, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = TEST_ENV;
    return new BedrockRuntimeClient({ region, endpoint: fake.url, maxAttempts: 1, credentials: { accessKeyId, secretAccessKey }, requestHandler });
  }

  async function converse(bedrock: BedrockRuntimeClient): Promise<string> {
    const command = new ConverseStreamCommand({ modelId: "m", messages: [{ role: "user", content: [{ text: "hi" }] }] });
    let text = "";
    for await (const event of (await bedrock.send(command)).stream!) text += event.contentBlockDelta?.delta?.text ?? "";
    return text;
  }

  it("serves ConverseStream over h2 with TLS to a client that trusts its certificate", async () => {
    assert.match(fake.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const bedrock = client(new NodeHttp2Handler({ nodeHttp2ConnectOptions: { ca } }));
    try {
      assert.equal(await converse(bedrock), "over TLS");
      assert.equal(fake.requests.at(-1)!.protocol, "h2");
    } finally {
      bedrock.destroy();
    }
  });

  it("a client that does not trust the certificate is refused", async () => {
    const bedrock = client(new NodeHttp2Handler());
    try {
      await assert.rejects(converse(bedrock), /self[- ]signed|certificate/i);
    } finally {
      bedrock.destroy();
    }
  });

  it("the SDK's default handler opens a connection (a TLS handshake) per call; the service's client reuses one", async () => {
    const calls = async (handler: NodeHttp2Handler) => {
      const bedrock = client(handler);
      const first = fake.requests.length;
      try {
        for (let i = 0; i < 3; i += 1) await converse(bedrock);
      } finally {
        bedrock.destroy();
      }
      return new Set(fake.requests.slice(first).map((req) => req.connection)).size;
    };
    assert.equal(await calls(new NodeHttp2Handler({ disableConcurrentStreams: true, nodeHttp2ConnectOptions: { ca } })), 3);
    const multiplexed = new MultiplexedHttp2Handler();
    multiplexed.updateHttpClientConfig("nodeHttp2ConnectOptions", { ca });
    assert.equal(await calls(multiplexed), 1);
  });
});
