import pino, { type DestinationStream, type Logger } from "pino";
import type { AppConfig } from "./config";
import { SERVICE_NAME, StdoutSink } from "./log-sink";

/** How long the process waits for buffered log lines on exit: well inside the stop timeout's margin. */
const EXIT_FLUSH_MS = 3000;
const sinks = new WeakMap<Logger, StdoutSink>();

/** How deep `cause` chains are followed: enough for SDK wrappers, bounded against cycles. */
const MAX_CAUSE_DEPTH = 3;
/**
 * Errors whose message (and so the stack's first line) can quote the request: JSON parse errors quote the body,
 * Node's HTTP parser errors come with the raw request bytes. Only their type and code are logged.
 */
const QUOTES_CLIENT_BYTES = (err: Error & { code?: unknown; type?: unknown }) =>
  err instanceof SyntaxError ||
  "rawPacket" in err ||
  (typeof err.code === "string" && err.code.startsWith("HPE_")) ||
  (typeof err.type === "string" && err.type.startsWith("entity."));

type ErrorDetails = Error & {
  code?: unknown;
  $fault?: unknown;
  $metadata?: { requestId?: unknown; httpStatusCode?: unknown };
};

/**
 * The one way an error reaches a log line: an allow-list of fields, never the whole object. A spread of an
 * arbitrary error would carry whatever a library attached to it (Node's parser errors carry `rawPacket`, the raw
 * request bytes including `x-api-key`; SDK errors carry response bodies). Stack traces are kept for our own bugs,
 * not for upstream faults (`$fault`), where the upstream request id is what an operator needs.
 */
export function serializeError(value: unknown, depth = 0): Record<string, unknown> | undefined {
  if (!(value instanceof Error)) return value === undefined ? undefined : { type: typeof value };
  const err = value as ErrorDetails;
  const quotesClient = QUOTES_CLIENT_BYTES(err);
  const stack = typeof err.stack === "string" ? err.stack : undefined;
  return {
    type: err.name,
    code: typeof err.code === "string" || typeof err.code === "number" ? err.code : undefined,
    message: quotesClient ? undefined : err.message,
    fault: typeof err.$fault === "string" ? err.$fault : undefined,
    upstreamRequestId: typeof err.$metadata?.requestId === "string" ? err.$metadata.requestId : undefined,
    upstreamStatus: typeof err.$metadata?.httpStatusCode === "number" ? err.$metadata.httpStatusCode : undefined,
    // The first line of a stack repeats the message: only the frames when the message is withheld.
    stack: err.$fault || !stack ? undefined : quotesClient ? stack.split("\n").slice(1).join("\n") : stack,
    cause: depth < MAX_CAUSE_DEPTH && err.cause !== undefined ? serializeError(err.cause, depth + 1) : undefined,
  };
}

/**
 * JSON lines on stdout (CloudWatch via the awslogs driver), level as a word and an ISO time, so a log query can
 * filter `level = "error"` without knowing pino's numbers. `destination` lets tests capture the lines; by default
 * they go to stdout through a bounded, ordered {@link StdoutSink}.
 */
export function createLogger(level: AppConfig["logLevel"], destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: SERVICE_NAME },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    serializers: { err: serializeError, cause: serializeError },
  };
  if (destination) return pino(options, destination);
  const sink = new StdoutSink();
  const logger = pino(options, sink);
  sinks.set(logger, sink);
  return logger;
}

/** Before exiting (no line may follow): waits, bounded, until the buffered lines are written, so they are not lost. */
export function flushLogs(logger: Logger): Promise<void> {
  return sinks.get(logger)?.flush(EXIT_FLUSH_MS) ?? Promise.resolve();
}
