/**
 * Client-side check of a `scripted` model script: a JSON array whose steps are either
 * `{"text": "..."}` or `{"toolCalls": [{"toolName": "...", "input": ...}]}` (a step may have both).
 */

/** Result of validating the script textarea. `steps` is undefined when the box is empty. */
export type ScriptCheck = { ok: true; steps: unknown[] | undefined } | { ok: false; error: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkStep(step: unknown, n: number): string | null {
  const where = `Step ${n}`;
  if (!isObject(step)) return `${where}: must be an object like {"text": "..."} or {"toolCalls": [...]}.`;
  const hasText = "text" in step;
  const hasCalls = "toolCalls" in step;
  if (!hasText && !hasCalls) return `${where}: needs "text" or "toolCalls".`;
  if (hasText && typeof step.text !== "string") return `${where}: "text" must be a string.`;
  if (hasCalls) {
    const calls = step.toolCalls;
    if (!Array.isArray(calls)) return `${where}: "toolCalls" must be an array.`;
    if (calls.length === 0 && !hasText) return `${where}: "toolCalls" is empty.`;
    for (let i = 0; i < calls.length; i++) {
      const call: unknown = calls[i];
      const callWhere = `${where}, tool call ${i + 1}`;
      if (!isObject(call)) return `${callWhere}: must be an object {"toolName": "...", "input": {...}}.`;
      if (typeof call.toolName !== "string" || call.toolName.trim() === "") {
        return `${callWhere}: "toolName" must be a non-empty string.`;
      }
      if (!("input" in call)) return `${callWhere}: "input" is missing.`;
    }
  }
  return null;
}

/** Validates the script text; an empty box means "no script". */
export function checkScript(text: string): ScriptCheck {
  if (text.trim() === "") return { ok: true, steps: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Script is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!Array.isArray(parsed)) return { ok: false, error: "Script must be a JSON array of steps." };
  if (parsed.length === 0) return { ok: false, error: "Script has no steps." };
  for (let i = 0; i < parsed.length; i++) {
    const problem = checkStep(parsed[i], i + 1);
    if (problem) return { ok: false, error: problem };
  }
  return { ok: true, steps: parsed };
}
