import { addCounters, COUNTER_NAMES, type Counters, zeroCounters } from "../../src/usage/store";
import type { KeyMonth } from "./read-month";

/**
 * A month's usage as rows of key and model, printed as an aligned table or as CSV (RFC 4180: a header, CRLF line
 * ends, fields quoted when they need it). Costs are printed from the integer micro-dollars the table holds, digit by
 * digit, so a CSV's figures add up exactly to the totals.
 */

export interface Row extends Counters {
  key: string;
  model: string;
}

/** Counters a key holds but no model does: charges written before the split by model existed. */
export const UNATTRIBUTED = "(unattributed)";

const COLUMNS = [
  ["requests", "requests"], ["inputTokens", "input_tokens"], ["outputTokens", "output_tokens"],
  ["cacheReadInputTokens", "cache_read_tokens"], ["cacheWriteInputTokens", "cache_write_tokens"],
] as const satisfies ReadonlyArray<readonly [keyof Counters, string]>;

/** One row per key and model (models by cost, highest first), plus what the key's totals hold beyond its models. */
export function reportRows(months: readonly KeyMonth[]): Row[] {
  return months.flatMap(({ key, total, models }) => {
    const rows = Object.entries(models)
      .map(([model, counters]) => ({ key, model, ...counters }))
      .sort((a, b) => b.costMicroUsd - a.costMicroUsd || (a.model < b.model ? -1 : 1));
    const attributed = sum(rows, key, "");
    const rest = zeroCounters();
    for (const name of COUNTER_NAMES) rest[name] = total[name] - attributed[name];
    if (COUNTER_NAMES.some((name) => rest[name] !== 0)) rows.push({ key, model: UNATTRIBUTED, ...rest });
    return rows;
  });
}

/** Integer micro-dollars as an exact decimal: 1234567 -> `1.234567`. */
export function usd(micro: number): string {
  const abs = Math.abs(micro);
  return `${micro < 0 ? "-" : ""}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, "0")}`;
}

function sum(rows: readonly Row[], key: string, model: string): Row {
  const total: Row = { key, model, ...zeroCounters() };
  for (const row of rows) addCounters(total, row);
  return total;
}

const cells = (row: Row) => [row.key, row.model, ...COLUMNS.map(([name]) => String(row[name])), usd(row.costMicroUsd)];

/** RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes. */
const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

export function renderCsv(rows: readonly Row[]): string {
  const header = ["key", "model", ...COLUMNS.map(([, title]) => title), "cost_usd"];
  return [header, ...rows.map(cells)].map((line) => `${line.map(csvField).join(",")}\r\n`).join("");
}

/** The table for people: each key's models, a subtotal for a key with several, and the month's total. */
export function renderTable(rows: readonly Row[], month: string): string {
  if (rows.length === 0) return `No usage recorded for ${month}.\n`;
  const lines: string[][] = [["KEY", "MODEL", "REQUESTS", "INPUT", "OUTPUT", "CACHE READ", "CACHE WRITE", "COST USD"]];
  for (const key of [...new Set(rows.map((row) => row.key))]) {
    const own = rows.filter((row) => row.key === key);
    lines.push(...own.map(cells));
    if (own.length > 1) lines.push(cells(sum(own, key, "(all models)")));
  }
  lines.push(cells(sum(rows, "TOTAL", "")));
  const widths = lines[0].map((_, i) => Math.max(...lines.map((line) => line[i].length)));
  // Names left-aligned, figures right-aligned.
  const format = (line: string[]) => line.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ").trimEnd();
  return `Usage for ${month} (UTC), estimated at list prices:\n${lines.map(format).join("\n")}\n`;
}
