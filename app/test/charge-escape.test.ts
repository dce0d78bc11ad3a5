import assert from "node:assert/strict";
import { startRequest } from "./helpers/http-client";
import { startUsageHarness, type UsageHarness } from "./helpers/usage";

const BOB = "key-id-bob";

/** A PNG's signature and IHDR chunk for an image of `width` x `height` (all a token estimate reads). */
function pngHeader(width: number, height: number): Buffer {
  const size = Buffer.alloc(8);
  size.writeUInt32BE(width, 0);
  size.writeUInt32BE(height, 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    Buffer.from("IHDR"),
    size,
    Buffer.from([8, 6, 0, 0, 0, 0, 0, 0, 0]),
  ]);
}

describe("charges that cannot be escaped", () => {
  let h: UsageHarness;
  beforeEach(async () => {
    h = await startUsageHarness();
  });
  afterEach(() => h.close());

  /** Starts an Anthropic streamed request as bob; resolves with the request and its response head. */
  const open = (content: unknown[]) => {
    const body = { model: h.config.modelId, max_tokens: 100, stream: true, messages: [{ role: "user", content }] };
    return startRequest(h.url, { method: "POST", path: "/v1/messages", body, headers: h.as(BOB) });
  };
  const day = async () => {
    await h.charged();
    return (await h.usageOf(BOB)).day;
  };

  it("a 400 KB document and a 1000x1000 image, cut after the first delta, are charged by their size", async () => {
    h.fake.setScenario({ steps: [{ text: "a" }, { hang: true }] });
    const { req, response } = open([
      { type: "document", source: { type: "text", media_type: "text/plain", data: "x".repeat(400_000) } },
      { type: "image", source: { type: "base64", media_type: "image/png", data: pngHeader(1000, 1000).toString("base64") } },
      { type: "text", text: "Summarise" },
    ]);
    const res = await response;
    assert.equal(res.statusCode, 200);
    let seen = "";
    for await (const chunk of res) {
      seen += String(chunk);
      if (seen.includes("text_delta")) break; // leaving the loop destroys the response: the client is gone
    }
    req.destroy();
    const { inputTokens, estimatedRequests } = await day();
    assert.equal(estimatedRequests, 1);
    // 400,000 bytes of document at four a token, and 1,000,000 pixels at 750 a token; the rest is a few words.
    const attachments = 100_000 + Math.ceil(1_000_000 / 750);
    assert.ok(inputTokens >= attachments && inputTokens < attachments + 50, `charged ${inputTokens} input tokens`);
  });

  it("a client that leaves before Bedrock's first frame is charged the input its prompt cost", async () => {
    h.fake.setScenario({ headersDelayMs: 10_000, steps: [{ text: "late" }] });
    const { req, response } = open([{ type: "text", text: "y".repeat(4000) }]);
    response.catch(() => undefined);
    await h.fake.waitForRequests(1);
    req.destroy();
    const record = h.fake.requests[0];
    await h.fake.waitForClose(record);
    const { inputTokens, outputTokens, requests, estimatedRequests } = await day();
    assert.deepEqual([requests, estimatedRequests, outputTokens], [1, 1, 0]);
    assert.ok(inputTokens >= 1000, `charged ${inputTokens} input tokens for a 4,000-character prompt`);
  });
});
