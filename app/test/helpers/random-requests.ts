import type { RequestOptions } from "./http-client";

/** mulberry32: a tiny seeded PRNG, so a failing fuzz case can be replayed from its seed and index. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

const ALPHABETS = ["abc xyz", "こんにちは世界", "🙂👍🏽🎉", "\u0000\u001f\u007f", "\ud800\udfff", "ÀÉÎÕÜ", '"\\/\b\f\n\r\t', "مرحبا", "   "];

function randomText(random: Random, maxLength = 40): string {
  const alphabet = pick(random, ALPHABETS);
  const chars = [...alphabet];
  return Array.from({ length: int(random, 0, maxLength) }, () => pick(random, chars)).join("");
}

function randomValue(random: Random, depth = 0): unknown {
  const kinds = depth > 3 ? ["string", "number", "bool", "null"] : ["string", "number", "bool", "null", "array", "object"];
  switch (pick(random, kinds)) {
    case "string":
      return randomText(random);
    case "number":
      return pick(random, [0, -1, 1, 0.5, 1.5, 1e308, -1e308, 2 ** 53, 64_001, int(random, -1000, 100_000)]);
    case "bool":
      return random() < 0.5;
    case "null":
      return null;
    case "array":
      return Array.from({ length: int(random, 0, 4) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(random, 0, 4) }, () => [randomKey(random), randomValue(random, depth + 1)]));
  }
}

const KEYS = ["message", "messages", "system", "maxTokens", "temperature", "topP", "stopSequences", "role", "content", "model", "__proto__", "constructor"];
const randomKey = (random: Random) => (random() < 0.8 ? pick(random, KEYS) : randomText(random, 8));

/** A body close to a valid one with one or two fields mutated (wrong type, range, extra key, bad roles). */
function mutatedChat(random: Random): Record<string, unknown> {
  const body: Record<string, unknown> = random() < 0.5
    ? { message: randomText(random) || "hi" }
    : { messages: Array.from({ length: int(random, 0, 4) }, () => ({ role: pick(random, ["user", "assistant", "system", 1]), content: randomText(random) })) };
  for (let i = int(random, 0, 2); i > 0; i -= 1) body[randomKey(random)] = randomValue(random);
  return body;
}

/** Mostly the common case (so bodies get deep into validation), sometimes one of the odd ones. */
const usually = <T>(random: Random, common: T, odd: readonly T[]): T => (random() < 0.75 ? common : pick(random, odd));

const CONTENT_TYPES = ["application/json; charset=utf-8", "APPLICATION/JSON", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "multipart/form-data; boundary=x", "application/vnd.api+json", "*/*", "application/json;;;", ""];
const PATHS = ["/health", "/stream/", "//stream", "/stream?model=x", "/%73tream", "/st%ZZream", "/dev/stream", "/%E3%82%B9%E3%83%88", "/../stream", "/stream%00"];
const METHODS = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"];

export type FuzzCase = RequestOptions & { kind: string };

/** One random request: mostly POST /stream, with every kind of wrong body, type, path and method mixed in. */
export function randomRequest(random: Random, bodyLimit: number): FuzzCase {
  const method = usually(random, "POST", METHODS);
  const path = usually(random, "/stream", PATHS);
  const contentType = usually(random, "application/json", CONTENT_TYPES);
  const headers: Record<string, string> = contentType ? { "Content-Type": contentType } : {};
  const kind = pick(random, ["valid", "mutated", "mutated", "json", "bytes", "truncated", "huge", "deep", "empty"]);
  let body: string | Buffer;
  switch (kind) {
    case "valid":
      body = JSON.stringify({ message: `${randomText(random)}x`, maxTokens: int(random, 1, 64_000), temperature: random() });
      break;
    case "mutated":
      body = JSON.stringify(mutatedChat(random));
      break;
    case "json":
      body = JSON.stringify(randomValue(random)) ?? "";
      break;
    case "bytes":
      body = Buffer.from(Array.from({ length: int(random, 1, 200) }, () => int(random, 0, 255)));
      break;
    case "truncated": {
      const full = JSON.stringify(mutatedChat(random));
      body = full.slice(0, int(random, 0, full.length - 1));
      break;
    }
    case "huge":
      body = JSON.stringify({ message: "ä".repeat(int(random, bodyLimit / 2, bodyLimit * 2)) });
      break;
    case "deep": {
      const depth = int(random, 100, 5000);
      body = random() < 0.5 ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"message":'.repeat(depth)}"x"${"}".repeat(depth)}`;
      break;
    }
    default:
      body = "";
  }
  const withBody = method !== "GET" && method !== "HEAD";
  return { kind, method, path, headers, body: withBody ? body : undefined };
}
