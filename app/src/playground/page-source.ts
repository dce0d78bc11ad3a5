import { buildSync } from "esbuild";
import { readFileSync } from "node:fs";
import path from "node:path";

/** The playground's parts as text: the HTML template, its stylesheet and its bundled script. */
export interface PlaygroundSources {
  html: string;
  css: string;
  script: string;
}

/**
 * Reads the page and bundles its script (page/main.ts and the shared client) for the browser. From source (tsx:
 * tests, local mode) this runs when the app starts; app/build.mjs runs this same function at build time and puts
 * its result in the bundle instead of this module, so the production bundle carries the page but not esbuild.
 */
export function playgroundSources(): PlaygroundSources {
  const dir = path.join(__dirname, "page");
  const read = (name: string) => readFileSync(path.join(dir, name), "utf8");
  const bundle = buildSync({
    entryPoints: [path.join(dir, "main.ts")],
    bundle: true,
    write: false,
    platform: "browser",
    format: "iife",
    target: "es2022",
    minify: true,
    charset: "utf8",
    legalComments: "none",
    logLevel: "silent",
  });
  return { html: read("index.html"), css: read("playground.css"), script: bundle.outputFiles[0].text };
}
