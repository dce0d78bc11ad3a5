/**
 * A value that satisfies a JSON Schema, for tool inputs and structured output: required properties (all properties
 * when none are marked required), the first enum value or const, `default`/`examples` when given, numbers within
 * their bounds, strings of their format and minimum length, arrays of their minimum size (at least one item).
 * `$ref` into `$defs`/`definitions` is followed; `anyOf`/`oneOf` take their first branch, `allOf` merges.
 */

type Schema = Record<string, any>;

const MAX_DEPTH = 12;

const STRING_FORMATS: Record<string, string> = {
  "date-time": "2026-01-01T00:00:00Z",
  date: "2026-01-01",
  time: "00:00:00Z",
  email: "user@example.com",
  uri: "https://example.com/",
  url: "https://example.com/",
  uuid: "00000000-0000-4000-8000-000000000000",
  hostname: "example.com",
  ipv4: "192.0.2.1",
};

function resolveRef(schema: Schema, root: Schema): Schema {
  let current = schema;
  for (let hops = 0; typeof current?.$ref === "string" && hops < MAX_DEPTH; hops += 1) {
    const path = current.$ref.replace(/^#\/?/, "").split("/").filter(Boolean);
    current = path.reduce<any>((node, key) => node?.[key.replace(/~1/g, "/").replace(/~0/g, "~")], root) ?? {};
  }
  return current;
}

function stringFor(schema: Schema, name: string): string {
  const base = STRING_FORMATS[schema.format] ?? (name ? `example ${name}` : "example");
  const min = typeof schema.minLength === "number" ? schema.minLength : 0;
  const padded = base.length >= min ? base : base + "x".repeat(min - base.length);
  return typeof schema.maxLength === "number" ? padded.slice(0, Math.max(schema.maxLength, min)) : padded;
}

function numberFor(schema: Schema, integer: boolean): number {
  const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : 0.5) : undefined);
  const high = schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : 0.5) : undefined);
  let value = low ?? Math.min(1, high ?? 1);
  if (integer) value = Math.ceil(value);
  return value;
}

function typeOf(schema: Schema): string | undefined {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t: unknown) => typeof t === "string" && t !== "null") ?? types[0];
  if (type) return type;
  if (schema.properties) return "object";
  if (schema.items) return "array";
  return undefined;
}

function instance(input: Schema | boolean | undefined, root: Schema, name: string, depth: number): unknown {
  if (input === undefined || typeof input === "boolean" || depth > MAX_DEPTH) return {};
  const schema = resolveRef(input, root);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ("default" in schema) return schema.default;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const branch = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(branch) && branch.length > 0) {
    const firstNonNull = branch.find((b: Schema) => resolveRef(b, root)?.type !== "null") ?? branch[0];
    return instance({ ...schema, anyOf: undefined, oneOf: undefined, ...resolveRef(firstNonNull, root) }, root, name, depth + 1);
  }
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map((part: Schema) => instance(part, root, name, depth + 1));
    return parts.every((part: unknown) => typeof part === "object" && part !== null && !Array.isArray(part)) ? Object.assign({}, ...parts) : parts[0];
  }
  switch (typeOf(schema)) {
    case "object": {
      const properties: Schema = schema.properties ?? {};
      const keys: string[] = Array.isArray(schema.required) ? schema.required : Object.keys(properties);
      return Object.fromEntries(keys.map((key) => [key, instance(properties[key] ?? {}, root, key, depth + 1)]));
    }
    case "array": {
      const count = Math.max(1, schema.minItems ?? 1);
      const items = Array.isArray(schema.prefixItems) ? schema.prefixItems : undefined;
      return Array.from({ length: items ? items.length : count }, (_, i) => instance(items ? items[i] : schema.items, root, name, depth + 1));
    }
    case "string":
      return stringFor(schema, name);
    case "integer":
      return numberFor(schema, true);
    case "number":
      return numberFor(schema, false);
    case "boolean":
      return true;
    case "null":
      return null;
    default:
      return name ? `example ${name}` : {};
  }
}

/** An instance of `schema` (`{}` for a missing or `true` schema). */
export function schemaInstance(schema: unknown): unknown {
  if (typeof schema !== "object" || schema === null) return {};
  return instance(schema as Schema, schema as Schema, "", 0);
}
