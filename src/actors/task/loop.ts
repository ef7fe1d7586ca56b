/**
 * The task loop: model step, then its tool calls, until the model finishes or something stops
 * it. Written against three small interfaces (the journal, the model, the tools) so it holds no
 * storage or actor code itself; it returns how it ended (`LoopExit`) and the caller acts on it.
 *
 * At every boundary (before a step, after it, before each tool call) it re-reads the status: a
 * task cancelled or failed meanwhile stops there. A step or tool result the transcript has no
 * room for (TranscriptLimitError) ends it as `transcript_limit`. While a step's tool calls run, the next step's
 * admission is asked for ahead (one round trip to the gate less per step).
 */
import type { ModelMessage } from "ai";
import type { GatedStepResult, StepAdmission } from "../../models/gate.ts";
import type { RequestedToolCall } from "../../models/step.ts";
import { SCRIPT_FINISHED_TEXT } from "../../shared/script.ts";
import type { ToolOutcome } from "../../tools/workspace-tools.ts";
import { shouldAdmitAhead, type LoopExit } from "./loop-rules.ts";
import type { TaskRow } from "./row-store.ts";
import { TranscriptLimitError } from "./transcript-limits.ts";

/** The journal as the loop sees it. */
export interface LoopJournal {
  /** The task's row now (status, steps, maxSteps, prompt). */
  row(): TaskRow;
  /** Calls journaled without a result (a resumed loop runs them first). Read once, at the start. */
  pendingToolCalls(): RequestedToolCall[];
  /** Gives the model what waits in the inbox (messages, check-ins); called before each step. */
  deliverInbox(): void;
  /** The conversation for the next step: the prompt, then every journaled message. */
  conversation(prompt: string): ModelMessage[];
  /**
   * Journals a finished step (and publishes it); `row` is the row before it.
   * @throws TranscriptLimitError when the transcript has no room for it (the loop then exits).
   */
  recordStep(row: TaskRow, step: GatedStepResult): void;
  /**
   * Journals a tool call's result (and publishes it); `step` is the step that asked for it.
   * @throws TranscriptLimitError when the transcript has no room for it (the loop then exits).
   */
  recordToolResult(call: RequestedToolCall, step: number, outcome: ToolOutcome, durationMs: number): void;
}

/** The model as the loop sees it: steps through the gate. */
export interface LoopModel {
  /**
   * One model step over `messages`, using `admission` when given. Returns the step, or
   * `{budgetExceeded}` (the reason) when the gate refused it for a budget.
   * @throws anything else (model unavailable, provider errors): the task then fails as unexpected.
   */
  step(row: TaskRow, messages: ModelMessage[], admission: StepAdmission | null, signal: AbortSignal): Promise<GatedStepResult | { budgetExceeded: string }>;
  /** Asks for the next step's admission now, for `messages` plus `pendingCalls` calls' output. */
  admitAhead(row: TaskRow, messages: ModelMessage[], pendingCalls: number): StepAdmission;
  /** Gives back an admission that will not be used. Never throws. */
  release(admission: StepAdmission): void;
}

/** The tools as the loop sees them. */
export interface LoopTools {
  /** Runs a call; "wait" when it made the task wait instead of producing a result. Never throws for a tool's failure. */
  run(call: RequestedToolCall, signal: AbortSignal): Promise<ToolOutcome | "wait">;
}

/** What the loop runs against. `setAbort` holds the controller of the call in flight, so a cancel can abort it. */
export interface LoopDeps {
  journal: LoopJournal;
  model: LoopModel;
  tools: LoopTools;
  setAbort(controller: AbortController | null): void;
}

/**
 * Runs the loop of a `running` task until it exits; returns how. Throws what the model throws
 * (a TranscriptLimitError from the journal is an exit, `transcript_limit`, not thrown).
 */
export async function runTaskLoop({ journal, model, tools, setAbort }: LoopDeps): Promise<LoopExit> {
  // The next step's admission, asked for while this step's tools run; released if unused.
  let ahead: StepAdmission | null = null;
  // Calls journaled but without a result: read from the journal once (a resumed loop); after
  // that the loop itself knows (every call it runs gets its result journaled).
  let pending = journal.pendingToolCalls();
  try {
    for (;;) {
      const row = journal.row();
      if (row.status !== "running") return { kind: "stopped" };
      if (pending.length === 0) {
        if (row.steps >= row.max_steps) return { kind: "step_limit", maxSteps: row.max_steps };
        journal.deliverInbox();
        const controller = new AbortController();
        setAbort(controller);
        let step: GatedStepResult | { budgetExceeded: string };
        try {
          const admission = ahead;
          ahead = null;
          step = await model.step(row, journal.conversation(row.prompt), admission, controller.signal);
        } finally {
          setAbort(null);
        }
        if ("budgetExceeded" in step) return { kind: "budget", message: step.budgetExceeded };
        if (journal.row().status !== "running") return { kind: "stopped" };
        journal.recordStep(row, step);
        if (step.toolCalls.length === 0) return { kind: "finished", summary: step.text.trim() || SCRIPT_FINISHED_TEXT };
        pending = step.toolCalls;
        if (shouldAdmitAhead(row.steps, row.max_steps, pending)) ahead = model.admitAhead(row, journal.conversation(row.prompt), pending.length);
      }
      for (const call of pending) {
        if (journal.row().status !== "running") return { kind: "stopped" };
        const step = journal.row().steps;
        const started = Date.now();
        const controller = new AbortController();
        setAbort(controller);
        const outcome = await tools.run(call, controller.signal).finally(() => setAbort(null));
        if (outcome === "wait") return { kind: "wait" };
        journal.recordToolResult(call, step, outcome, Date.now() - started);
      }
      pending = [];
    }
  } catch (error) {
    if (error instanceof TranscriptLimitError) return { kind: "transcript_limit", maxBytes: error.maxBytes };
    throw error;
  } finally {
    if (ahead) model.release(ahead);
  }
}
