/**
 * SIGTERM and SIGINT held from the bundle's first statement until the server takes over.
 *
 * Why: loading the bundle (the AWS SDK, Koa...) takes a few hundred milliseconds, and a signal that lands before a
 * handler exists kills the process the default way: no shutdown, no log line, an exit by signal. The server entry
 * imports this module first, so in the production bundle (where this module's `module` is the entry's) the handlers
 * are in place before anything slow runs. Imported by tests or tools, it does nothing.
 */
const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;
let held: NodeJS.Signals | undefined;
const hold = (signal: NodeJS.Signals) => {
  held ??= signal;
};

if (require.main === module) for (const signal of STOP_SIGNALS) process.on(signal, hold);

/** Hands the signals over to `handler` (replaying one that already arrived) and removes the holding handlers. */
export function takeOverSignals(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of STOP_SIGNALS) {
    process.on(signal, handler);
    process.off(signal, hold);
  }
  if (held) handler(held);
}
