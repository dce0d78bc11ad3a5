import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";

/**
 * The ConverseStream wire format, in one place: event-stream frames for the 200 response, and the restJson1 error
 * responses the SDK parses before a stream starts. Names and statuses come from the SDK's own service model
 * (`@aws-sdk/client-bedrock-runtime`, `ConverseStreamOutput$` union and each error's `httpError` trait).
 */

/** Exceptions the `ConverseStreamOutput` union carries inside the stream (lower camel case, as on the wire). */
export const IN_STREAM_EXCEPTIONS = [
  "throttlingException",
  "modelStreamErrorException",
  "validationException",
  "internalServerException",
  "serviceUnavailableException",
] as const;
export type InStreamExceptionName = (typeof IN_STREAM_EXCEPTIONS)[number];

/** Pre-stream errors of ConverseStream with the HTTP status the SDK's model assigns to each. */
export const PRE_STREAM_ERROR_STATUS = {
  ValidationException: 400,
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ModelErrorException: 424,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  ServiceQuotaExceededException: 400,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
} as const;
export type PreStreamErrorName = keyof typeof PRE_STREAM_ERROR_STATUS;
export const PRE_STREAM_ERRORS = Object.keys(PRE_STREAM_ERROR_STATUS) as PreStreamErrorName[];

export const EVENT_STREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream";

/** Bedrock suffixes its error type header with a namespace URL; the SDK strips everything after ':'. */
const ERROR_TYPE_NAMESPACE = ":http://internal.amazon.com/coral/com.amazon.bedrock/";

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/**
 * Real Bedrock pads every event with a random-length "p" field (a prefix of this alphabet) so payload sizes do not
 * leak token lengths. We do the same: it proves the client ignores fields it does not know.
 */
const PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
function padding(): string {
  return PADDING_ALPHABET.slice(0, 1 + Math.floor(Math.random() * PADDING_ALPHABET.length));
}

function frame(headers: Record<string, string>, body: unknown): Uint8Array {
  const encodedHeaders = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, { type: "string" as const, value }]),
  );
  return codec.encode({ headers: encodedHeaders, body: fromUtf8(JSON.stringify(body)) });
}

/** One `:message-type=event` frame, e.g. `eventFrame("contentBlockDelta", {contentBlockIndex: 0, delta: {text}})`. */
export function eventFrame(eventType: string, payload: Record<string, unknown>): Uint8Array {
  return frame(
    { ":message-type": "event", ":event-type": eventType, ":content-type": "application/json" },
    { ...payload, p: padding() },
  );
}

/** One `:message-type=exception` frame; the SDK throws it from the `for await` loop as the matching error class. */
export function exceptionFrame(name: InStreamExceptionName, message: string): Uint8Array {
  return frame(
    { ":message-type": "exception", ":exception-type": name, ":content-type": "application/json" },
    { message },
  );
}

/** Status, headers and body of a pre-stream error in the restJson1 form the SDK deserializes. */
export function preStreamError(
  type: PreStreamErrorName | "UnknownOperationException",
  message: string,
  status?: number,
): { status: number; headers: Record<string, string>; body: string } {
  const defaultStatus = type === "UnknownOperationException" ? 404 : PRE_STREAM_ERROR_STATUS[type];
  return {
    status: status ?? defaultStatus,
    headers: { "content-type": "application/json", "x-amzn-errortype": `${type}${ERROR_TYPE_NAMESPACE}` },
    body: JSON.stringify({ message }),
  };
}

/** Decodes frames (for tests and tools that read the fake's raw output without the SDK). */
export function decodeFrame(bytes: Uint8Array): { headers: Record<string, string>; body: unknown } {
  const message = codec.decode(bytes);
  const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v.value)]));
  return { headers, body: JSON.parse(toUtf8(message.body)) };
}

/** InvokeModelWithResponseStream's `chunk` event: `{"bytes": <base64 of the model's own event JSON>}` (PayloadPart). */
export function chunkFrame(json: string): Uint8Array {
  return eventFrame("chunk", { bytes: Buffer.from(json, "utf8").toString("base64") });
}
