/** Plan validation (`planProblem`, `missionRequestSchema`): the plans a mission refuses, and the words it uses. */
import { describe, expect, it } from "vitest";
import { missionRequestSchema, planProblem } from "../../src/shared/mission-plan.ts";

describe("planProblem", () => {
  it("accepts a valid DAG (a diamond, and tasks without dependsOn)", () => {
    expect(
      planProblem([
        { key: "a" },
        { key: "b", dependsOn: ["a"] },
        { key: "c", dependsOn: ["a"] },
        { key: "d", dependsOn: ["b", "c"] },
      ]),
    ).toBeNull();
  });

  it("names the first duplicate key", () => {
    expect(planProblem([{ key: "a" }, { key: "b" }, { key: "a" }])).toBe('duplicate task key "a"');
  });

  it("names a task that depends on an unknown one", () => {
    expect(planProblem([{ key: "a", dependsOn: ["ghost"] }])).toBe('task "a" depends on unknown task "ghost"');
  });

  it("names a task that depends on itself", () => {
    expect(planProblem([{ key: "a" }, { key: "b", dependsOn: ["a", "b"] }])).toBe('task "b" depends on itself');
  });

  it("reports a cycle as one path through it", () => {
    expect(planProblem([{ key: "a", dependsOn: ["c"] }, { key: "b", dependsOn: ["a"] }, { key: "c", dependsOn: ["b"] }])).toBe(
      "the plan has a cycle: a → c → b → a",
    );
  });

  it("reports only the cycle, not the path that leads into it", () => {
    expect(planProblem([{ key: "entry", dependsOn: ["x"] }, { key: "x", dependsOn: ["y"] }, { key: "y", dependsOn: ["x"] }])).toBe(
      "the plan has a cycle: x → y → x",
    );
  });

  it("is what the request schema refuses, on the tasks path", () => {
    const result = missionRequestSchema.safeParse({ goal: "g", tasks: [{ key: "a", prompt: "p", dependsOn: ["b"] }, { key: "b", prompt: "p", dependsOn: ["a"] }] });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ["tasks"], message: "the plan has a cycle: a → b → a" })]);
  });
});
