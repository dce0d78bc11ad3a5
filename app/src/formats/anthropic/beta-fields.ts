import * as z from "zod";

/**
 * Request fields that come with Anthropic betas Bedrock does not take, as current Claude Code sends them (its
 * first request, before it would fall back to a plainer one after a 400). Accepted, never a 400; when their beta is
 * not forwarded (betas.ts) they are taken out of the native body, each where doing so leaves the answer the caller
 * relies on intact:
 * - `tools[].defer_loading` (tool search, `advanced-tool-use-*`): the tool is simply loaded from the start, so every
 *   tool offered stays callable;
 * - `tool_reference` blocks in a tool result (what a client-side tool search returns to load tools): with every tool
 *   already loaded, a note naming the tool;
 * - `messages[].output_config` (per-turn control): the request's own `output_config` still applies;
 * - `thinking.display` values other than `summarized` and `omitted` (e.g. `updates`): Claude's default display.
 * Bedrock's own tool-search beta, when a client sends it and the model takes it, keeps the first two as sent.
 */

export const TOOL_SEARCH_BETA = "tool-search-tool-2025-10-19";
const BEDROCK_DISPLAYS = new Set(["summarized", "omitted"]);

/** `thinking.display`: any mode name; the ones Bedrock does not know are left out of the native body. */
export const thinkingDisplay = z.string().max(64).nullish();
/** `tools[].defer_loading`. */
export const deferLoading = z.boolean().nullish();
/** `messages[].output_config` (per-turn control): its effort, or whatever else a later version adds. */
export const turnOutputConfig = z.looseObject({}).nullish();
/** A tool result's `tool_reference` block (tool search). */
export const toolReferenceBlock = z.strictObject({ type: z.literal("tool_reference"), tool_name: z.string().min(1).max(256) });

/** The note a `tool_reference` becomes where tool search is not available (the tool is loaded already). */
export const toolReferenceText = (name: string) => `Tool ${name} is available.`;

type Json = Record<string, any>;

/** The native body without the fields above whose beta is not forwarded (a copy where something changes). */
export function withoutBetaFields(body: Json, forwarded: readonly string[]): Json {
  const out = { ...body };
  const display = out.thinking?.display;
  if (display != null && !BEDROCK_DISPLAYS.has(display)) {
    const { display: _display, ...thinking } = out.thinking;
    out.thinking = thinking;
  }
  out.messages = (out.messages as Json[]).map(({ output_config: _turn, ...turn }) => turn);
  if (forwarded.includes(TOOL_SEARCH_BETA)) return out;
  if (Array.isArray(out.tools)) out.tools = out.tools.map(({ defer_loading: _defer, ...tool }: Json) => tool);
  out.messages = (out.messages as Json[]).map((turn) =>
    Array.isArray(turn.content) && turn.content.some(holdsReference) ? { ...turn, content: turn.content.map(resolveReferences) } : turn,
  );
  return out;
}

const isReference = (part: Json) => part?.type === "tool_reference";
const holdsReference = (block: Json) => block?.type === "tool_result" && Array.isArray(block.content) && block.content.some(isReference);

function resolveReferences(block: Json): Json {
  if (!holdsReference(block)) return block;
  const content = block.content.map((part: Json) => (isReference(part) ? { type: "text", text: toolReferenceText(part.tool_name) } : part));
  return { ...block, content };
}
