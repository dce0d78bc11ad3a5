import assert from "node:assert/strict";
import { formatWait, httpError, parseRetryAfter, streamError } from "../src/playground/client/chat-error";
import { chatRequestBody, endpoint } from "../src/playground/client/chat-stream";
import { formatStats, replyStats } from "../src/playground/client/reply-stats";
import { sseData } from "../src/playground/client/sse";

/** A body that arrives in exactly these byte chunks. */
function body(...chunks: (string | Buffer)[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(new Uint8Array(Buffer.from(chunk)));
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const events: string[] = [];
  for await (const data of sseData(stream)) events.push(data);
  return events;
}

describe("chat client shared by the playground and the terminal client", () => {
  describe("server-sent events", () => {
    it("yields each event's data, whatever the chunking and line endings", async () => {
      assert.deepEqual(await collect(body("data: {\"a\":1}\n\ndata: [DONE]\n\n")), ['{"a":1}', "[DONE]"]);
      assert.deepEqual(await collect(body("data: one\r", "\n\r\ndata:two\r\rdata: three\n", "\n")), ["one", "two", "three"]);
      assert.deepEqual(await collect(body("da", "ta: split", " across\n", "\n")), ["split across"]);
    });

    it("joins multi-line data, skips comments and other fields, and keeps an unterminated last event", async () => {
      assert.deepEqual(await collect(body(": keep-alive\n\nevent: x\nid: 1\ndata: a\ndata: b\n\ndata: last")), ["a\nb", "last"]);
    });

    it("never splits a UTF-8 character cut between chunks", async () => {
      const bytes = Buffer.from("data: こんにちは🙂\n\n");
      const chunks = [...bytes].map((byte) => Buffer.from([byte]));
      assert.deepEqual(await collect(body(...chunks)), ["こんにちは🙂"]);
    });
  });

  describe("error messages", () => {
    it("token budget refusals, rate limits, refused keys, upstream failures and bad requests read differently", () => {
      const json = (code: string, message: string) => JSON.stringify({ error: { message, type: "x", param: null, code } });
      const cases: [number, string, string | null, string, string][] = [
        [429, json("token_budget_exceeded", "Daily budget used."), "120", "rate_limit", "Token budget exhausted: Daily budget used. Try again in 2 min."],
        [429, json("throttled", "Slow down"), "5", "rate_limit", "Too many requests (throttled): Slow down. Try again in 5 s."],
        [403, '{"message":"Forbidden"}', null, "auth", "The API key was refused (403): Forbidden. Check the key."],
        // The deployed stack's answer to a wrong key (infra/edge-responses.ts: INVALID_API_KEY as rendered).
        [
          401,
          '{"type":"error","error":{"type":"authentication_error","code":"invalid_api_key","param":null,"message":"Invalid API key"},"message":"Invalid API key"}',
          null,
          "auth",
          "The API key was refused (401 invalid_api_key): Invalid API key. Check the key.",
        ],
        [504, json("upstream_timeout", "Silent"), null, "upstream", "The model service is unavailable (504 upstream_timeout): Silent."],
        [502, "<html><body>Bad Gateway</body></html>", null, "upstream", "The model service is unavailable (502)."],
        [400, json("invalid_request", "messages: required"), null, "request", "Request refused (400 invalid_request): messages: required."],
      ];
      for (const [status, text, retryAfter, kind, message] of cases) {
        const error = httpError(status, text, retryAfter);
        assert.deepEqual([error.kind, error.message], [kind, message]);
      }
      assert.deepEqual(httpError(429, json("token_budget_exceeded", "x"), "120").details, { status: 429, code: "token_budget_exceeded", retryAfterSeconds: 120 });
    });

    it("an error frame mid-stream", () => {
      const error = streamError({ message: "Model stream failed.", type: "api_error", code: "model_stream_error" });
      assert.equal(error.message, "The reply was cut short (model_stream_error): Model stream failed.");
      assert.equal(error.kind, "upstream");
    });

    it("Retry-After in seconds or as an HTTP date; waits in s, min or h", () => {
      const now = Date.parse("2026-11-28T10:00:00Z");
      assert.equal(parseRetryAfter("30", now), 30);
      assert.equal(parseRetryAfter("Sat, 28 Nov 2026 10:05:00 GMT", now), 300);
      assert.equal(parseRetryAfter("soon", now), undefined);
      assert.deepEqual([5, 89, 90, 3600, 5400, 7200].map(formatWait), ["in 5 s", "in 89 s", "in 2 min", "in 60 min", "in 1 h 30 min", "in 2 h"]);
    });
  });

  describe("request and figures", () => {
    it("builds a streamed Chat Completions body with the usage chunk, leaving unset settings to the server", () => {
      const messages = [{ role: "user" as const, content: "Hi" }];
      assert.deepEqual(chatRequestBody(messages, {}), { messages, stream: true, stream_options: { include_usage: true } });
      assert.deepEqual(chatRequestBody(messages, { model: "m", system: "S", maxTokens: 9, temperature: 0 }), {
        model: "m", messages: [{ role: "system", content: "S" }, ...messages], max_tokens: 9, temperature: 0,
        stream: true, stream_options: { include_usage: true },
      });
      assert.equal(endpoint("https://x.example/v1/", "/models"), "https://x.example/v1/models");
      assert.equal(endpoint("https://x.example/v1", "/models"), "https://x.example/v1/models");
    });

    it("measures tokens per second from the first token to the end, not from the request", () => {
      const usage = { promptTokens: 10, completionTokens: 50, totalTokens: 60 };
      const stats = replyStats({ startedAt: 1000, firstTokenAt: 1300, endedAt: 2300 }, 12, usage, "stop");
      assert.deepEqual(stats, { ttftMs: 300, tokensPerSecond: 50, estimated: false, durationMs: 1300, usage, stopReason: "stop" });
      assert.equal(formatStats(stats), "TTFT 300 ms · 50.0 tok/s · 10 in + 50 out = 60 tokens · 1.30 s · stop");
      const stopped = replyStats({ startedAt: 0, firstTokenAt: 100, endedAt: 600 }, 10, undefined, "stopped");
      assert.equal(formatStats(stopped), "TTFT 100 ms · ≈20.0 tok/s · 0.60 s · stopped");
      assert.equal(formatStats(replyStats({ startedAt: 0, endedAt: 50 }, 0, undefined, "stopped")), "no tokens · 0.05 s · stopped");
    });
  });
});
