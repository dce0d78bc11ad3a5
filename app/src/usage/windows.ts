import { RETENTION_DAYS_AFTER_MONTH } from "./table-schema";

/**
 * Budget windows: the UTC minute, day and month a moment falls in. Every task computes the same window ids from its
 * clock, so counters written by any task for the same key land on the same item; a window "rolls over" simply by a
 * new id appearing at UTC midnight (or on the 1st).
 */

export type WindowKind = "minute" | "day" | "month";

export interface UsageWindow {
  kind: WindowKind;
  /** `2026-11-28` or `2026-11`. */
  id: string;
  /** When the next window of this kind starts (when a refusal in this window stops applying). */
  resetsAt: Date;
  /** Epoch seconds after which the window's counters may be deleted (DynamoDB TTL on the month's item). */
  expiresAt: number;
}

export interface Windows {
  day: UsageWindow;
  month: UsageWindow;
}

const DAY_MS = 86_400_000;

export function windowsAt(now: Date): Windows {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const dayStart = Date.UTC(year, month, now.getUTCDate());
  const nextDay = new Date(dayStart + DAY_MS);
  const nextMonth = new Date(Date.UTC(year, month + 1, 1));
  const iso = new Date(dayStart).toISOString();
  // Days live inside their month's item, so both expire with it.
  const expiresAt = Math.floor((nextMonth.getTime() + RETENTION_DAYS_AFTER_MONTH * DAY_MS) / 1000);
  return {
    day: { kind: "day", id: iso.slice(0, 10), resetsAt: nextDay, expiresAt },
    month: { kind: "month", id: iso.slice(0, 7), resetsAt: nextMonth, expiresAt },
  };
}

const MINUTE_MS = 60_000;
/** How long a minute's counter is kept after the minute (TTL): long enough to read a recent minute when debugging. */
const MINUTE_RETENTION_MS = DAY_MS;

/** The UTC minute a moment falls in (`tokensPerMinute`): `2026-11-28T12:34`, its own item (store.ts). */
export function minuteAt(now: Date): UsageWindow {
  const start = now.getTime() - (now.getTime() % MINUTE_MS);
  const resetsAt = new Date(start + MINUTE_MS);
  const expiresAt = Math.floor((resetsAt.getTime() + MINUTE_RETENTION_MS) / 1000);
  return { kind: "minute", id: new Date(start).toISOString().slice(0, 16), resetsAt, expiresAt };
}

/** Whole seconds from `now` until `at`, at least 1 (a `Retry-After` value). */
export function secondsUntil(at: Date, now: Date): number {
  return Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));
}

/** One key's day, as the in-memory maps of reads in flight and of unwritten charges are keyed. */
export function keyDay(keyName: string, windows: Windows): string {
  return `${keyName}\n${windows.day.id}`;
}
