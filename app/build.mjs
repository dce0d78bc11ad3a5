// Bundles the service into one CommonJS file, dist/server.js, that runs with plain `node` and no node_modules:
// the container image copies just that file (and its source map), which keeps the image small and the cold
// start short (no module resolution across thousands of files).
import { build as esbuild } from "esbuild";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const appDir = path.dirname(fileURLToPath(import.meta.url));
const requireFromApp = createRequire(path.join(appDir, "package.json"));

/**
 * Keeps the bundle lean (target: <= 2 MB, cold start <= 200 ms) without changing behaviour:
 * - every copy of `mime-db` (koa, accepts and co-body each pull one) resolves to the newest one: it is pure data,
 *   and newer versions only add types;
 * - `iconv-lite` (480 KB of code-page tables, used by raw-body only to decode UTF-8) becomes src/bundle/iconv-utf8.ts.
 */
const leanDependencies = {
  name: "lean-dependencies",
  setup(build) {
    const mimeDb = requireFromApp.resolve("mime-db");
    build.onResolve({ filter: /^mime-db$/ }, () => ({ path: mimeDb }));
    build.onResolve({ filter: /^iconv-lite$/ }, () => ({ path: path.join(appDir, "src/bundle/iconv-utf8.ts") }));
  },
};

/**
 * The playground page (src/playground/page-source.ts) is read and its browser script bundled at build time: this
 * runs that module's own `playgroundSources()` now and puts the result in its place, so the bundle serves the page
 * without its source files or esbuild.
 */
const inlinePlayground = {
  name: "inline-playground",
  setup(build) {
    build.onLoad({ filter: /[\\/]playground[\\/]page-source\.ts$/ }, async (args) => {
      const compiled = await esbuild({
        entryPoints: [args.path], bundle: true, platform: "node", format: "cjs", write: false, external: ["esbuild"], logLevel: "silent",
      });
      const module = { exports: {} };
      new Function("module", "exports", "require", "__dirname", compiled.outputFiles[0].text)(
        module, module.exports, requireFromApp, path.dirname(args.path));
      const sources = module.exports.playgroundSources();
      return { contents: `export function playgroundSources() { return ${JSON.stringify(sources)}; }`, loader: "js" };
    });
  },
};

/**
 * Bundles a variant: each import that resolves to a key of `replacements` (absolute source paths, without the
 * extension) gets the module at its value instead. The benchmark builds the service with the SDK's default Bedrock
 * client this way, to measure what its own client buys.
 */
function replaceModules(replacements) {
  return {
    name: "replace-modules",
    setup(build) {
      for (const [original, replacement] of Object.entries(replacements)) {
        const filter = new RegExp(`/${path.basename(original)}(\\.ts)?$`);
        build.onResolve({ filter }, (args) => {
          const target = path.resolve(args.resolveDir, args.path).replace(/\.ts$/, "");
          return target === original ? { path: replacement } : undefined;
        });
      }
    },
  };
}

/**
 * Builds `entry` (default the service, src/server.ts) into `outdir` (default app/dist) as `<entry's name>.js` and
 * returns esbuild's metafile, so callers can check the bundle. The benchmark builds its baseline server through
 * here too, so both bundles are made the same way.
 */
export async function build({
  entry = path.join(appDir, "src/server.ts"),
  outdir = path.join(appDir, "dist"),
  logLevel = "info",
  replacements = {},
} = {}) {
  const result = await esbuild({
    entryPoints: [entry],
    outfile: path.join(outdir, `${path.basename(entry, path.extname(entry))}.js`),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    // The ES module builds first: esbuild can drop what is never imported from them (the AWS SDK clients' other
    // commands and their schemas), which a CommonJS build, one file per package, does not allow.
    mainFields: ["module", "main"],
    minify: true,
    // Minified names would make stack traces useless; a linked map (run with --enable-source-maps) restores them.
    sourcemap: "linked",
    sourcesContent: false,
    // Dependencies' license headers go to one file beside the bundle instead of being dropped.
    legalComments: "external",
    plugins: [leanDependencies, inlinePlayground, replaceModules(replacements)],
    metafile: true,
    logLevel,
  });
  return result.metafile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // `node build.mjs [--outdir DIR] [--entry FILE] [--replace ORIGINAL=REPLACEMENT ...]`: tests build into a
  // temporary folder to run the bundle away from node_modules; the benchmark builds its own servers with --entry
  // and a variant of the service with --replace (source files, e.g. app/src/bedrock/client.ts=app/bench/x.ts).
  const { values } = parseArgs({
    options: { outdir: { type: "string" }, entry: { type: "string" }, replace: { type: "string", multiple: true } },
  });
  const resolved = (value) => (value ? path.resolve(value) : undefined);
  const replacements = Object.fromEntries(
    (values.replace ?? []).map((pair) => {
      const [original, replacement] = pair.split("=");
      return [path.resolve(original).replace(/\.ts$/, ""), path.resolve(replacement)];
    }),
  );
  const quiet = values.entry || values.replace;
  await build({ outdir: resolved(values.outdir), entry: resolved(values.entry), logLevel: quiet ? "warning" : "info", replacements });
}
