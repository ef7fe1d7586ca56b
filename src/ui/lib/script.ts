/**
 * Client-side check of a `scripted` model script typed into a form: JSON, then the same schema
 * the server applies (`scriptSchema` of src/shared/script.ts), so the form refuses exactly what
 * the API would, with the first problem in words.
 */
import { scriptSchema, type ScriptStep } from "../../shared/script.ts";
import { firstIssue } from "./issues.ts";

/** Result of validating the script textarea. `steps` is undefined when the box is empty. */
export type ScriptCheck = { ok: true; steps: ScriptStep[] | undefined } | { ok: false; error: string };

/** Validates the script text; an empty box means "no script". */
export function checkScript(text: string): ScriptCheck {
  if (text.trim() === "") return { ok: true, steps: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Script is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const checked = scriptSchema.safeParse(parsed);
  if (!checked.success) return { ok: false, error: firstIssue("Script", checked.error, (index) => `step ${index + 1}`) };
  return { ok: true, steps: checked.data };
}
