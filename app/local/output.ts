import type { AnyResponse } from "./transport";
import { assembleMessage, type AnthropicEvent } from "./render-anthropic";
import { chunkFrame, EVENT_STREAM_CONTENT_TYPE, exceptionFrame, preStreamError, type InStreamExceptionName, type PreStreamErrorName } from "./wire";

/**
 * Where a reply's events go. Streaming operations write each event as a frame as soon as it is made; InvokeModel
 * collects them and answers once with the whole message, so the same engine and renderer serve both.
 */
export interface Output<Event> {
  /** Called once the reply starts (after `headersDelayMs`): the streaming 200 and its headers. */
  open(requestId: string): void;
  /** Writes (or keeps) events; false once the client has gone. */
  send(events: Event[]): Promise<boolean>;
  /** An `exception` step: an in-stream exception frame, or InvokeModel's error response. */
  fail(name: InStreamExceptionName, message: string): Promise<void>;
  /** The reply is complete. */
  finish(): void;
}

/** Writes with backpressure: 1,000 slow readers must not make the fake buffer without bound. */
async function write(res: AnyResponse, bytes: Uint8Array, closed: AbortSignal): Promise<boolean> {
  if (closed.aborted) return false;
  if (!res.write(bytes)) {
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done);
        closed.removeEventListener("abort", done);
        resolve();
      };
      res.once("drain", done);
      closed.addEventListener("abort", done, { once: true });
    });
  }
  return !closed.aborted;
}

/** An event stream (ConverseStream, InvokeModelWithResponseStream): `encode` turns one event into its frame. */
export function streamOutput<Event>(res: AnyResponse, closed: AbortSignal, encode: (event: Event) => Uint8Array): Output<Event> {
  return {
    open(requestId) {
      res.writeHead(200, { "content-type": EVENT_STREAM_CONTENT_TYPE, "x-amzn-requestid": requestId });
      res.flushHeaders?.();
    },
    async send(events) {
      for (const event of events) if (!(await write(res, encode(event), closed))) return false;
      return !closed.aborted;
    },
    async fail(name, message) {
      if (await write(res, exceptionFrame(name, message), closed)) res.end();
    },
    finish: () => res.end(),
  };
}

/** InvokeModel's error for what would have been an in-stream exception (it has no stream, so no in-stream errors). */
const INVOKE_ERROR: Record<InStreamExceptionName, PreStreamErrorName> = {
  throttlingException: "ThrottlingException",
  modelStreamErrorException: "ModelErrorException",
  validationException: "ValidationException",
  internalServerException: "InternalServerException",
  serviceUnavailableException: "ServiceUnavailableException",
};

/** InvokeModel for Claude: one JSON Messages response, with Bedrock's token-count and latency headers. */
export function messageOutput(res: AnyResponse, receivedAt: number): Output<AnthropicEvent> {
  const events: AnthropicEvent[] = [];
  let requestId = "";
  return {
    open(id) {
      requestId = id;
    },
    async send(more) {
      events.push(...more);
      return true;
    },
    async fail(name, message) {
      const error = preStreamError(INVOKE_ERROR[name], message);
      res.writeHead(error.status, { ...error.headers, "x-amzn-requestid": requestId });
      res.end(error.body);
    },
    finish() {
      const message = assembleMessage(events);
      res.writeHead(200, {
        "content-type": "application/json",
        "x-amzn-requestid": requestId,
        "x-amzn-bedrock-input-token-count": String(message.usage?.input_tokens ?? 0),
        "x-amzn-bedrock-output-token-count": String(message.usage?.output_tokens ?? 0),
        "x-amzn-bedrock-invocation-latency": String(Date.now() - receivedAt),
      });
      res.end(JSON.stringify(message));
    },
  };
}

/** One Anthropic event as InvokeModelWithResponseStream sends it: a `chunk` whose bytes are the event's JSON. */
export const encodeChunk = (event: AnthropicEvent): Uint8Array => chunkFrame(JSON.stringify(event));
