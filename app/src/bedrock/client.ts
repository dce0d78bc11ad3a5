import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttp2Handler } from "@smithy/node-http-handler";
import { leanClient } from "../lean-aws-client";
import { batchingEventStreamSerdeProvider } from "./event-stream-decoder";

/**
 * Most ConverseStream calls that share one upstream HTTP/2 session. It bounds the blast radius: a session that is
 * reset fails at most this many streams; the next call opens a fresh session. Well below the 100+ concurrent
 * streams HTTP/2 servers commonly allow, so calls never queue behind a server's limit.
 */
export const MAX_STREAMS_PER_SESSION = 32;

/**
 * A session with no traffic for this long is closed. Idle TCP flows through an interface VPC endpoint are dropped
 * after 350 s; a session kept past that would cost the next call a reset and a retry. A stream is never silent this
 * long in practice: the upstream idle timeout (60 s by default) ends it first.
 */
export const SESSION_IDLE_TIMEOUT_MS = 300_000;

type HandleArgs = Parameters<NodeHttp2Handler["handle"]>;

/**
 * The SDK's HTTP/2 handler, with ConverseStream calls multiplexed on kept-alive sessions.
 *
 * Why: the SDK gives every event-stream call an isolated session (`isEventStream` bypasses the pool, whatever
 * `disableConcurrentStreams` says), so each call pays a new TCP connection and TLS handshake to the VPC endpoint,
 * and every streamed event arrives on its own socket. Here the call goes through the handler's session pool instead:
 * sessions stay open between calls and carry up to {@link MAX_STREAMS_PER_SESSION} streams each; a new one opens
 * when all are full, and an idle one closes after {@link SESSION_IDLE_TIMEOUT_MS}. A stream whose reader stalls
 * does not hold its session's others back: HTTP/2 flow control is per stream, and Node returns the connection's
 * window as data arrives. A session that fails (reset, GOAWAY) leaves the pool at once, failing only its own streams.
 */
export class MultiplexedHttp2Handler extends NodeHttp2Handler {
  constructor({ maxStreamsPerSession = MAX_STREAMS_PER_SESSION, sessionIdleTimeoutMs = SESSION_IDLE_TIMEOUT_MS } = {}) {
    super({
      disableConcurrentStreams: false,
      maxConcurrentStreams: maxStreamsPerSession,
      // The handler's name for it; it applies to a session with no traffic at all (`Http2Session.setTimeout`).
      sessionTimeout: sessionIdleTimeoutMs,
    });
  }

  override handle(request: HandleArgs[0], options?: HandleArgs[1]): ReturnType<NodeHttp2Handler["handle"]> {
    return super.handle(request, { ...options, isEventStream: false });
  }
}

/**
 * The service's Bedrock client: the SDK's defaults (credentials, region), no SDK retries, with the multiplexed handler and
 * the batching event-stream decoder (`event-stream-decoder.ts`), without the middleware it does not need (`lean-aws-client.ts`).
 */
export function createBedrockClient(region: string): BedrockRuntimeClient {
  return leanClient(
    new BedrockRuntimeClient({
      region,
      // One attempt per send: the service retries a call that has not started streaming itself, with its own
      // budget, fallbacks and metrics (app/src/resilience/upstream-start.ts); SDK retries would multiply them.
      maxAttempts: 1,
      requestHandler: new MultiplexedHttp2Handler(),
      eventStreamSerdeProvider: batchingEventStreamSerdeProvider,
    }),
  );
}
