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

const ENGLISH_REPLY =
  "Hello! This reply comes from the local Bedrock stand-in, not from a real model. " +
  "It streams over the same ConverseStream wire protocol that Amazon Bedrock uses, one small piece at a time, " +
  "so you can watch each JSON line arrive as soon as it is produced. " +
  "Every request gets the same kind of answer, with realistic pauses between tokens. " +
  "When you deploy the stack, the same service talks to the real model instead.";

const JAPANESE_REPLY =
  "こんにちは！これは本物のモデルではなく、ローカルのBedrock互換サーバーからの返信です。" +
  "Amazon Bedrockと同じConverseStreamのプロトコルで、少しずつストリーミングしています。" +
  "各行がJSONとして届く様子をご覧ください。🙂 デプロイすると、同じサービスが本物のモデルに接続します。";

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

/** Replies in Japanese when the prompt has any non-ASCII text, so multi-byte UTF-8 is exercised end to end. */
export function replyTokens(prompt: string): string[] {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(prompt) ? splitCodePoints(JAPANESE_REPLY) : splitWords(ENGLISH_REPLY);
}

function gapMs(pacing: Pacing): number {
  const jitter = pacing.jitterMs ?? 0;
  return Math.max(0, pacing.interTokenMs + (jitter ? (Math.random() * 2 - 1) * jitter : 0));
}

/** The default reply to `prompt` as timed tokens: each delay is the wait before that token is sent. */
export function defaultReply(prompt: string, pacing: Pacing): TimedToken[] {
  const natural = replyTokens(prompt);
  const count = pacing.tokenCount ?? natural.length;
  return Array.from({ length: count }, (_, i) => ({
    text: natural[i % natural.length],
    delayMs: i === 0 ? pacing.firstTokenMs : gapMs(pacing),
  }));
}
