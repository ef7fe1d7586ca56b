/**
 * The task actor's pure rules: instructions with policies, tool output caps, loop exits and
 * their endings, the silence decision, and failures (including the code of rows stored before
 * `failure_code` existed).
 */
import { describe, expect, it } from "vitest";
import {
  endingOf,
  MAX_STORED_OUTPUT_CHARS,
  shouldAdmitAhead,
  storedToolOutput,
  TASK_INSTRUCTIONS,
  taskInstructions,
  toolResultForModel,
} from "../../src/actors/task/loop-rules.ts";
import { decideSilence } from "../../src/actors/task/silence.ts";
import { failureOf, specOf, toView } from "../../src/actors/task/view.ts";
import { failureCodeOfOldRow } from "../../src/shared/task-failure.ts";
import type { TaskRow } from "../../src/actors/task/row-store.ts";

function row(overrides: Partial<TaskRow> = {}): TaskRow {
  return {
    id: "task_1", project_id: "p", user_id: "u", prompt: "do it", model: "scripted", max_steps: 10, status: "running", steps: 2,
    summary: null, error: null, failure_code: null, input_tokens: 5, output_tokens: 7, cost_usd: 0.5, budget_usd: null,
    mission_budget_usd: null, changed_files_json: '["a.txt"]', mission_id: null, parent_task_id: null, depth: 0, session_id: null,
    policies_json: '["be brief"]', limits_json: "{}", wait_kind: null, question: "why?", last_activity_at: 0, checked_in_at: null, repo_json: null,
    created_at: "2025-01-01T00:00:00.000Z", updated_at: "2025-01-02T00:00:00.000Z", ...overrides,
  };
}

describe("taskInstructions", () => {
  it("is the base instructions alone without policies", () => {
    expect(taskInstructions([])).toBe(TASK_INSTRUCTIONS);
  });

  it("lists each policy after the base instructions", () => {
    expect(taskInstructions(["use tabs", "no new deps"])).toBe(`${TASK_INSTRUCTIONS}\n\nProject policies (always follow them):\n- use tabs\n- no new deps`);
  });
});

describe("tool output", () => {
  it("stores output up to the cap unchanged, and cuts longer output with a marker", () => {
    const exact = "x".repeat(MAX_STORED_OUTPUT_CHARS);
    expect(storedToolOutput(exact)).toBe(exact);
    const cut = storedToolOutput(`${exact}yz`);
    expect(cut).toBe(`${exact}\n[truncated]`);
    expect(MAX_STORED_OUTPUT_CHARS).toBe(64 * 1024);
  });

  it("gives bash's exit code to the model, and errors as error text", () => {
    const call = { toolCallId: "c1", toolName: "bash", input: {} };
    expect(toolResultForModel(call, { output: "boom", isError: true, exitCode: 2 }, "boom")).toEqual({
      role: "tool",
      content: [{ type: "tool-result", toolCallId: "c1", toolName: "bash", output: { type: "error-text", value: "exit code: 2\nboom" } }],
    });
    const read = { toolCallId: "c2", toolName: "read_file", input: {} };
    expect(toolResultForModel(read, { output: "text", isError: false, exitCode: null }, "text")).toMatchObject({
      content: [{ output: { type: "text", value: "text" } }],
    });
  });
});

describe("shouldAdmitAhead", () => {
  const bash = { toolCallId: "a", toolName: "bash", input: {} };
  it("admits ahead only when another step may follow and no call can make the task wait", () => {
    expect(shouldAdmitAhead(0, 2, [bash])).toBe(true);
    expect(shouldAdmitAhead(1, 2, [bash])).toBe(false);
    for (const toolName of ["dispatch_task", "wait_for_tasks", "ask_human"]) {
      expect(shouldAdmitAhead(0, 10, [bash, { toolCallId: "b", toolName, input: {} }])).toBe(false);
    }
  });
});

