import type { Readable } from "node:stream";
import type {
  BedrockRuntimeClient,
  BedrockRuntimeClientConfig,
  ConverseStreamCommandOutput,
  ConverseStreamOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { eventStreamSerdeProvider, HeaderMarshaller, type Message } from "@smithy/core/event-streams";
import { chunkFromPayload } from "./chunk-payload";
import { converseEvent, isFastEventType } from "./converse-event-shapes";
import { type Frame, HeaderReader, nextFrame, PartialMessage } from "./event-stream-frames";

type SerdeProvider = NonNullable<BedrockRuntimeClientConfig["eventStreamSerdeProvider"]>;
type Marshaller = ReturnType<SerdeProvider>;
/** The SDK's per-message deserializer (`{[event type]: message}` -> the union's member, or `{$unknown}`). */
type Deserializer = (input: Record<string, Message>) => Promise<unknown>;

/**
 * The event-stream marshaller of the service's Bedrock client (the SDK's `eventStreamSerdeProvider` option).
 *
 * Why: the SDK decodes a ConverseStream through five async generators, a copy of every chunk and an async schema
 * walk per message, so each streamed token costs a dozen promise jobs. This one reads the HTTP/2 body with
 * `read()` (everything buffered so far at once), splits and checks the messages itself (both CRCs with Node's
 * native `zlib.crc32`) and yields one array of the SDK's events per read: an upstream read costs one step
 * whatever number of tokens it carried. Events it cannot build exactly as the SDK would, in-stream exceptions and
 * unknown event types go through the SDK's own deserializer, so errors and `$unknown` skipping stay the SDK's.
 * Serializing (input event streams, which ConverseStream has none of) stays the SDK's.
 */
export class BatchingEventStreamMarshaller implements Marshaller {
  private readonly sdk: Marshaller;
  /** Builds the SDK's message headers for the events its own deserializer must handle (the CRCs are checked). */
  private readonly headers: HeaderMarshaller;

  constructor(options: { utf8Encoder: (bytes: Uint8Array) => string; utf8Decoder: (text: string) => Uint8Array }) {
    this.sdk = eventStreamSerdeProvider(options);
    this.headers = new HeaderMarshaller(options.utf8Encoder, options.utf8Decoder);
  }

  /**
   * Yields arrays of events although the SDK's type says events: {@link converseBatches} is the one place that
   * reads them, and casts them back. The SDK's `EventStreamSerde` only passes the values through.
   */
  deserialize<T>(body: unknown, deserializer: (input: Record<string, Message>) => Promise<T>): AsyncIterable<T> {
    const batches = isReadable(body)
      ? new EventBatches(body, deserializer as Deserializer, this.headers)
      : singles(this.sdk.deserialize(body, deserializer));
    return { [Symbol.asyncIterator]: () => batches } as AsyncIterable<unknown> as AsyncIterable<T>;
  }

  serialize<T>(input: AsyncIterable<T>, serializer: (event: T) => Message): unknown {
    return this.sdk.serialize(input, serializer);
  }
}

/** The provider to pass as `eventStreamSerdeProvider` in a `BedrockRuntimeClient`'s configuration. */
export const batchingEventStreamSerdeProvider: SerdeProvider = (options) => new BatchingEventStreamMarshaller(options);

/**
 * A ConverseStream response's events, one array per upstream read. A client built with
 * {@link batchingEventStreamSerdeProvider} already yields arrays (the cast below is where the SDK's declared type,
 * one event per step, is corrected); any other client (the SDK's default serde) gets each event wrapped.
 */
export function converseBatches(client: BedrockRuntimeClient, response: ConverseStreamCommandOutput): AsyncIterable<ConverseStreamOutput[]> {
  return eventBatches(client, response.stream);
}

/** Any event stream of the client (e.g. InvokeModelWithResponseStream's `body`), one array per upstream read. */
export function eventBatches<T>(client: BedrockRuntimeClient, events: AsyncIterable<T> | undefined): AsyncIterable<T[]> {
  const stream = events ?? (async function* () {})();
  if (client.config.eventStreamMarshaller instanceof BatchingEventStreamMarshaller) {
    return stream as AsyncIterable<unknown> as AsyncIterable<T[]>;
  }
  return { [Symbol.asyncIterator]: () => singles(stream) };
}

async function* singles<T>(events: AsyncIterable<T>): AsyncGenerator<T[]> {
  for await (const event of events) yield [event];
}

function isReadable(body: unknown): body is Readable {
  return typeof (body as Readable | undefined)?.read === "function" && typeof (body as Readable).on === "function";
}

/** An error shaped like Node's own for a stream that closed before its end. */
function prematureClose(): Error {
  return Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" });
}

/**
 * Reads only when asked for the next batch, so HTTP/2 flow control holds Bedrock back while our client is slow.
 * An error, a close before the end, or a bad message ends the iteration with that error, after the events that
 * preceded it (as the SDK would have yielded them one by one).
 */
class EventBatches implements AsyncIterator<unknown[]> {
  private readonly partial = new PartialMessage();
  private readonly headerReader = new HeaderReader();
  /** What ends the iteration once the events before it are delivered. */
  private failure: Error | Promise<Error> | undefined;
  private ended = false;
  private finished = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly body: Readable,
    private readonly deserializer: Deserializer,
    private readonly headers: HeaderMarshaller,
  ) {
    body.on("readable", this.signal);
    body.once("end", () => ((this.ended = true), this.signal()));
    body.on("error", (err: Error) => ((this.failure ??= err), this.signal()));
    body.once("close", () => (this.ended || (this.failure ??= prematureClose()), this.signal()));
  }

  private readonly signal = (): void => {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  async next(): Promise<IteratorResult<unknown[]>> {
    for (;;) {
      if (this.finished) return { done: true, value: undefined };
      if (this.failure) {
        this.finished = true;
        throw await this.failure;
      }
      const chunk = this.body.read() as Buffer | null;
      if (chunk !== null) {
        const bytes = this.partial.add(chunk);
        if (bytes === undefined) continue;
        const batch = this.decode(bytes);
        const events = batch.pending ? await this.settle(batch.events) : batch.events;
        if (events.length > 0) return { done: false, value: events };
      } else if (this.ended) {
        if (!this.partial.empty) this.failure = new Error("Truncated event message received.");
        else this.finished = true;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  /**
   * Stops reading: a body that has not ended is destroyed, which cancels the HTTP/2 stream. A direct reader's path
   * only: through the SDK, its wrapper generator does not forward `return()`, and the call's abort signal
   * (`UpstreamCall.dispose`) is what cancels the stream.
   */
  return(): Promise<IteratorResult<unknown[]>> {
    this.finished = true;
    if (!this.ended) this.body.destroy();
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Awaits the events the SDK's deserializer is building (every one: none may reject unhandled); the first that fails ends the batch and the stream. */
  private async settle(events: unknown[]): Promise<unknown[]> {
    const settled: unknown[] = [];
    for (const result of await Promise.allSettled(events)) {
      if (result.status === "rejected") {
        this.failure = result.reason as Error;
        break;
      }
      if (!(result.value as { $unknown?: unknown }).$unknown) settled.push(result.value);
    }
    return settled;
  }

  /** Splits the complete messages off `bytes`; a bad one becomes the failure and ends the split. */
  private decode(bytes: Buffer): { events: unknown[]; pending: boolean } {
    const events: unknown[] = [];
    let pending = false;
    let offset = 0;
    try {
      for (let frame = nextFrame(bytes, offset); frame; frame = nextFrame(bytes, offset)) {
        const event = this.message(bytes, frame);
        offset = frame.end;
        if (event instanceof Promise) pending = true;
        if (event !== undefined) events.push(event);
        if (this.failure) break;
      }
      this.partial.keep(bytes, offset);
    } catch (err) {
      this.failure = err as Error;
    }
    return { events, pending };
  }

  /** One checked message: its event, a promise of it (the SDK's deserializer), or undefined when it ends the stream. */
  private message(bytes: Buffer, { headersStart, payloadStart, payloadEnd }: Frame): unknown {
    const headers = this.headerReader.read(bytes, headersStart, payloadStart);
    if (headers.messageType === "event" && headers.eventType === "chunk") {
      const chunk = chunkFromPayload(bytes, payloadStart, payloadEnd);
      if (chunk) return chunk;
    }
    if (headers.messageType === "event" && headers.eventType !== undefined && isFastEventType(headers.eventType)) {
      const event = converseEvent(headers.eventType, JSON.parse(bytes.toString("utf8", payloadStart, payloadEnd)));
      if (event) return event;
    }
    // The SDK's message, built from the frame nextFrame already checked (the SDK's codec would check both CRCs again,
    // in JavaScript: an image delta is megabytes).
    const message: Message = {
      headers: this.headers.parse(new DataView(bytes.buffer, bytes.byteOffset + headersStart, payloadStart - headersStart)),
      body: new Uint8Array(bytes.buffer, bytes.byteOffset + payloadStart, payloadEnd - payloadStart),
    };
    if (headers.messageType === "event") return this.deserializer({ [headers.eventType ?? ""]: message });
    if (headers.messageType === "exception") this.failure = this.exception(headers.exceptionType ?? "", message);
    else if (headers.messageType === "error") {
      this.failure = Object.assign(new Error(headers.errorMessage || "UnknownError"), { name: headers.errorCode });
    } else this.failure = new Error(`Unrecognizable event type: ${headers.eventType}`);
    return undefined;
  }

  /**
   * The modeled exception, exactly as the SDK's `getMessageUnmarshaller` builds it; a failure to build it is the error
   * instead (the SDK throws it), never a rejection: if the reader leaves first, nobody awaits this.
   */
  private async exception(code: string, message: Message): Promise<Error> {
    const built = this.deserializer({ [code]: message }).catch((err: unknown) => ({ [code]: err }));
    const deserialized = (await built) as Record<string, unknown>;
    if (deserialized.$unknown) {
      return Object.assign(new Error(Buffer.from(message.body).toString("utf8")), { name: code });
    }
    return deserialized[code] as Error;
  }
}
