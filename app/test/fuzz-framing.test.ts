import assert from "node:assert/strict";
import { assertNoCanary } from "./helpers/canary";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { seededRandom } from "./helpers/random-requests";
import { rawExchange } from "./helpers/raw-socket";

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const CASES = Number(process.env.FUZZ_FRAMING_CASES ?? 240);
const CONCURRENCY = 8;
const CANARY_KEY = "fuzz-canary-key-8e21";
const CANARY_PROMPT = "fuzz-canary-prompt-3b7d";

const REQUEST_LINES = ["POST /stream HTTP/1.1", "GET /health HTTP/1.1", "POST /stream HTTP/1.0", "PUT /stream HTTP/1.1"];
/** Pieces that exercise the parser's states: header syntax, framing headers, chunk syntax, bare bytes. */
const FRAGMENTS = [
  "\r\n", "\r\n\r\n", "\n", "\r", ":", " ", "\t", "Host: fuzz\r\n", "Content-Length: 5\r\n", "Content-Length: -1\r\n",
  "Content-Length: 99999999999999999999\r\n", "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip, chunked\r\n",
  "Content-Type: application/json\r\n", "Content-Encoding: gzip\r\n", "Expect: 100-continue\r\n", "Expect: nope\r\n",
  "Connection: keep-alive\r\n", "0\r\n\r\n", "5\r\nhello\r\n", "ffffffffffffffff\r\n", "zz\r\n", ";ext=1", `{"message":"${CANARY_PROMPT}"}`,
  `x-api-key: ${CANARY_KEY}\r\n`, CANARY_PROMPT, "\u0000", "\u00ff\u00fe", "GET / HTTP/1.1\r\n",
];

/** Every response in what the server sent: status and body (cut by Content-Length). */
function responses(raw: string): Array<{ status: number; body: string; headers: Record<string, string> }> {
  const found = [];
  let rest = raw;
  while (rest.startsWith("HTTP/1.1 ")) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split("\r\n");
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
    const length = Number(headers["content-length"] ?? 0);
    found.push({ status: Number(statusLine.split(" ")[1]), body: rest.slice(end + 4, end + 4 + length), headers });
    rest = headers["transfer-encoding"] ? "" : rest.slice(end + 4 + length);
  }
  return found;
}

describe(`fuzzing the raw framing (${CASES} requests: a valid request line, then random bytes; seed ${SEED})`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ BODY_LIMIT_BYTES: "4096" }, {}, undefined, { requestTimeoutMs: 300 });
    h.fake.setScenario({ steps: [{ text: "fuzz" }] });
  });
  after(() => h.close());

  it("never crashes, never answers an error without the JSON body, never logs client bytes", async function () {
    this.timeout(120_000);
    const random = seededRandom(SEED);
    const cases = Array.from({ length: CASES }, () => {
      let bytes = `${REQUEST_LINES[Math.floor(random() * REQUEST_LINES.length)]}\r\n${random() < 0.6 ? "Host: fuzz\r\n" : ""}`;
      const parts = Math.floor(random() * 12);
      for (let i = 0; i < parts; i++) {
        bytes += random() < 0.8
          ? FRAGMENTS[Math.floor(random() * FRAGMENTS.length)]
          : String.fromCharCode(...Array.from({ length: 1 + Math.floor(random() * 24) }, () => Math.floor(random() * 256)));
      }
      return bytes;
    });
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const index = next++;
        const reply = await rawExchange(h.url, Buffer.from(cases[index], "latin1"), { waitMs: 1500 });
        for (const response of responses(reply.raw)) {
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          const where = `case ${index} (seed ${SEED}): ${JSON.stringify(cases[index].slice(0, 120))} -> ${response.status}`;
          assert.ok(response.status < 500 || response.status === 503, `${where}: no server error`);
          if (response.status < 400) continue;
          const body = JSON.parse(response.body);
          assert.equal(typeof body.error.code, "string", where);
          assert.ok(response.headers["x-request-id"], `${where}: X-Request-Id`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.log(`      statuses: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}x${n}`).join(" ")}`);
    assert.ok(statuses.size >= 3, "the cases reach several kinds of answer");
    assert.equal((await request(h.url, { path: "/health" })).status, 200, "still serving");
    assertNoCanary(h.logs, CANARY_KEY);
    assertNoCanary(h.logs, CANARY_PROMPT);
    assert.deepEqual(h.logs.filter((line) => line.level === "error" || line.level === "fatal"), []);
  });
});
