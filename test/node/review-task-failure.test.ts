/**
 * The failure of task views written before `failure` existed: derived from the message by one
 * shared rule (src/shared/task-failure.ts), for the views the mission actor is sent and the ones
 * the project actor stored (src/actors/project/views.ts `parseStoredTaskView`).
 */
import { describe, expect, it } from "vitest";
import { parseStoredTaskView } from "../../src/actors/project/views.ts";
import type { TaskView } from "../../src/shared/protocol.ts";
import { failureCodeOfOldRow, parseTaskView, withDerivedFailure } from "../../src/shared/task-failure.ts";

function view(overrides: Partial<TaskView> = {}): TaskView {
  return {
    id: "tsk_1", projectId: "prj_1", status: "failed", prompt: "do it", model: "scripted", steps: 3, summary: null,
    error: "budget_exceeded: task budget exhausted", failure: null, usage: { inputTokens: 1, outputTokens: 2, costUsd: 0.01 },
    changedFiles: [], missionId: "msn_1", parentTaskId: null, depth: 0, question: null, createdBy: "usr_1",
    createdAt: "2025-01-01T00:00:00.000Z", updatedAt: "2025-01-01T00:01:00.000Z", ...overrides,
  };
}

/** A view as an older task actor sent or a project stored it: no `failure` key at all. */
function oldView(overrides: Partial<TaskView> = {}): Record<string, unknown> {
  const { failure: _failure, ...rest } = view(overrides);
  return rest;
}

describe("failureCodeOfOldRow", () => {
  it("reads the code from the message prefixes older versions wrote", () => {
    expect(failureCodeOfOldRow("failed", "budget_exceeded: mission budget exhausted")).toBe("budget_exceeded");
    expect(failureCodeOfOldRow("failed", "step limit reached (maxSteps 3)")).toBe("step_limit");
    expect(failureCodeOfOldRow("failed", "no progress for 601 s, and none after a check-in")).toBe("silence");
    expect(failureCodeOfOldRow("failed", "upstream said no")).toBe("unexpected_error");
    expect(failureCodeOfOldRow("cancelled", "budget_exceeded lookalike")).toBe("cancelled");
  });
});

describe("withDerivedFailure", () => {
  it("fills the failure of a failed or cancelled view that has none", () => {
    expect(withDerivedFailure(view()).failure).toEqual({ code: "budget_exceeded", message: "budget_exceeded: task budget exhausted" });
    expect(withDerivedFailure(view({ status: "cancelled", error: "cancelled by a user" })).failure).toEqual({ code: "cancelled", message: "cancelled by a user" });
  });

  it("keeps a stored failure, even one the message would not give", () => {
    const stored = view({ failure: { code: "silence", message: "budget_exceeded: task budget exhausted" } });
    expect(withDerivedFailure(stored)).toBe(stored);
  });

  it("leaves alone views that did not fail, and failed ones without a message", () => {
    const running = view({ status: "running", error: null });
    expect(withDerivedFailure(running).failure).toBeNull();
    expect(withDerivedFailure(view({ status: "succeeded", error: "budget_exceeded: odd" })).failure).toBeNull();
    expect(withDerivedFailure(view({ error: null })).failure).toBeNull();
  });
});

describe("parseTaskView (the mission's RPC boundary)", () => {
  it("parses an old view without `failure` and derives its code", () => {
    const parsed = parseTaskView(oldView({ error: "step limit reached (maxSteps 2)" }));
    expect(parsed.failure).toEqual({ code: "step_limit", message: "step limit reached (maxSteps 2)" });
    expect(parsed.id).toBe("tsk_1");
  });

  it("throws on something that is not a task view", () => {
    expect(() => parseTaskView({ id: "tsk_1", status: "exploded" })).toThrow();
    expect(() => parseTaskView(null)).toThrow();
  });
});

describe("parseStoredTaskView (the project's stored views)", () => {
  it("reads an old failed view back with its failure derived, as GET /api/tasks/:id answers it", () => {
    const parsed = parseStoredTaskView(JSON.stringify(oldView({ error: "no progress for 700 s, and none after a check-in" })));
    expect(parsed?.failure).toEqual({ code: "silence", message: "no progress for 700 s, and none after a check-in" });
  });

  it("reads a current view as stored", () => {
    const current = view({ failure: { code: "unexpected_error", message: "budget_exceeded: task budget exhausted" } });
    expect(parseStoredTaskView(JSON.stringify(current))).toEqual(current);
  });

  it("gives null for a row that is not JSON or not a task view, so lists can skip it", () => {
    expect(parseStoredTaskView("{not json")).toBeNull();
    expect(parseStoredTaskView(JSON.stringify({ id: "tsk_1" }))).toBeNull();
  });
});
