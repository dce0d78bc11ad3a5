/**
 * Micro-dollars as dollars for people: `$0.004215` (six decimals under a dollar, cents above). A module without
 * imports: the playground's browser script and the terminal client show reply costs with it too.
 */
export function formatUsd(micro: number): string {
  return `$${(micro / 1_000_000).toFixed(micro !== 0 && Math.abs(micro) < 1_000_000 ? 6 : 2)}`;
}
