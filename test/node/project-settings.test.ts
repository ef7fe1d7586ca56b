/** applySettingsPatch: a PATCH replaces the tech lead when given and merges the limits field by field. */
import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { applySettingsPatch } from "../../src/actors/project/settings.ts";
import { projectSettingsSchema } from "../../src/shared/project-settings.ts";

const defaults = projectSettingsSchema.parse({});

describe("applySettingsPatch", () => {
  it("sets the tech lead and keeps the limits when only the tech lead is given", () => {
    const next = applySettingsPatch(defaults, { techLead: { model: "scripted" } });
    expect(next.techLead).toEqual({ model: "scripted" });
    expect(next.limits).toEqual(defaults.limits);
  });

  it("keeps the tech lead when the patch leaves it out, and clears it with null", () => {
    const withLead = applySettingsPatch(defaults, { techLead: { model: "scripted" } });
    expect(applySettingsPatch(withLead, { limits: { maxDepth: 1 } }).techLead).toEqual({ model: "scripted" });
    expect(applySettingsPatch(withLead, { techLead: null }).techLead).toBeNull();
  });

  it("applies the limits a patch gives", () => {
    const next = applySettingsPatch(defaults, { limits: { maxConcurrentTasks: 2, maxChildren: 1 } });
    expect(next.limits).toEqual({ ...defaults.limits, maxConcurrentTasks: 2, maxChildren: 1 });
  });

  // Found in the house move: the patch schema once filled each absent limit with its default, so
  // a PATCH of one limit reset the others.
  it("keeps the limits a later patch leaves out", () => {
    const first = applySettingsPatch(defaults, { limits: { maxConcurrentTasks: 2 } });
    const second = applySettingsPatch(first, { limits: { maxChildren: 1 } });
    expect(second.limits).toEqual({ ...defaults.limits, maxConcurrentTasks: 2, maxChildren: 1 });
  });

  it("refuses an unknown field or an out-of-range limit", () => {
    expect(() => applySettingsPatch(defaults, { colour: "red" } as never)).toThrow(ZodError);
    expect(() => applySettingsPatch(defaults, { limits: { maxConcurrentTasks: 0 } })).toThrow(ZodError);
  });
});
