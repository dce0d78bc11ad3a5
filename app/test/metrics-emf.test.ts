import assert from "node:assert/strict";
import type { RequestRecord } from "../src/http/request-record";
import { ApiError } from "../src/http/errors";
import { ServiceMetrics } from "../src/metrics/service-metrics";

/** The EMF documents themselves: what CloudWatch will turn into metrics. */
describe("embedded metric format lines", () => {
  const lines: any[] = [];
  const metrics = new ServiceMetrics({ write: (line) => void lines.push(JSON.parse(line)) }, "Test/Ns", () => 1_700_000_000_000, "ip-10-0-1-23");
  beforeEach(() => lines.splice(0));

  const record = (extra: Partial<RequestRecord> = {}): RequestRecord => ({
    requestId: "r", startedAt: 1000, deltas: 3, format: "ndjson", model: "m-1", apiKeyName: "alice", ...extra,
  });

  it("publish a finished stream's tokens and timings per key and model, per model, and service-wide", () => {
    metrics.request(record({
      firstTokenAt: 1200,
      usage: { inputTokens: 10, outputTokens: 40, totalTokens: 50, cacheReadInputTokens: 5 },
    }), 3200);
    const [doc] = lines;
    assert.equal(doc._aws.Timestamp, 1_700_000_000_000);
    assert.deepEqual(doc._aws.CloudWatchMetrics, [{
      Namespace: "Test/Ns",
      Dimensions: [["ApiKey", "Model"], ["Model"], []],
      Metrics: [
        { Name: "Requests", Unit: "Count" },
        { Name: "InputTokens", Unit: "Count" },
        { Name: "OutputTokens", Unit: "Count" },
        { Name: "CacheReadInputTokens", Unit: "Count" },
        { Name: "TimeToFirstToken", Unit: "Milliseconds" },
        { Name: "StreamDuration", Unit: "Milliseconds" },
        { Name: "OutputTokensPerSecond", Unit: "Count/Second" },
      ],
    }]);
    assert.deepEqual(
      [doc.ApiKey, doc.Model, doc.Requests, doc.InputTokens, doc.OutputTokens, doc.TimeToFirstToken, doc.StreamDuration],
      ["alice", "m-1", 1, 10, 40, 200, 2200],
    );
    assert.equal(doc.OutputTokensPerSecond, 20, "40 tokens over the 2 s after the first one");
    assert.equal(doc.CacheWriteInputTokens, undefined, "absent values are not published as zeros");
  });

  it("count errors by code, and budget refusals on their own", () => {
    metrics.request(record({ error: new ApiError(429, "token_budget_exceeded", "over") }), 1010);
    const [doc] = lines;
    const directives = doc._aws.CloudWatchMetrics.map((d: any) => [d.Dimensions, d.Metrics.map((m: any) => m.Name)]);
    assert.deepEqual(directives, [
      [[["ApiKey", "Model"], ["Model"], []], ["Requests", "StreamDuration"]],
      [[["ErrorCode"], ["ApiKey", "ErrorCode"]], ["Errors"]],
      [[["ApiKey"], []], ["BudgetRefusals"]],
    ]);
    assert.deepEqual([doc.ErrorCode, doc.Errors, doc.BudgetRefusals], ["token_budget_exceeded", 1, 1]);
  });

  it("report open streams per task and service-wide, and usage-store failures without dimensions (for the alarm)", () => {
    metrics.openStreams(7);
    metrics.usageStoreFailure("write");
    assert.deepEqual(lines.map((d) => [d._aws.CloudWatchMetrics[0].Dimensions, d.OpenStreams ?? d.UsageStoreFailures]), [
      [[["Task"], []], 7],
      [[[]], 1],
    ]);
    assert.equal(lines[0].Task, "ip-10-0-1-23");
  });

  it("report the open streams periodically until stopped", async () => {
    let open = 3;
    const stop = metrics.startOpenStreamsGauge(() => open++, 1);
    while (lines.length < 2) await new Promise((resolve) => setTimeout(resolve, 2));
    stop();
    assert.deepEqual(lines.slice(0, 2).map((d) => d.OpenStreams), [3, 4]);
  });
});
