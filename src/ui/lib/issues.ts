/**
 * Turns a zod error of a form's JSON field into one sentence for the person who typed it.
 */
import type { z } from "zod";

/**
 * The first issue of `error` as `"<what> at <where>: <message>"`, e.g. `Script at step 2,
 * toolCalls.0.toolName: ...`. `item` names an element of the top-level array by its index
 * (0-based) the way the form's user counts it.
 */
export function firstIssue(what: string, error: z.ZodError, item: (index: number) => string): string {
  const issue = error.issues[0];
  if (!issue) return `${what} is not valid.`;
  const [head, ...rest] = issue.path;
  let where = issue.path.join(".");
  if (typeof head === "number") where = rest.length ? `${item(head)}, ${rest.join(".")}` : item(head);
  return `${what}${where ? ` at ${where}` : ""}: ${issue.message}`;
}
