import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { COUNTER_NAMES, type Counters, zeroCounters } from "./store";

/**
 * A key's figures split by the model that answered, kept in the key's month item beside its totals (store.ts):
 * `m#<model>#<counter>` for the month, every counter; `d28_m#<model>#costMicroUsd` and `...#requests` for a day,
 * only those two, so a month item stays a few KB with a handful of models (a write costs a unit per KB).
 */

/** Model ID -> its counters. */
export type ModelCounters = Record<string, Counters>;

/** The figures a day keeps per model. */
export const DAY_MODEL_COUNTERS = ["costMicroUsd", "requests"] as const;
export type DayModelCounters = Pick<Counters, (typeof DAY_MODEL_COUNTERS)[number]>;

export interface ModelUsage {
  day: Record<string, DayModelCounters>;
  month: ModelCounters;
}

const attribute = (modelId: string, counter: string) => `m#${modelId}#${counter}`;

/** `from`'s split added into `into`'s (charges of one key and day adding up before their write). */
export function addModelCounters(into: { models?: ModelCounters }, from: { models?: ModelCounters }): void {
  for (const [modelId, counters] of Object.entries(from.models ?? {})) {
    const models = (into.models ??= {});
    const sum = (models[modelId] ??= zeroCounters());
    for (const name of COUNTER_NAMES) sum[name] += counters[name];
  }
}

/**
 * The `ADD` clauses of a charge's split, their names and values added to the update's maps. Zero counters are
 * left out (no attribute for a model's cache tokens it never had).
 */
export function modelAdds(
  models: ModelCounters | undefined,
  dayAttribute: (name: string) => string,
  names: Record<string, string>,
  values: Record<string, AttributeValue>,
): string[] {
  const adds: string[] = [];
  const add = (name: string, value: number) => {
    const i = adds.length;
    names[`#x${i}`] = name;
    values[`:x${i}`] = { N: String(value) };
    adds.push(`#x${i} :x${i}`);
  };
  for (const [modelId, counters] of Object.entries(models ?? {})) {
    for (const name of COUNTER_NAMES) if (counters[name] !== 0) add(attribute(modelId, name), counters[name]);
    for (const name of DAY_MODEL_COUNTERS) if (counters[name] !== 0) add(dayAttribute(attribute(modelId, name)), counters[name]);
  }
  return adds;
}

/** The split in a month item: the month's, and the day's whose attributes start with `dayPrefix` (`d28_`). */
export function modelUsageIn(item: Record<string, AttributeValue> | undefined, dayPrefix: string): ModelUsage {
  const usage: ModelUsage = { day: {}, month: {} };
  for (const [name, value] of Object.entries(item ?? {})) {
    const day = name.startsWith(dayPrefix + "m#");
    if (!day && !name.startsWith("m#")) continue;
    const rest = name.slice(day ? dayPrefix.length + 2 : 2);
    const cut = rest.lastIndexOf("#");
    const [modelId, counter] = [rest.slice(0, cut), rest.slice(cut + 1)];
    if (!(COUNTER_NAMES as readonly string[]).includes(counter)) continue;
    const n = Number(value.N ?? 0);
    if (day) {
      if (!(DAY_MODEL_COUNTERS as readonly string[]).includes(counter)) continue;
      const counters = (usage.day[modelId] ??= { costMicroUsd: 0, requests: 0 });
      counters[counter as keyof DayModelCounters] = n;
    } else {
      (usage.month[modelId] ??= zeroCounters())[counter as keyof Counters] = n;
    }
  }
  return usage;
}
