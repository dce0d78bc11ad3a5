import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type Harness, startHarness } from "./helpers/harness";
import { request } from "./helpers/http-client";
import { ServerProcess } from "./helpers/server-process";

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
const only = (html: string, tag: "script" | "style") => {
  const found = [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))];
  assert.equal(found.length, 1, `one inline <${tag}>`);
  return found[0][1];
};

describe("GET /playground: the page as served", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ STAGE_PREFIX: "v1" });
  });
  after(() => h.close());

  it("is one self-contained HTML page with a strict CSP that allows exactly its own inline script and style", async () => {
    const page = await request(h.url, { path: "/playground" });
    assert.equal(page.status, 200);
    assert.equal(page.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(page.headers["x-content-type-options"], "nosniff");
    assert.equal(page.headers["cache-control"], "no-cache");
    const csp = Object.fromEntries(
      String(page.headers["content-security-policy"]).split("; ").map((directive) => {
        const [name, ...values] = directive.split(" ");
        return [name, values.join(" ")];
      }),
    );
    assert.deepEqual(csp, {
      "default-src": "'none'",
      "script-src": sha256(only(page.text, "script")),
      "style-src": sha256(only(page.text, "style")),
      "connect-src": "'self'",
      "base-uri": "'none'",
      "form-action": "'none'",
      "frame-ancestors": "'none'",
    });
    // No CDN, nothing from elsewhere: the page works with no internet.
    assert.doesNotMatch(page.text, /\b(src|href)=|https?:\/\/|@import/);
    // The script calls the API relative to the page, so it works at /playground and /<stage>/playground alike.
    assert.match(page.text, /chat\/completions/);
  });

  it("is served under the stage prefix too, and answers HEAD", async () => {
    const direct = await request(h.url, { path: "/playground" });
    const staged = await request(h.url, { path: "/v1/playground" });
    assert.equal(staged.status, 200);
    assert.equal(staged.text, direct.text);
    const head = await request(h.url, { method: "HEAD", path: "/playground" });
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    assert.equal(head.headers["content-security-policy"], direct.headers["content-security-policy"]);
  });

  it("refuses other methods with 405 and the service's error body", async () => {
    const post = await request(h.url, { method: "POST", path: "/playground", body: {} });
    assert.equal(post.status, 405);
    assert.equal(post.json().error.code, "method_not_allowed");
  });

  it("is carried by the production bundle (no source files, no esbuild at run time), byte for byte", async () => {
    const bundled = await ServerProcess.start({});
    try {
      const fromBundle = await request(bundled.url, { path: "/playground" });
      const fromSource = await request(h.url, { path: "/playground" });
      assert.equal(fromBundle.status, 200);
      assert.equal(fromBundle.text, fromSource.text);
      assert.equal(fromBundle.headers["content-security-policy"], fromSource.headers["content-security-policy"]);
    } finally {
      await bundled.stop();
    }
  });
});
