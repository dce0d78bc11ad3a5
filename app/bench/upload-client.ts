import http from "node:http";

/**
 * One upload of a large body over a fresh connection (`Connection: close`, as Node's client sends without an agent),
 * told apart the way issue 20 item 12 counts: answered (with the status), left without an answer (reset or broken
 * pipe first), or answered and then failed while still sending (the server closed on an upload in progress).
 * The large-bodies bench tallies these; the tests assert on them.
 */
export interface UploadOutcome {
  /** The answer's status; undefined when none arrived. */
  status?: number;
  headers: http.IncomingHttpHeaders;
  /** The answer's body (only kept for small answers: refusals and short replies). */
  text: string;
  /** Error code before any answer arrived (ECONNRESET, EPIPE...). */
  error?: string;
  /** Error code after the answer arrived: the request was still being written when the server closed. */
  lateError?: string;
}

export interface UploadOptions {
  /** Send only this many bytes of the body, then stall (never end the request) until the server answers. */
  stallAfterBytes?: number;
  /** Give up after this long (the outcome so far; the connection is destroyed). */
  giveUpMs?: number;
}

const KEPT_ANSWER_BYTES = 64 * 1024;

/** POSTs `body` (JSON) to `url`; resolves once the exchange is over, never rejects. */
export function upload(url: string, body: Buffer, options: UploadOptions = {}): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const outcome: UploadOutcome = { headers: {}, text: "" };
    const req = http.request(url, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": body.length },
    });
    const done = () => {
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => {
      req.destroy();
      done();
    }, options.giveUpMs ?? 120_000);
    req.on("error", (err: Error & { code?: string }) => {
      const code = err.code ?? err.message;
      if (outcome.status === undefined) outcome.error ??= code;
      else outcome.lateError ??= code;
    });
    // Only once the request is over: a write error after the answer still counts.
    req.on("close", done);
    req.on("response", (res) => {
      outcome.status = res.statusCode;
      outcome.headers = res.headers;
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on("data", (chunk: Buffer) => {
        if (kept < KEPT_ANSWER_BYTES) chunks.push(chunk);
        kept += chunk.length;
      });
      res.on("end", () => {
        outcome.text = Buffer.concat(chunks).toString("utf8");
        // A stalled upload has nothing more to send once answered.
        if (options.stallAfterBytes !== undefined) req.destroy();
      });
      res.on("error", () => undefined);
    });
    if (options.stallAfterBytes === undefined) req.end(body);
    else req.write(body.subarray(0, options.stallAfterBytes));
  });
}
