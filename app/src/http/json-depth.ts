import type { Middleware } from "koa";
import { fieldName } from "../formats/schema-errors";
import { ApiError } from "./errors";

/**
 * How deeply a request's JSON may nest (objects and arrays). JSON.parse itself copes with any depth, but what
 * follows it walks values recursively (the schemas, the token estimate, the SDK's serializer), and a few thousand
 * levels (an 18 KB body) overflow their stack: a 500 any caller could raise. Real tool schemas and tool inputs nest
 * a few levels, rarely twenty; 64 leaves ample room for them and is far below what any of those walks can handle.
 */
export const MAX_JSON_DEPTH = 64;

/** How many path segments a message names before it is cut (the path of the 65th level is long). */
const NAMED_SEGMENTS = 8;

/**
 * Throws a 400 naming the field (as `fieldName` spells it, under `base`) where `value` nests deeper than
 * {@link MAX_JSON_DEPTH}. Iterative, so checking the deepest value costs no stack either.
 */
export function assertJsonDepth(value: unknown, base: readonly PropertyKey[] = [], code = "invalid_request"): void {
  const path = tooDeep(value);
  if (!path) return;
  const field = [...base, ...path].slice(0, NAMED_SEGMENTS);
  const more = base.length + path.length > NAMED_SEGMENTS ? "…" : "";
  throw new ApiError(400, code, `${fieldName(field)}${more}: nests deeper than ${MAX_JSON_DEPTH} levels`, {
    param: fieldName(field),
  });
}

/** The path to the first value found below the depth limit, or undefined when there is none. */
function tooDeep(root: unknown): PropertyKey[] | undefined {
  const stack: Array<{ value: unknown; depth: number; path: PropertyKey[] }> = [{ value: root, depth: 0, path: [] }];
  while (stack.length > 0) {
    const { value, depth, path } = stack.pop()!;
    if (typeof value !== "object" || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) return path;
    const entries: Array<[PropertyKey, unknown]> = Array.isArray(value) ? value.map((item, i) => [i, item]) : Object.entries(value);
    for (const [key, child] of entries) {
      if (typeof child === "object" && child !== null) stack.push({ value: child, depth: depth + 1, path: [...path, key] });
    }
  }
  return undefined;
}

/** After the body parser: a parsed body nesting too deeply is refused before any schema walks it. */
export function jsonDepthLimit(): Middleware {
  return (ctx, next) => {
    assertJsonDepth(ctx.request.body);
    return next();
  };
}
