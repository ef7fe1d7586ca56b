/** grantSlots: the project-wide cap on running mission tasks, decided in request order, idempotent per task. */
import { describe, expect, it } from "vitest";
import { grantSlots } from "../../src/actors/project/slot-grant.ts";

const none = () => false;

describe("grantSlots", () => {
  it("grants free slots in request order up to the cap and refuses the rest", () => {
    expect(grantSlots(["a", "b", "c"], none, 0, 2)).toEqual({ granted: ["a", "b"], taken: ["a", "b"] });
  });

  it("counts slots already in use by other tasks", () => {
    expect(grantSlots(["a", "b"], none, 9, 10)).toEqual({ granted: ["a"], taken: ["a"] });
    expect(grantSlots(["a"], none, 10, 10)).toEqual({ granted: [], taken: [] });
  });

  it("grants again a task that already holds a slot, without taking another, even at the cap", () => {
    const holds = (id: string) => id === "b";
    expect(grantSlots(["a", "b", "c"], holds, 3, 3)).toEqual({ granted: ["b"], taken: [] });
    expect(grantSlots(["a", "b", "c"], holds, 2, 3)).toEqual({ granted: ["a", "b"], taken: ["a"] });
  });

  it("takes one slot for a task id repeated in one request, and grants each copy", () => {
    expect(grantSlots(["a", "a", "b"], none, 0, 5)).toEqual({ granted: ["a", "a", "b"], taken: ["a", "b"] });
    // The repeat does not use up a second slot: "b" still fits under a cap of 2.
    expect(grantSlots(["a", "a", "b"], none, 0, 2)).toEqual({ granted: ["a", "a", "b"], taken: ["a", "b"] });
    expect(grantSlots(["a", "a"], none, 1, 1)).toEqual({ granted: [], taken: [] });
  });

  it("grants nothing for no request", () => {
    expect(grantSlots([], none, 0, 5)).toEqual({ granted: [], taken: [] });
  });
});
