/**
 * Figures the image test measures and prints (image size, start-to-healthy time). They are reported, never asserted:
 * speeds and sizes are for people to read and compare across runs, not pass/fail thresholds.
 */

const figures = new Map<string, { values: string[]; note: string }>();

/** Records one measurement; measurements under the same name are printed together, in order. */
export function recordFigure(name: string, value: string, note = ""): void {
  const figure = figures.get(name) ?? { values: [], note };
  figure.values.push(value);
  figures.set(name, figure);
}

/** Printed once at the end, after mocha's report, so they are easy to find in a CI log. */
export function printFigures(): void {
  if (figures.size === 0) return;
  const width = Math.max(...[...figures.keys()].map((name) => name.length));
  console.log("\nfigures:");
  for (const [name, { values, note }] of figures) {
    console.log(`  ${name.padEnd(width)}  ${values.join(", ")}${note ? ` (${note})` : ""}`);
  }
}

export const megabytes = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;
