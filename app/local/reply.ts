import { detectLanguage, type Language, PHRASES } from "./language";

/**
 * The local stand-in's default answer: a plausible multi-sentence reply cut into token-sized pieces with model-like
 * pacing, so `npm run local` looks and feels like a real model streaming (first token after a pause, then a steady
 * trickle) and the benchmark can ask for an exact token count and rate.
 */

export interface Pacing {
  /** Delay before the first token (a model's time to first token). */
  firstTokenMs: number;
  /** Mean delay between later tokens; 50 means 20 tokens/s. */
  interTokenMs: number;
  /** Each gap is drawn uniformly from interTokenMs ± jitterMs (default 0: exact, for benchmarks). */
  jitterMs?: number;
  /** Exact number of tokens to send; the text repeats as needed. Default: the reply's natural length. */
  tokenCount?: number;
}

/** What a newcomer sees: ~300 ms to the first token, then 20–40 ms between tokens. */
export const REALISTIC_PACING: Pacing = { firstTokenMs: 300, interTokenMs: 30, jitterMs: 10 };
/** For tests: everything at once. */
export const NO_PACING: Pacing = { firstTokenMs: 0, interTokenMs: 0 };

export interface TimedToken {
  text: string;
  delayMs: number;
}

/** Splits English into word-like tokens that carry their leading space, as model tokenizers do. */
function splitWords(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** Splits non-Latin text into pieces of 1–3 code points (never inside a surrogate pair). */
export function splitCodePoints(text: string): string[] {
  const codePoints = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0, size = 1; i < codePoints.length; i += size, size = (size % 3) + 1) {
    pieces.push(codePoints.slice(i, i + size).join(""));
  }
  return pieces;
}

/** Cuts text into token-sized pieces: words where the language spaces them, 1–3 code points where it does not. */
export function tokenize(text: string, language: Language): string[] {
  return language === "ja" || language === "zh" ? splitCodePoints(text) : splitWords(text);
}

/** The plain reply to `prompt`, in the prompt's language (see language.ts), as tokens. */
export function replyTokens(prompt: string): string[] {
  const language = detectLanguage(prompt);
  return tokenize(PHRASES[language].reply, language);
}

function gapMs(pacing: Pacing): number {
  const jitter = pacing.jitterMs ?? 0;
  return Math.max(0, pacing.interTokenMs + (jitter ? (Math.random() * 2 - 1) * jitter : 0));
}

/** The default reply to `prompt` as timed tokens: each delay is the wait before that token is sent. */
export function defaultReply(prompt: string, pacing: Pacing): TimedToken[] {
  const natural = replyTokens(prompt);
  const count = pacing.tokenCount ?? natural.length;
  return Array.from({ length: count }, (_, i) => ({ text: natural[i % natural.length], delayMs: delayBefore(i, pacing) }));
}

/** The wait before the `index`th token of a reply at this pacing. */
export function delayBefore(index: number, pacing: Pacing): number {
  return index === 0 ? pacing.firstTokenMs : gapMs(pacing);
}
