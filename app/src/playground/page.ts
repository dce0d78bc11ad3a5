import { createHash } from "node:crypto";
import type { Middleware } from "koa";
import { playgroundSources, type PlaygroundSources } from "./page-source";

/**
 * `GET /playground`: one self-contained page (no CDN, no second request), so it works offline and behind a single
 * API Gateway route. The script and stylesheet are inlined and allowed by their SHA-256 hashes; nothing else may
 * run or load, and the page may talk only to its own origin (the gateway's `/chat/completions` and `/models`).
 */

export interface PlaygroundPage {
  html: string;
  headers: Record<string, string>;
}

const STYLE_SLOT = "<style>/*STYLE*/</style>";
const SCRIPT_SLOT = "<script>/*SCRIPT*/</script>";

const hash = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

export function assemblePage({ html, css, script }: PlaygroundSources): PlaygroundPage {
  // Inlined text must not close its own element early (esbuild escapes `</script` in strings; this makes sure).
  if (/<\/script/i.test(script) || /<\/style/i.test(css) || !html.includes(STYLE_SLOT) || !html.includes(SCRIPT_SLOT)) {
    throw new Error("playground: the page's script or style cannot be inlined");
  }
  const page = html.replace(STYLE_SLOT, () => `<style>${css}</style>`).replace(SCRIPT_SLOT, () => `<script>${script}</script>`);
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src ${hash(script)}`,
    `style-src ${hash(css)}`,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return {
    html: page,
    headers: {
      "Content-Security-Policy": contentSecurityPolicy,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cross-Origin-Opener-Policy": "same-origin",
      // Always revalidated: a new deployment's page (and its hashes) must replace a cached one at once.
      "Cache-Control": "no-cache",
    },
  };
}

let page: PlaygroundPage | undefined;

/** The page handler; the page is assembled once, when the first app of this process is built. */
export function playgroundHandler(): Middleware {
  page ??= assemblePage(playgroundSources());
  const { html, headers } = page;
  return (ctx) => {
    ctx.set(headers);
    ctx.type = "text/html; charset=utf-8";
    ctx.body = html;
  };
}
