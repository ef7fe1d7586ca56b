/**
 * The task loop (src/actors/task/loop.ts) against fake journal, model and tools: each way out
 * (finished, step limit, budget, stopped, wait), resuming pending calls, and the admission
 * asked for ahead.
 */
import { describe, expect, it } from "vitest";
import { taskRow as row } from "./fakes.ts";
import type { ModelMessage } from "ai";
import type { GatedStepResult, StepAdmission } from "../../src/models/gate.ts";
import type { RequestedToolCall } from "../../src/models/step.ts";
import { runTaskLoop, type LoopDeps } from "../../src/actors/task/loop.ts";
import type { TaskRow } from "../../src/actors/task/row-store.ts";
import type { ToolOutcome } from "../../src/tools/workspace-tools.ts";

function step(text: string, toolCalls: RequestedToolCall[] = []): GatedStepResult {
  return { text, toolCalls, responseMessages: [{ role: "assistant", content: text }], finishReason: toolCalls.length ? "tool-calls" : "stop",
    inputTokens: 1, outputTokens: 1, cachedInputTokens: 0, durationMs: 1, costUsd: 0 };
}

const call = (id: string, toolName = "bash"): RequestedToolCall => ({ toolCallId: id, toolName, input: {} });

/** A fake world: a row, a queue of model answers, tool outcomes, and a log of what the loop did. */
function world(options: {
  row?: Partial<TaskRow>;
  steps: (GatedStepResult | { budgetExceeded: string } | (() => GatedStepResult))[];
  pending?: RequestedToolCall[];
  tool?: (call: RequestedToolCall) => ToolOutcome | "wait";
}) {
  let current = row(options.row);
  const log: string[] = [];
  const admissions: StepAdmission[] = [];
  const released: StepAdmission[] = [];
  const used: (StepAdmission | null)[] = [];
  const deps: LoopDeps = {
    journal: {
      row: () => current,
      pendingToolCalls: () => options.pending ?? [],
      deliverInbox: () => log.push("inbox"),
      conversation: (prompt): ModelMessage[] => [{ role: "user", content: prompt }],
      recordStep: (before, s) => {
        log.push(`step ${before.steps + 1}: ${s.text}`);
        current = { ...current, steps: before.steps + 1 };
      },
      recordToolResult: (c, stepNo, outcome) => log.push(`result ${c.toolCallId}@${stepNo}: ${outcome.output}`),
    },
    model: {
      step: async (_row, _messages, admission) => {
        used.push(admission);
        const next = options.steps.shift();
        if (!next) throw new Error("no more model steps");
        return typeof next === "function" ? next() : next;
      },
      admitAhead: (_row, _messages, pendingCalls) => {
        const admission = { inputChars: pendingCalls, call: Promise.resolve(null) };
        admissions.push(admission);
        return admission;
      },
      release: (admission) => released.push(admission),
    },
    tools: {
      run: async (c) => {
        log.push(`run ${c.toolCallId}`);
        return options.tool ? options.tool(c) : { output: "ok", isError: false, exitCode: 0 };
      },
    },
    setAbort: () => {},
  };
  return { deps, log, admissions, released, used, setRow: (r: Partial<TaskRow>) => (current = { ...current, ...r }) };
}

describe("runTaskLoop", () => {
  it("runs each step's tool calls, then finishes with the model's last text as the summary", async () => {
    const w = world({ steps: [step("looking", [call("a"), call("b")]), step("  done it  ")] });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "finished", summary: "done it" });
    expect(w.log).toEqual(["inbox", "step 1: looking", "run a", "result a@1: ok", "run b", "result b@1: ok", "inbox", "step 2:   done it  "]);
  });

  it("finishes with the script's closing text when the model says nothing", async () => {
    const w = world({ steps: [step("   ")] });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "finished", summary: "script finished" });
  });

  it("stops at maxSteps before asking for another step", async () => {
    const w = world({ row: { max_steps: 2 }, steps: [step("1", [call("a")]), step("2", [call("b")]), step("never")] });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "step_limit", maxSteps: 2 });
    expect(w.log.filter((l) => l.startsWith("step"))).toEqual(["step 1: 1", "step 2: 2"]);
  });

  it("exits with the budget's reason when the gate refuses a step, journaling nothing for it", async () => {
    const w = world({ steps: [{ budgetExceeded: "task budget exhausted" }] });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "budget", message: "task budget exhausted" });
    expect(w.log).toEqual(["inbox"]);
  });

  it("stops without journaling a step that ended after the task was cancelled", async () => {
    let w: ReturnType<typeof world> | undefined;
    w = world({
      steps: [
        () => {
          w?.setRow({ status: "cancelled" });
          return step("late", [call("a")]);
        },
      ],
    });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "stopped" });
    expect(w.log).toEqual(["inbox"]);
  });

  it("does not start for a task that is not running", async () => {
    const w = world({ row: { status: "waiting" }, steps: [step("never")] });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "stopped" });
    expect(w.log).toEqual([]);
  });

  it("exits to wait when a tool call makes the task wait, leaving later calls unrun", async () => {
    const w = world({
      steps: [step("asking", [call("q", "ask_human"), call("b")])],
      tool: (c) => (c.toolName === "ask_human" ? "wait" : { output: "ok", isError: false, exitCode: null }),
    });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "wait" });
    expect(w.log).toEqual(["inbox", "step 1: asking", "run q"]);
  });

  it("runs the calls left pending by an interrupted run before the next model step", async () => {
    const w = world({ row: { steps: 3 }, pending: [call("left")], steps: [step("done")] });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "finished", summary: "done" });
    expect(w.log).toEqual(["run left", "result left@3: ok", "inbox", "step 4: done"]);
  });

  it("asks for the next step's admission while workspace tools run, and hands it to that step", async () => {
    const w = world({ steps: [step("1", [call("a"), call("b")]), step("done")] });
    await runTaskLoop(w.deps);
    expect(w.admissions).toHaveLength(1);
    expect(w.admissions[0]?.inputChars).toBe(2);
    expect(w.used).toEqual([null, w.admissions[0]]);
    expect(w.released).toEqual([]);
  });

  it("asks for no admission ahead when a platform tool may make the task wait, or at the last step", async () => {
    const platform = world({ steps: [step("1", [call("d", "dispatch_task")]), step("done")] });
    await runTaskLoop(platform.deps);
    expect(platform.admissions).toEqual([]);
    const last = world({ row: { max_steps: 1 }, steps: [step("1", [call("a")])] });
    await expect(runTaskLoop(last.deps)).resolves.toEqual({ kind: "step_limit", maxSteps: 1 });
    expect(last.admissions).toEqual([]);
  });

  it("releases an admission asked for ahead that no step used", async () => {
    let w: ReturnType<typeof world> | undefined;
    w = world({
      steps: [step("1", [call("a")])],
      tool: () => {
        w?.setRow({ status: "cancelled" });
        return { output: "ok", isError: false, exitCode: 0 };
      },
    });
    await expect(runTaskLoop(w.deps)).resolves.toEqual({ kind: "stopped" });
    expect(w.admissions).toHaveLength(1);
    expect(w.released).toEqual(w.admissions);
  });

  it("passes a model failure through (the task then fails as unexpected)", async () => {
    const w = world({ steps: [] });
    await expect(runTaskLoop(w.deps)).rejects.toThrow("no more model steps");
  });
});
