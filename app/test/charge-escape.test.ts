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

  const anthropic = (content: unknown[]) => {
    const body = { model: h.config.modelId, max_tokens: 100, stream: true, messages: [{ role: "user", content }] };
    return startRequest(h.url, { method: "POST", path: "/v1/messages", body, headers: h.as(BOB) });
  };
  const day = async () => {
    await h.charged();
    return (await h.usageOf(BOB)).day;
  };
  /** Leaves once Bedrock has the request and before it answered anything. */
  const leaveBeforeFirstFrame = async ({ req, response }: ReturnType<typeof startRequest>) => {
    response.catch(() => undefined);
    await h.fake.waitForRequests(1);
    req.destroy();
    await h.fake.waitForClose(h.fake.requests[0]);
  };
  const image = pngHeader(1000, 1000).toString("base64");
  const IMAGE_TOKENS = Math.ceil(1_000_000 / 750); // Anthropic: width x height / 750

  it("an image in a stream cut after the first delta is charged by its pixel size (Converse path)", async () => {
    h.fake.setScenario({ steps: [{ text: "a" }, { hang: true }] });
    const body = {
      stream: true,
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${image}` } }, { type: "text", text: "What is it?" }] }],
    };
    const { req, response } = startRequest(h.url, { method: "POST", path: "/chat/completions", body, headers: h.as(BOB) });
    const res = await response;
    assert.equal(res.statusCode, 200);
    let seen = "";
    for await (const chunk of res) {
      seen += String(chunk);
      if (seen.includes('"content":"a"')) break; // leaving the loop destroys the response: the client is gone
    }
    req.destroy();
    const { inputTokens, outputTokens, estimatedRequests } = await day();
    assert.deepEqual([estimatedRequests, outputTokens], [1, 1]);
    assert.ok(inputTokens >= IMAGE_TOKENS && inputTokens < IMAGE_TOKENS + 50, `charged ${inputTokens} input tokens`);
  });

  it("a 400 KB document and an image whose client leaves before Bedrock's first frame are charged by their size", async () => {
    h.fake.setScenario({ headersDelayMs: 10_000, steps: [{ text: "late" }] });
    await leaveBeforeFirstFrame(anthropic([
      { type: "document", source: { type: "text", media_type: "text/plain", data: "x".repeat(400_000) } },
      { type: "image", source: { type: "base64", media_type: "image/png", data: image } },
      { type: "text", text: "Summarise" },
    ]));
    const { inputTokens, outputTokens, requests, estimatedRequests } = await day();
    assert.deepEqual([requests, estimatedRequests, outputTokens], [1, 1, 0]);
    // 400,000 bytes of document at four a token, plus the image; the rest is a few words.
    const attachments = 100_000 + IMAGE_TOKENS;
    assert.ok(inputTokens >= attachments && inputTokens < attachments + 50, `charged ${inputTokens} input tokens`);
  });

  it("a client that leaves before Bedrock's first frame is charged the input its prompt cost (Converse path)", async () => {
    h.fake.setScenario({ headersDelayMs: 10_000, steps: [{ text: "late" }] });
    await leaveBeforeFirstFrame(startRequest(h.url, { method: "POST", path: "/stream", body: { message: "y".repeat(4000) }, headers: h.as(BOB) }));
    const { inputTokens, outputTokens, requests, estimatedRequests } = await day();
    assert.deepEqual([requests, estimatedRequests, outputTokens], [1, 1, 0]);
    assert.ok(inputTokens >= 1000, `charged ${inputTokens} input tokens for a 4,000-character prompt`);
  });
});
