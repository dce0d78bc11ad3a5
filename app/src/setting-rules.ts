import * as z from "zod";

/**
 * How a setting of the registry (settings.ts) is described and parsed, and the rules settings are built from.
 * Zod only, like the registry: infra/ and the app bundle both load it.
 */

/** Parses a variable's trimmed, non-blank text into its value; messages read after the variable's name. */
export type Rule<T> = z.ZodType<T, string>;

export interface StackSource<T> {
  /** Pulumi config key: `name` (this project's namespace) or `namespace:name`. */
  readonly key: string;
  /** The stack's default when the key is unset, where it differs from the app's own (e.g. a stage name). */
  readonly default?: T;
  readonly secret?: boolean;
}

export interface Setting<T, V> {
  /** Environment variable name. */
  readonly env: string;
  readonly rule: Rule<T>;
  readonly default?: T;
  /** Makes the setting mandatory: the message shown when it is unset. */
  readonly required?: string;
  readonly stack?: StackSource<T>;
  readonly pinned?: boolean;
  /** Parses the variable as the app does (blank = unset); its output type is the setting's value. */
  readonly schema: z.ZodType<V, unknown>;
  /** The variable's text for a value (what the task definition gets); round-trips through `schema`. */
  format(value: T): string;
}

type Spec<T> = Omit<Setting<T, unknown>, "schema" | "format"> & { format?: (value: T) => string };
/** A setting's value type: never undefined when it has a default or is required. */
type ValueOf<T, S> = S extends { default: T } | { required: string } ? T : T | undefined;

export function setting<T, const S extends Spec<T>>(spec: S & Spec<T>): S & Setting<T, ValueOf<T, S>> {
  const present: z.ZodType<T, string> = spec.required
    ? z.string({ error: spec.required }).pipe(spec.rule)
    : spec.rule;
  const valued = spec.default !== undefined ? present.default(spec.default as never) : present.optional();
  const schema = z.preprocess(blankAsUnset, spec.required ? present : valued) as z.ZodType<ValueOf<T, S>, unknown>;
  return { format: formatText, ...spec, schema } as S & Setting<T, ValueOf<T, S>>;
}

/** Unset and blank variables both mean "use the default", as a shell's `FOO=` usually intends. */
function blankAsUnset(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** Scalars as text; lists and objects as JSON, which `list` and `json` read back. */
function formatText(value: unknown): string {
  return typeof value === "object" && value !== null ? JSON.stringify(value) : String(value);
}

export const wholeNumber = (min: number, max: number): Rule<number> =>
  z.string()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

export const matching = (pattern: RegExp, rule: string): Rule<string> => z.string().regex(pattern, rule);

/** One of a few words, case-insensitive. */
export const oneOf = <const W extends readonly [string, ...string[]]>(words: W): Rule<W[number]> =>
  z.string().transform((text) => text.toLowerCase())
    .pipe(z.enum(words, { error: `must be one of ${words.join(", ")}` })) as unknown as Rule<W[number]>;

export const flag: Rule<boolean> = z.string()
  .transform((text) => text.toLowerCase())
  .pipe(z.enum(["true", "false"], { error: "must be true or false" }))
  .transform((text) => text === "true");

/** A list: a JSON array of strings (how Pulumi passes an array key) or comma-separated text (handier in a shell). */
export function list<T>(item: Rule<T>): Rule<T[]> {
  return z.string()
    .transform((text, ctx) => {
      if (!text.startsWith("[")) return text.split(",").map((part) => part.trim()).filter(Boolean);
      const parsed = parseJson(text);
      if (Array.isArray(parsed) && parsed.every((entry) => typeof entry === "string")) {
        return parsed.map((entry) => entry.trim());
      }
      ctx.addIssue({ code: "custom", message: "must be a JSON array of strings or comma-separated text" });
      return z.NEVER;
    })
    .pipe(z.array(item));
}

/** A JSON document checked by `schema` (e.g. named API keys with their limits). */
export function json<T>(schema: z.ZodType<T, any>): Rule<T> {
  return z.string()
    .transform((text, ctx) => {
      const parsed = parseJson(text);
      if (parsed !== undefined) return parsed;
      ctx.addIssue({ code: "custom", message: "must be valid JSON" });
      return z.NEVER;
    })
    .pipe(schema);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
