import { createHash, randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import type { Logger } from "pino";
import type { AppState, RequestRecord } from "./request-record";
import { GATEWAY_REQUEST_ID_HEADER } from "../runtime-contract";
import { looksLikeKey } from "./secret-shapes";

export const REQUEST_ID_HEADER = "X-Request-Id";
/**
 * Where API Gateway's request id arrives, first choice first: the header the integrations map `$context.requestId`
 * into (see the runtime contract), then `x-amzn-requestid`. Reusing it joins our logs with API Gateway's.
 */
const INCOMING_REQUEST_ID_HEADERS = [GATEWAY_REQUEST_ID_HEADER, "x-amzn-requestid"];
/** Only plausible ids are reused: they end up in logs and a response header. */
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

const elapsedMs = (from: number, to = performance.now()) => Math.round((to - from) * 10) / 10;

/** The request id for a request with these headers: API Gateway's when it sent a plausible one, else a new one. */
export function requestIdFor(header: (name: string) => string | string[] | undefined): string {
  const claimed = INCOMING_REQUEST_ID_HEADERS.map((name) => header(name)).find(
    (id): id is string => typeof id === "string" && SAFE_REQUEST_ID.test(id),
  );
  return claimed ?? randomUUID();
}

/** A request as the log line names it; `path` and `method` are null when Node could not even parse the request. */
export interface LoggedRequest {
  method: string | null;
  path: string | null;
  status: number;
}

/**
 * Writes a request's one log line. Shared by the Koa middleware and the server's edge (answers Node gives before
 * any route is known), so every answered request gets the same line whatever answered it.
 */
export function writeRequestLine(logger: Logger, record: RequestRecord, request: LoggedRequest): void {
  const error = record.error;
  const fields = {
    requestId: record.requestId,
    method: request.method,
    route: record.route ?? null,
    format: record.format ?? null,
    model: record.model ?? null,
    fallbackFrom: record.fallbackFrom ?? null,
    attempts: record.attempts ?? null,
    apiKey: record.apiKeyName ?? null,
    userTag: record.userTag === undefined ? null : opaqueTag(record.userTag),
    path: loggedPath(record, request.path),
    status: request.status,
    durationMs: elapsedMs(record.startedAt),
    ttftMs: record.firstTokenAt === undefined ? null : elapsedMs(record.startedAt, record.firstTokenAt),
    deltas: record.deltas,
    usage: record.usage ?? record.estimatedUsage ?? null,
    usageEstimated: record.estimatedUsage !== undefined,
    stopReason: record.stopReason ?? null,
    ...(record.betasDropped ? { betasDropped: record.betasDropped } : {}),
    aborted: ABORTING_CODES.has(error?.code ?? ""),
    errorCode: error?.code ?? null,
    upstreamRequestId: error?.upstreamRequestId ?? null,
  };
  const level = error?.logLevel ?? "info";
  // The cause goes through the logger's allow-list serializer; only for server-side failures, never client input.
  const cause = level === "error" ? { cause: error?.cause } : {};
  logger[level]({ ...fields, ...cause }, summary(error?.code));
}

/**
 * One structured log line per request, written when the request is over (for `/stream`, when the stream ended):
 * request id, route, status, duration, time to first token, usage, stop reason, whether it was aborted and the
 * error code. Never the body or the reply: prompts stay out of the logs.
 */
export function requestLog(logger: Logger): Middleware<AppState> {
  return async (ctx, next) => {
    const requestId = requestIdFor((name) => ctx.get(name) || undefined);
    const record: RequestRecord = { requestId, startedAt: performance.now(), deltas: 0 };
    ctx.state.record = record;
    ctx.set(REQUEST_ID_HEADER, requestId);
    await next();
    writeRequestLine(logger, record, { method: ctx.method, path: ctx.path, status: ctx.status });
  };
}

/**
 * A caller's tag as logged: kept when it looks like an identifier, else replaced by a hash of it, so free text a
 * client put there (it could be anything) never reaches the logs while equal tags still group together. A tag
 * shaped like a key (a caller that pasted its secret there) is hashed too, though its characters are harmless.
 */
function opaqueTag(tag: string): string {
  return SAFE_REQUEST_ID.test(tag) && !looksLikeKey(tag) ? tag : digest(tag);
}

/**
 * A matched route's path is one of its known forms (with or without the stage) and is logged as is; any other path
 * is whatever the client sent (a key pasted into a URL, a prompt), so it is logged as a digest: 404s still group.
 */
function loggedPath(record: RequestRecord, path: string | null): string | null {
  return path === null || record.route !== undefined ? path : digest(path);
}

const digest = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;

/** Failures that cut a running Bedrock call short (the call is aborted through its AbortSignal). */
const ABORTING_CODES = new Set(["client_closed", "shutting_down", "upstream_timeout"]);

function summary(code: string | undefined): string {
  if (code === undefined) return "request completed";
  if (code === "client_closed") return "client aborted the request (a Bedrock call it had started is cancelled)";
  if (code === "upstream_misconfigured") {
    return "request failed: Bedrock refused the server's own call (check the task role's IAM policy, MODEL_ID, region)";
  }
  return "request failed";
}
