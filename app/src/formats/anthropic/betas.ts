import type { IncomingHttpHeaders } from "node:http";
import type { ModelInfo } from "../../models";

/**
 * `anthropic-beta` values. A beta is never a reason to fail: the ones Bedrock accepts for the answering model are
 * forwarded (as `anthropic_beta` in the native body); the rest are dropped, and the request's log line names them.
 * Bedrock answers an `anthropic_beta` value it does not know with a 400, so only the table's values go on.
 */

const generation = (info: ModelInfo) => Number.parseFloat(info.generation) || 0;
const claude = (info: ModelInfo) => info.family.startsWith("claude-");
const claudeFrom = (min: number) => (info: ModelInfo) => claude(info) && generation(info) >= min;
const SOURCE = "Bedrock user guide, Anthropic Claude Messages API: beta headers";

interface BetaEntry {
  readonly name: string;
  /** Which models Bedrock accepts it for. */
  readonly accepts: (info: ModelInfo) => boolean;
  readonly source: string;
}

/** The betas Bedrock accepts, each with the models it applies to and where that is stated. */
export const BEDROCK_BETAS: readonly BetaEntry[] = [
  { name: "interleaved-thinking-2025-05-14", accepts: claudeFrom(4), source: SOURCE },
  { name: "fine-grained-tool-streaming-2025-05-14", accepts: claudeFrom(3.7), source: SOURCE },
  { name: "token-efficient-tools-2025-02-19", accepts: (info) => info.family === "claude-sonnet" && info.generation === "3.7", source: SOURCE },
  { name: "output-128k-2025-02-19", accepts: (info) => info.family === "claude-sonnet" && info.generation === "3.7", source: SOURCE },
  { name: "computer-use-2025-01-24", accepts: claudeFrom(3.7), source: SOURCE },
  { name: "computer-use-2025-11-24", accepts: claudeFrom(4.5), source: `${SOURCE} (Opus 4.5 and later; uncertain for Sonnet/Haiku 4.5)` },
  // The catalog says which models offer the larger window, and under which beta.
  { name: "context-1m-2025-08-07", accepts: (info) => info.extendedContext?.beta === "context-1m-2025-08-07", source: `${SOURCE}; models/known-models.ts` },
  { name: "context-management-2025-06-27", accepts: claudeFrom(4.5), source: "AWS announcement of Claude Sonnet 4.5 on Bedrock (context editing, memory tool); uncertain for later models" },
  { name: "effort-2025-11-24", accepts: (info) => info.family === "claude-opus" && info.generation === "4.5", source: `${SOURCE} (Opus 4.5; GA from 4.6 on)` },
  { name: "tool-search-tool-2025-10-19", accepts: claudeFrom(4.5), source: `${SOURCE} (uncertain per model)` },
  { name: "tool-examples-2025-10-29", accepts: (info) => info.family === "claude-opus" && generation(info) >= 4.5, source: `${SOURCE} (uncertain per model)` },
];

const TABLE = new Map(BEDROCK_BETAS.map((entry) => [entry.name, entry]));

/** Every distinct value of the request's `anthropic-beta` header(s), bounded: the header is the client's. */
export function requestedBetas(headers: IncomingHttpHeaders): string[] {
  const raw = headers["anthropic-beta"];
  const values = (Array.isArray(raw) ? raw : [raw ?? ""])
    .flatMap((header) => header.split(","))
    .map((value) => value.trim().slice(0, 100))
    .filter((value) => value !== "");
  return [...new Set(values)].slice(0, 50);
}

/** The requested betas Bedrock accepts for `info`'s model, and the names dropped. */
export function splitBetas(requested: readonly string[], info: ModelInfo): { forwarded: string[]; dropped: string[] } {
  const forwarded: string[] = [];
  const dropped: string[] = [];
  for (const name of requested) (TABLE.get(name)?.accepts(info) ? forwarded : dropped).push(name);
  return { forwarded, dropped };
}
