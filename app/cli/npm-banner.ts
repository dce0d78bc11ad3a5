/**
 * `npm run chat` writes npm's run-script banner ("\n> bedrock-stream-api@0.1.0 chat\n> node app/cli/bin.cjs hi\n\n")
 * to standard output before the client starts; only `-s` or `--json` move it, and they change everything else npm
 * prints in the project too. So the client tidies up after npm: on a terminal it erases the banner's rows before it
 * writes anything, and when standard output is a pipe or a file (where the banner already sits ahead of the reply)
 * it says, once on stderr, how to get the reply alone.
 */

export interface Screen {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

/** The banner npm printed on our standard output, rebuilt from what npm tells its scripts; undefined when none. */
export function npmBanner(env: NodeJS.ProcessEnv, args: readonly string[]): string | undefined {
  const event = env.npm_lifecycle_event;
  const script = env.npm_lifecycle_script;
  if (!["run", "run-script"].includes(env.npm_command ?? "") || !event || !script) return undefined;
  // Only the script that runs this client (a test or tool started from some other npm script passes its npm_* on).
  if (!/app\/cli\/bin\.cjs|bedrock-chat/.test(script)) return undefined;
  if (env.npm_config_loglevel === "silent" || env.npm_config_json === "true") return undefined;
  const id = env.npm_package_name && env.npm_package_version ? `${env.npm_package_name}@${env.npm_package_version} ` : "";
  const command = `${script.trim().replace(/\n/g, "\n> ")}${args.length > 0 ? ` ${args.join(" ")}` : ""}`;
  return `\n> ${id}${event}\n> ${command}\n\n`;
}

/**
 * The terminal rows the banner fills on a screen `columns` wide, or undefined when that cannot be known for sure
 * (characters outside printable ASCII may be zero or two columns wide): then nothing is erased.
 */
export function bannerRows(banner: string, columns: number): number | undefined {
  if (!/^[\x20-\x7e\n]*$/.test(banner) || !(columns > 0)) return undefined;
  const lines = banner.split("\n").slice(0, -1);
  return lines.reduce((rows, line) => rows + Math.max(1, Math.ceil(line.length / columns)), 0);
}

export const NPM_BANNER_NOTE = 'note: npm printed its "> ..." lines on standard output ahead of the reply; ' +
  '"npx bedrock-chat ..." (or "npm run -s chat -- ...") gives the reply alone.';

/** Erases npm's banner from a terminal, or notes it on stderr when standard output is not one. */
export function tidyNpmBanner(stdout: Screen, stderr: Screen, env: NodeJS.ProcessEnv, args: readonly string[]): void {
  const banner = npmBanner(env, args);
  if (banner === undefined) return;
  if (!stdout.isTTY) {
    stderr.write(`${NPM_BANNER_NOTE}\n`);
    return;
  }
  const rows = bannerRows(banner, stdout.columns ?? 0);
  // Cursor up over the banner's rows, then clear from there to the end of the screen.
  if (rows !== undefined) stdout.write(`\x1b[${rows}A\x1b[J`);
}
