import assert from "node:assert/strict";

/** Every error body: exactly `{"error":{"code","message"}}`, JSON, and never a stack trace. */
export function assertErrorBody(reply: { status: number; headers: Record<string, unknown>; text: string }, status: number, code: string): string {
  assert.equal(reply.status, status, reply.text);
  assert.match(String(reply.headers["content-type"]), /^application\/json/);
  const body = JSON.parse(reply.text);
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message"]);
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, "string");
  assert.doesNotMatch(reply.text, /\bat .+:\d+:\d+|node_modules|\.ts\b/, "no stack trace or source path in the body");
  return body.error.message;
}

/**
 * Asserts that every request the service logged from `from` on was answered below 400: a client session (Claude
 * Code's probes, retries and side requests included) met no refusal. Names each failure by method, path and code.
 */
export function assertNoFailedRequests(logs: Record<string, any>[], from: number): void {
  const lines = logs.slice(from).filter((line) => typeof line.status === "number");
  assert.ok(lines.length > 0, "the session's requests were logged");
  const failed = lines.filter((line) => line.status >= 400).map((line) => `${line.method} ${line.path} ${line.status} ${line.errorCode}`);
  assert.deepEqual(failed, [], "every request of the session was answered without a 4xx or 5xx");
}
