import { StringDecoder } from "node:string_decoder";

/**
 * Stand-in for `iconv-lite` in the production bundle only (see app/build.mjs).
 *
 * Why: `raw-body` (under `@koa/bodyparser`) needs iconv-lite for one call, `getDecoder(encoding)`, and this app
 * always asks for UTF-8 (JSON allows nothing else). The real package brings ~480 KB of legacy code-page tables
 * into a bundle that is otherwise ~1.3 MB, which costs start-up time on every cold start. Node's own UTF-8
 * decoder does the job; any other encoding throws, which raw-body reports as 415 "unsupported charset".
 */
const UTF8_NAMES = new Set(["utf8", "utf-8"]);

export function encodingExists(encoding: string): boolean {
  return UTF8_NAMES.has(encoding.toLowerCase());
}

export function getDecoder(encoding: string): { write(chunk: Buffer): string; end(): string | undefined } {
  if (!encodingExists(encoding)) throw new Error(`Encoding not recognized: '${encoding}'`);
  const decoder = new StringDecoder("utf8");
  let started = false;
  // Like iconv-lite's default (`stripBOM`), a leading byte-order mark is dropped.
  const stripBom = (text: string) => {
    if (started || text === "") return text;
    started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
  return { write: (chunk) => stripBom(decoder.write(chunk)), end: () => stripBom(decoder.end()) || undefined };
}
