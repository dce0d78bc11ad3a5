import { crc32 } from "node:zlib";

/**
 * The AWS event-stream framing, as much of it as a reader of Bedrock's streams needs: each message is a prelude
 * (total length, headers length, the prelude's CRC32), headers, a payload and the CRC32 of everything before it.
 * Both checksums are verified with Node's native `zlib.crc32`; the prelude's as soon as its 12 bytes are there, so
 * a corrupt length is reported at once instead of waiting for bytes that will never come.
 */

const PRELUDE_BYTES = 12;
const MIN_MESSAGE_BYTES = 16;
/**
 * The event-stream format's largest message (the AWS SDKs for Kotlin, Rust and C refuse anything longer), so a
 * prelude that declares more is refused at once instead of being buffered for up to the 4 GiB its length field allows.
 */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** Where one complete, checked message lies in a buffer. */
export interface Frame {
  headersStart: number;
  payloadStart: number;
  /** Just past the payload (the message CRC follows). */
  payloadEnd: number;
  end: number;
}

/**
 * The message at `offset`, or undefined when `bytes` does not hold all of it yet. Throws (with the SDK's wording
 * for checksums) when the prelude or the message fails its CRC or declares impossible lengths.
 */
export function nextFrame(bytes: Buffer, offset: number): Frame | undefined {
  if (bytes.length - offset < PRELUDE_BYTES) return undefined;
  const length = bytes.readUInt32BE(offset);
  const headersLength = bytes.readUInt32BE(offset + 4);
  const preludeCrc = crc32(bytes.subarray(offset, offset + 8));
  const expectedPreludeCrc = bytes.readUInt32BE(offset + 8);
  if (preludeCrc !== expectedPreludeCrc) {
    throw new Error(`The prelude checksum specified in the message (${expectedPreludeCrc}) does not match the calculated CRC32 checksum (${preludeCrc})`);
  }
  if (length < MIN_MESSAGE_BYTES || headersLength > length - MIN_MESSAGE_BYTES) {
    throw new Error(`Invalid event stream message lengths: total ${length}, headers ${headersLength}`);
  }
  if (length > MAX_MESSAGE_BYTES) {
    throw new Error(`Event stream message of ${length} bytes exceeds the event-stream maximum of ${MAX_MESSAGE_BYTES}`);
  }
  if (bytes.length - offset < length) return undefined;
  const end = offset + length;
  const messageCrc = crc32(bytes.subarray(offset + 8, end - 4), preludeCrc);
  const expectedMessageCrc = bytes.readUInt32BE(end - 4);
  if (messageCrc !== expectedMessageCrc) {
    throw new Error(`The message checksum (${messageCrc}) did not match the expected value of ${expectedMessageCrc}`);
  }
  const headersStart = offset + PRELUDE_BYTES;
  return { headersStart, payloadStart: headersStart + headersLength, payloadEnd: end - 4, end };
}

/**
 * The bytes of a message whose end has not arrived yet. Reads are kept as they come and joined once, when the
 * message is complete (or, before that, its prelude can be checked): joining at every read would copy a large
 * message (an image delta of several MB, read 16 KiB at a time) hundreds of times over.
 */
export class PartialMessage {
  private parts: Buffer[] = [];
  private length = 0;
  /** Bytes needed before splitting can make progress: the prelude, then the whole message it declares. */
  private needed = PRELUDE_BYTES;

  get empty(): boolean {
    return this.length === 0;
  }

  /** Adds a read: everything held, joined, once there is enough to split; undefined until then. */
  add(chunk: Buffer): Buffer | undefined {
    if (this.length === 0 && chunk.length >= PRELUDE_BYTES) return chunk;
    this.parts.push(chunk);
    this.length += chunk.length;
    if (this.length < this.needed) return undefined;
    const bytes = Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    this.needed = PRELUDE_BYTES;
    return bytes;
  }

  /** Holds the tail of `bytes` from `offset` on, where splitting stopped (nothing when it used every byte). */
  keep(bytes: Buffer, offset: number): void {
    if (offset === bytes.length) return;
    const rest = bytes.subarray(offset);
    this.parts = [rest];
    this.length = rest.length;
    // A tail of 12 bytes or more has a checked prelude (nextFrame verified it before asking for more).
    this.needed = rest.length >= PRELUDE_BYTES ? rest.readUInt32BE(0) : PRELUDE_BYTES;
  }
}

/** The string headers Bedrock's messages are told apart by. */
export interface KnownHeaders {
  messageType?: string;
  eventType?: string;
  exceptionType?: string;
  errorCode?: string;
  errorMessage?: string;
}

/** Value sizes of the fixed-size header types (boolean true/false, byte, short, integer, long, timestamp, uuid). */
const FIXED_VALUE_BYTES: Readonly<Record<number, number>> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };
const BYTES_TYPE = 6;
const STRING_TYPE = 7;
const HEADER_NAMES = new Map<string, keyof KnownHeaders>([
  [":message-type", "messageType"],
  [":event-type", "eventType"],
  [":exception-type", "exceptionType"],
  [":error-code", "errorCode"],
  [":error-message", "errorMessage"],
]);

/** The string headers this decoder needs; every other header is skipped by its type's length rule. */
export function readHeaders(bytes: Buffer, start: number, end: number): KnownHeaders {
  const headers: KnownHeaders = {};
  let at = start;
  while (at < end) {
    const nameEnd = at + 1 + bytes[at];
    if (nameEnd >= end) throw new Error("Truncated event stream header");
    const type = bytes[nameEnd];
    let valueStart = nameEnd + 1;
    let valueEnd: number;
    if (type === STRING_TYPE || type === BYTES_TYPE) {
      if (valueStart + 2 > end) throw new Error("Truncated event stream header");
      valueEnd = valueStart + 2 + bytes.readUInt16BE(valueStart);
      valueStart += 2;
    } else if (Object.hasOwn(FIXED_VALUE_BYTES, type)) valueEnd = valueStart + FIXED_VALUE_BYTES[type];
    else throw new Error("Unrecognized header type tag");
    if (valueEnd > end) throw new Error("Truncated event stream header");
    const name = type === STRING_TYPE ? HEADER_NAMES.get(bytes.toString("latin1", at + 1, nameEnd)) : undefined;
    if (name) headers[name] = bytes.toString("utf8", valueStart, valueEnd);
    at = valueEnd;
  }
  return headers;
}

/**
 * {@link readHeaders} for a stream's messages, remembering the last message's header bytes: a stream's events of
 * one type carry byte-identical headers (event type, content type, message type), so most messages cost one
 * comparison instead of a parse.
 */
export class HeaderReader {
  private last: Buffer | undefined;
  private lastHeaders: KnownHeaders = {};

  read(bytes: Buffer, start: number, end: number): KnownHeaders {
    if (this.last !== undefined && this.last.compare(bytes, start, end) === 0) return this.lastHeaders;
    const headers = readHeaders(bytes, start, end);
    // A copy: a view would keep the whole read's buffer alive.
    this.last = Buffer.from(bytes.subarray(start, end));
    this.lastHeaders = headers;
    return headers;
  }
}
