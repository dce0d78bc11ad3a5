/**
 * Figures the image test measures and prints (image size, start-to-healthy time). They are reported, never asserted:
 * speeds and sizes are for people to read and compare across runs, not pass/fail thresholds.
 */

const figures: Array<{ name: string; value: string }> = [];

export function recordFigure(name: string, value: string): void {
  figures.push({ name, value });
}

/** Printed once at the end, after mocha's report, so they are easy to find in a CI log. */
export function printFigures(): void {
  if (figures.length === 0) return;
  const width = Math.max(...figures.map(({ name }) => name.length));
  console.log("\nfigures:");
  for (const { name, value } of figures) console.log(`  ${name.padEnd(width)}  ${value}`);
}

export const megabytes = (bytes: number): string => `${(bytes / 1_000_000).toFixed(1)} MB`;
