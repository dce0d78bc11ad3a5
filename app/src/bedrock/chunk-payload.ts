import type { ResponseStream } from "@aws-sdk/client-bedrock-runtime";

/**
 * InvokeModelWithResponseStream's `chunk` event read straight from its payload bytes, without parsing the JSON.
 *
 * Why: Claude's native path gets one chunk per token, and its payload is always `{"bytes":"<base64>","p":"<padding>"}`
 * (Bedrock's member order, the padding optional). Parsing that JSON builds an object and two strings only to take the
 * base64 out again, and the SDK's base64 check runs a regular expression over it; here the base64 is located by its
 * fixed prefix and decoded by Node. Anything not exactly of that shape (another member order, an escape, base64 that
 * does not decode to its full length, the URL-safe alphabet the SDK refuses) returns undefined, and the caller takes
 * the general path (JSON, then the SDK's own decoder and errors).
 */

const PREFIX = Buffer.from('{"bytes":"');
const PADDING = Buffer.from(',"p":"');
const QUOTE = 0x22;
const CLOSE = 0x7d;

export function chunkFromPayload(bytes: Buffer, start: number, end: number): ResponseStream | undefined {
  const valueStart = start + PREFIX.length;
  if (end - start < PREFIX.length + 2 || PREFIX.compare(bytes, start, valueStart) !== 0) return undefined;
  const valueEnd = bytes.indexOf(QUOTE, valueStart);
  if (valueEnd < 0 || valueEnd >= end || !plainTail(bytes, valueEnd + 1, end)) return undefined;
  const length = valueEnd - valueStart;
  const base64 = bytes.toString("latin1", valueStart, valueEnd);
  // `-` and `_` (base64url) Node decodes and the SDK refuses.
  if (length % 4 !== 0 || base64.includes("-") || base64.includes("_")) return undefined;
  const decoded = Buffer.from(base64, "base64");
  const padding = length === 0 ? 0 : Number(bytes[valueEnd - 1] === 0x3d) + Number(bytes[valueEnd - 2] === 0x3d);
  // Node skips characters outside the alphabet; the SDK refuses them: a short result means the general path.
  if (decoded.length !== (length / 4) * 3 - padding) return undefined;
  // The SDK's type: a plain Uint8Array over the decoded bytes, as its own base64 decoder returns.
  return { chunk: { bytes: new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length) } };
}

/** What may follow the base64's closing quote: `}`, or Bedrock's padding member (letters and digits) and `}`. */
function plainTail(bytes: Buffer, at: number, end: number): boolean {
  if (end - at === 1) return bytes[at] === CLOSE;
  if (bytes[end - 1] !== CLOSE || bytes[end - 2] !== QUOTE || PADDING.compare(bytes, at, at + PADDING.length) !== 0) return false;
  for (let i = at + PADDING.length; i < end - 2; i++) if (!isAlphanumeric(bytes[i])) return false;
  return true;
}

const isAlphanumeric = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