describe("endingOf", () => {
  it("succeeds a finished loop and fails the step limit and budget with their codes and today's messages", () => {
    expect(endingOf({ kind: "finished", summary: "did it" })).toEqual({ status: "succeeded", summary: "did it", failure: null });
    expect(endingOf({ kind: "step_limit", maxSteps: 3 })).toEqual({
      status: "failed",
      summary: null,
      failure: { code: "step_limit", message: "step limit reached (maxSteps 3)" },
    });
    expect(endingOf({ kind: "budget", message: "task budget exhausted" })).toEqual({
      status: "failed",
      summary: null,
      failure: { code: "budget_exceeded", message: "budget_exceeded: task budget exhausted" },
    });
  });

  it("leaves the task as it is when the loop stopped or waits", () => {
    expect(endingOf({ kind: "stopped" })).toBeNull();
    expect(endingOf({ kind: "wait" })).toBeNull();
  });
});

describe("decideSilence", () => {
  const silenceMs = 60_000;
  it("re-arms for the end of the quiet period while the task is not silent long enough", () => {
    expect(decideSilence(1_000_000, 990_000, null, silenceMs)).toEqual({ kind: "rearm", atMs: 1_050_000 });
  });

  it("checks in once after silenceMs without progress", () => {
    expect(decideSilence(1_000_000, 930_000, null, silenceMs)).toEqual({
      kind: "check_in",
      text: "Check-in: no progress for 70 s. Report what you are doing and continue, or finish with a summary.",
      nextAtMs: 1_060_000,
    });
  });

  it("waits silenceMs after the check-in, then fails with the reason", () => {
    expect(decideSilence(1_000_000, 900_000, 950_000, silenceMs)).toEqual({ kind: "rearm", atMs: 1_010_000 });
    expect(decideSilence(1_000_000, 900_000, 940_000, silenceMs)).toEqual({ kind: "fail", reason: "no progress for 100 s, and none after a check-in" });
  });
});

describe("failures", () => {
  it("derives the code of an old row from the message its version wrote", () => {
    expect(failureCodeOfOldRow("failed", "budget_exceeded: task budget exhausted")).toBe("budget_exceeded");
    expect(failureCodeOfOldRow("failed", "step limit reached (maxSteps 3)")).toBe("step_limit");
    expect(failureCodeOfOldRow("failed", "no progress for 601 s, and none after a check-in")).toBe("silence");
    expect(failureCodeOfOldRow("failed", "this model does not support tools")).toBe("unexpected_error");
    expect(failureCodeOfOldRow("cancelled", "budget_exceeded lookalike, cancelled by a user")).toBe("cancelled");
  });

  it("prefers the stored code over the message", () => {
    expect(failureOf(row({ status: "failed", error: "budget_exceeded: spoof", failure_code: "unexpected_error" }))).toEqual({
      code: "unexpected_error",
      message: "budget_exceeded: spoof",
    });
  });

  it("has no failure unless the task failed or was cancelled", () => {
    expect(failureOf(row({ status: "succeeded", error: null }))).toBeNull();
    expect(failureOf(row({ status: "running", error: "stale" }))).toBeNull();
    expect(failureOf(row({ status: "cancelled", error: "mission cancelled" }))).toEqual({ code: "cancelled", message: "mission cancelled" });
  });
});

describe("toView and specOf", () => {
  it("shows the row with its failure, usage, changed files, and the question only while waiting", () => {
    const failed = toView(row({ status: "failed", error: "step limit reached (maxSteps 10)", failure_code: "step_limit" }));
    expect(failed).toMatchObject({
      id: "task_1",
      status: "failed",
      error: "step limit reached (maxSteps 10)",
      failure: { code: "step_limit", message: "step limit reached (maxSteps 10)" },
      usage: { inputTokens: 5, outputTokens: 7, costUsd: 0.5 },
      changedFiles: ["a.txt"],
      question: null,
      createdAt: "2025-01-01T00:00:00.000Z",
    });
    expect(toView(row({ status: "waiting" })).question).toBe("why?");
  });

  it("gives back the spec a retry needs", () => {
    expect(specOf(row({ mission_id: "mission_1" }), undefined)).toMatchObject({
      id: "task_1",
      prompt: "do it",
      maxSteps: 10,
      missionId: "mission_1",
      parentTaskId: undefined,
      policies: ["be brief"],
    });
  });
});
