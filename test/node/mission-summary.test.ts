/** The mission summary text posted to the chat when a mission ends. */
import { describe, expect, it } from "vitest";
import type { EntryRow } from "../../src/actors/mission/rows.ts";
import { summaryText } from "../../src/actors/mission/summary.ts";

const entry = (key: string, fields: Partial<EntryRow>): EntryRow => ({
  key,
  ord: 0,
  prompt: key,
  depends_on_json: "[]",
  status: "succeeded",
  task_id: `task_${key}`,
  attempts: 1,
  error: null,
  summary: null,
  input_tokens: 0,
  output_tokens: 0,
  cost_usd: 0,
  ...fields,
});

describe("summaryText", () => {
  it("lists each task's outcome, attempts beyond the first, and the total cost", () => {
    const text = summaryText({ goal: "ship it", status: "failed", error: "1 of 3 tasks did not succeed" }, [
      entry("a", { summary: "built the thing\nwith details", input_tokens: 100, output_tokens: 10, cost_usd: 0.01 }),
      entry("b", { attempts: 2, summary: null, input_tokens: 50, output_tokens: 5, cost_usd: 0.0002 }),
      entry("c", { status: "skipped", attempts: 0, error: 'not started: it depends on "x", which did not succeed' }),
    ]);
    expect(text).toBe(
      [
        'Mission "ship it" failed: 2 of 3 tasks succeeded.',
        "- ✓ a: built the thing",
        "- ✓ b (after 2 attempts): done",
        '- ✗ c skipped: not started: it depends on "x", which did not succeed',
        "Cost: $0.0102 (150 input and 15 output tokens).",
      ].join("\n"),
    );
  });

  it("names a failure without a recorded reason, and the reason of a cancelled mission", () => {
    const text = summaryText({ goal: "g", status: "cancelled", error: "cancelled by a user" }, [entry("a", { status: "cancelled", attempts: 3 })]);
    expect(text.split("\n")).toEqual([
      'Mission "g" cancelled: 0 of 1 tasks succeeded.',
      "- ✗ a cancelled (after 3 attempts): no reason recorded",
      "Cost: $0.0000 (0 input and 0 output tokens).",
      "Cancelled: cancelled by a user",
    ]);
  });
});
