/**
 * The AWS SDK prints a nine-line NodeVersionSupportWarning on Node < 22 in every process that builds a client: twice
 * for `npm run local` (the runner's DynamoDB client and the app), more for the bench. It is worth knowing once, as
 * one line that says what to do, so the local tools print that and turn the SDK's own copies off (the variable is
 * the SDK's documented switch, read when a client is built, and inherited by the processes they start).
 */

/** The first Node.js major version the AWS SDK's releases after the first week of January 2027 support. */
export const SDK_NODE_MAJOR = 22;
const SDK_SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

/** The one line to print on this Node.js version, or undefined when it needs none. */
export function nodeSupportNote(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!(major < SDK_NODE_MAJOR)) return undefined;
  return `note: Node.js ${version} works, but AWS SDK releases after the first week of January 2027 need Node.js ` +
    `${SDK_NODE_MAJOR} or newer: install Node.js ${SDK_NODE_MAJOR} or 24 (e.g. \`nvm install 24\`) before then.`;
}

/** Prints the note once (on stderr) and silences the SDK's own warning in this process and those it starts. */
export function noteNodeSupportOnce(env: NodeJS.ProcessEnv = process.env, version = process.version,
  print: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): void {
  const note = nodeSupportNote(version);
  if (note === undefined || env[SDK_SWITCH] === "true") return;
  env[SDK_SWITCH] = "true";
  print(note);
}
