/**
 * The UI's form checks use the server's own schemas (src/shared/): what a form refuses and how
 * it says so.
 */
import { describe, expect, it } from "vitest";
import { checkScript } from "../../src/ui/lib/script.ts";

describe("checkScript (the script box of the task and tech-lead forms)", () => {
  it("treats an empty box as no script", () => {
    expect(checkScript("  \n")).toEqual({ ok: true, steps: undefined });
  });

  it("accepts what the server accepts", () => {
    const text = JSON.stringify([{ toolCalls: [{ toolName: "bash", input: { command: "ls" } }] }, { text: "done" }]);
    expect(checkScript(text)).toEqual({ ok: true, steps: JSON.parse(text) });
  });

  it("names the step (counted from 1) and the field of the first problem", () => {
    const result = checkScript(JSON.stringify([{ text: "ok" }, { toolCalls: [{ toolName: "", input: {} }] }]));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^Script at step 2, toolCalls\.0\.toolName: /);
  });

  it("refuses a step with neither text nor tool calls, an empty array and bad JSON", () => {
    const empty = checkScript("[{}]");
    expect(empty.ok === false && empty.error).toMatch(/^Script at step 1: a script step needs `text` or a non-empty `toolCalls`/);
    expect(checkScript("[]").ok).toBe(false);
    const bad = checkScript("[{");
    expect(bad.ok === false && bad.error).toMatch(/^Script is not valid JSON: /);
  });
});
