import type * as z from "zod";
import { ApiError } from "../http/errors";

/** `["messages", 1, "role"]` -> `messages[1].role`; the root is called `body`. */
export function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "body";
  return path
    .map((key, index) => (typeof key === "number" ? `[${key}]` : `${index === 0 ? "" : "."}${String(key)}`))
    .join("");
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${fieldName([...issue.path, key])}: unknown field`).join("; ");
  }
  return `${fieldName(issue.path)}: ${issue.message}`;
}

/**
 * A failed schema parse as the 400 every format answers: the message names each offending field (at most five),
 * `param` names the first. Zod's messages describe the rule broken, never the value, so no prompt text leaks.
 */
export function invalidRequest(error: z.ZodError, code = "invalid_request"): ApiError {
  const issues = error.issues;
  const message = issues.slice(0, 5).map(describeIssue).join("; ");
  const first = issues[0];
  const param =
    first === undefined
      ? undefined
      : fieldName(first.code === "unrecognized_keys" ? [...first.path, first.keys[0]] : first.path);
  return new ApiError(400, code, message, { param });
}
