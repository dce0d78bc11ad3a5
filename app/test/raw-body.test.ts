import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { bodyParser } from "@koa/bodyparser";
import Koa from "koa";
import { dropRawBody } from "../src/http/body-memory";

describe("the body parser's copy of the body's text", () => {
  it("is dropped once the body is parsed; the parsed value stays", async () => {
    const app = new Koa();
    let seen: { raw: unknown; body: unknown } | undefined;
    app.use(bodyParser({ enableTypes: ["json"] }));
    app.use(dropRawBody());
    app.use((ctx) => {
      seen = { raw: (ctx.request as { rawBody?: unknown }).rawBody, body: ctx.request.body };
      ctx.body = { ok: true };
    });
    const server = app.listen(0, "127.0.0.1");
    await once(server, "listening");
    try {
      const { port } = server.address() as AddressInfo;
      const text = "x".repeat(100_000);
      const res = await fetch(`http://127.0.0.1:${port}/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ message: text }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(seen?.body, { message: text });
      assert.equal(seen?.raw, undefined);
    } finally {
      server.close();
    }
  });
});
