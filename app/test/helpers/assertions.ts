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
