import { NATIVE_ERROR_SHAPE } from "../../http/error-handler";
import type { WireFormat } from "../wire-format";
import { parseNdjsonRequest } from "./request";

export const NDJSON_CONTENT_TYPE = "application/x-ndjson; charset=utf-8";

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

/**
 * The service's own format (`POST /stream`): JSON lines `{"data":"<delta>"}`, one per text delta, then a done line
 * `{"done":true,"stopReason","usage","latencyMs","model"}` (`stopReason` is Converse's: `guardrail_intervened` when a
 * guardrail stopped the reply); errors `{"error":{"code","message"}}` as the body or last line.
 */
export const ndjsonFormat: WireFormat = {
  name: "ndjson",
  parseRequest: (body) => parseNdjsonRequest(body),
  ...NATIVE_ERROR_SHAPE,
  streamContentType: NDJSON_CONTENT_TYPE,
  streamWriter: (reply) => ({
    open: () => "",
    event: (event) => (event.type === "delta" && event.delta.type === "text" ? line({ data: event.delta.text }) : ""),
    end: (summary) => {
      const usage = summary.usage;
      return line({
        done: true,
        stopReason: summary.stopReason ?? null,
        // The seed contract's three counts; cache counts stay in the log line.
        usage: usage ? { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, totalTokens: usage.totalTokens } : null,
        latencyMs: summary.latencyMs ?? Math.round(performance.now() - reply.startedAt),
        // The model that answered: a fallback's when the requested one could not (docs/resilience.md).
        model: reply.model,
      });
    },
  }),
  completeBody: () => {
    throw new Error("the NDJSON format always streams");
  },
};
