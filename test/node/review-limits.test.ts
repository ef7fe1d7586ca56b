/**
 * taskLimitsFrom: the limits a task stored at its start, made whole field by field, so a row
 * from an older version or with a bad value still gives the task its limits (never throws).
 */
import { describe, expect, it } from "vitest";
import { projectLimitsSchema, taskLimitsFrom, taskLimitsSchema } from "../../src/shared/limits.ts";

const defaults = { maxDepth: 3, maxChildren: 5, silenceMs: 600_000 };

describe("taskLimitsFrom", () => {
  it("keeps every valid stored field", () => {
    expect(taskLimitsFrom({ maxDepth: 1, maxChildren: 0, silenceMs: 5000 })).toEqual({ maxDepth: 1, maxChildren: 0, silenceMs: 5000 });
  });

  it("fills the defaults for what an older row lacks", () => {
    expect(taskLimitsFrom({})).toEqual(defaults);
    expect(taskLimitsFrom({ maxChildren: 2 })).toEqual({ ...defaults, maxChildren: 2 });
  });

  it("replaces only the fields that are out of range or of the wrong type, where parse would throw", () => {
    const stored = { maxDepth: 99, maxChildren: 7, silenceMs: "soon" };
    expect(() => taskLimitsSchema.parse(stored)).toThrow();
    expect(taskLimitsFrom(stored)).toEqual({ maxDepth: 3, maxChildren: 7, silenceMs: 600_000 });
    expect(taskLimitsFrom({ maxDepth: 2.5, maxChildren: -1, silenceMs: 999 })).toEqual(defaults);
  });

  it("gives the defaults for a stored value that is not an object", () => {
    for (const stored of [null, undefined, 42, "{}", [1, 2]]) expect(taskLimitsFrom(stored)).toEqual(defaults);
  });

  it("ignores fields that are not task limits", () => {
    expect(taskLimitsFrom({ maxConcurrentTasks: 1, maxDepth: 0 })).toEqual({ ...defaults, maxDepth: 0 });
  });

  it("has the same defaults as the project's limits", () => {
    const project = projectLimitsSchema.parse({});
    expect(defaults).toEqual({ maxDepth: project.maxDepth, maxChildren: project.maxChildren, silenceMs: project.silenceMs });
  });
});
