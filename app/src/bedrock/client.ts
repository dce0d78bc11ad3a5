import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttp2Handler } from "@smithy/node-http-handler";

/**
 * Most ConverseStream calls that share one upstream HTTP/2 session. It bounds the blast radius: a session that is
 * reset fails at most this many streams; the next call opens a fresh session. Well below the 100+ concurrent
 * streams HTTP/2 servers commonly allow, so calls never queue behind a server's limit.
 */
export const MAX_STREAMS_PER_SESSION = 32;

type HandleArgs = Parameters<NodeHttp2Handler["handle"]>;

/**
 * The SDK's HTTP/2 handler, with ConverseStream calls multiplexed on kept-alive sessions.
 *
 * Why: the SDK gives every event-stream call an isolated session (`isEventStream` bypasses the pool, whatever
 * `disableConcurrentStreams` says), so each call pays a new TCP connection and TLS handshake to the VPC endpoint, and
 * every streamed event arrives on its own socket. Here the call goes through the handler's session pool instead:
 * sessions stay open between calls, carry up to {@link MAX_STREAMS_PER_SESSION} streams each, and a new one opens
 * when all are full. A stream whose reader stalls does not hold its session's others back: HTTP/2 flow control is
 * per stream, and Node returns the connection's window as data arrives. A session that fails (reset, GOAWAY) leaves
 * the pool at once, failing only its own streams.
 */
export class MultiplexedHttp2Handler extends NodeHttp2Handler {
  constructor(maxStreamsPerSession = MAX_STREAMS_PER_SESSION) {
    super({ disableConcurrentStreams: false, maxConcurrentStreams: maxStreamsPerSession });
  }

  override handle(request: HandleArgs[0], options?: HandleArgs[1]): ReturnType<NodeHttp2Handler["handle"]> {
    return super.handle(request, { ...options, isEventStream: false });
  }
}

/** The service's Bedrock client: the SDK's defaults (credentials, retries, region) with the multiplexed handler. */
export function createBedrockClient(region: string): BedrockRuntimeClient {
  return new BedrockRuntimeClient({ region, requestHandler: new MultiplexedHttp2Handler() });
}
