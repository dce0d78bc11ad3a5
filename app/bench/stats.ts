/** Percentiles and rounding for the report: nearest-rank percentiles, so every figure is a value that was measured. */

export interface Distribution {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of already sorted values (NaN when empty). */
function rank(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function percentile(values: number[], p: number): number {
  return rank([...values].sort((a, b) => a - b), p);
}

export function distribution(values: number[]): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: rank(sorted, 50), p99: rank(sorted, 99), max: sorted.at(-1) ?? NaN };
}

export const median = (values: number[]): number => percentile(values, 50);

/** Rounds for display and JSON: figures carry no false precision. */
export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
