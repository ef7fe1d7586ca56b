/**
 * The task loop's rules, as pure functions (no storage, no actor): the instructions the model
 * gets, how a tool's output is stored and given back to the model, when the next step's
 * admission is asked for ahead, and what each way out of the loop does to the task.
 */
import type { ModelMessage } from "ai";
import type { RequestedToolCall } from "../../models/step.ts";
import { EXEC_DEFAULT_MAX_OUTPUT_BYTES } from "../../sandbox/workspace.ts";
import type { TaskFailure } from "../../shared/protocol.ts";
import { isPlatformTool } from "../../tools/task-platform-tools.ts";
import type { ToolOutcome } from "../../tools/workspace-tools.ts";
import { transcriptLimitMessage } from "./transcript-limits.ts";

/** The task model's instructions before the project's policies. */
export const TASK_INSTRUCTIONS = `You are a coding agent working in an isolated workspace mounted at /workspace.
Use the tools to inspect and change files and to run commands (bash has no network access).
You may split work into child tasks (dispatch_task, then wait_for_tasks) and ask a person
(ask_human) when only they can decide. Make the smallest change that achieves the goal, verify
it by running the relevant commands, and finish with a short summary of what you did and what
you verified.`;

/** The instructions for a task of a project with `policies`: TASK_INSTRUCTIONS, then the policies as a list. */
export function taskInstructions(policies: readonly string[]): string {
  if (policies.length === 0) return TASK_INSTRUCTIONS;
  return `${TASK_INSTRUCTIONS}\n\nProject policies (always follow them):\n${policies.map((p) => `- ${p}`).join("\n")}`;
}

/** Cap on a tool output stored in the transcript, in characters: the number of the exec output cap (64 Ki). */
export const MAX_STORED_OUTPUT_CHARS = EXEC_DEFAULT_MAX_OUTPUT_BYTES;

/** A tool's output as stored and given to the model: cut at MAX_STORED_OUTPUT_CHARS, with a `[truncated]` line. */
export function storedToolOutput(output: string): string {
  return output.length > MAX_STORED_OUTPUT_CHARS ? `${output.slice(0, MAX_STORED_OUTPUT_CHARS)}\n[truncated]` : output;
}

/**
 * The `tool` message giving a call's result to the model: `output` (already capped), preceded by
 * `exit code: N` for bash, as error text when the outcome is an error.
 */
export function toolResultForModel(call: RequestedToolCall, outcome: ToolOutcome, output: string): ModelMessage {
  const value = outcome.exitCode === null ? output : `exit code: ${outcome.exitCode}\n${output}`;
  return {
    role: "tool",
    content: [
      {
        type: "tool-result",
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: outcome.isError ? { type: "error-text", value } : { type: "text", value },
      },
    ],
  };
}

/**
 * Whether to ask for the next step's admission while this step's `calls` run: only when a next
 * step may follow (`steps + 1 < maxSteps`, `steps` counted before this step) and no call can
 * make the task wait (no platform tool).
 */
export function shouldAdmitAhead(steps: number, maxSteps: number, calls: readonly RequestedToolCall[]): boolean {
  return steps + 1 < maxSteps && calls.every((call) => !isPlatformTool(call.toolName));
}

/**
 * How the loop ended:
 * - `finished`: the model answered without tool calls; `summary` is its text.
 * - `step_limit`: `maxSteps` model steps were taken and another was due.
 * - `budget`: the gate refused a step (`message` says which budget).
 * - `stopped`: the task left `running` meanwhile (cancelled, or failed by the silence check).
 * - `wait`: a tool call made the task wait (children or a person); a wake restarts the loop.
 * - `transcript_limit`: the transcript had no room for a step or a tool result (`maxBytes`, bytes).
 */
export type LoopExit =
  | { kind: "finished"; summary: string }
  | { kind: "step_limit"; maxSteps: number }
  | { kind: "budget"; message: string }
  | { kind: "transcript_limit"; maxBytes: number }
  | { kind: "stopped" }
  | { kind: "wait" };

/** What an exit does to the task: its end state and outcome, or null when it leaves the task as it is. */
export type TaskEnding = { status: "succeeded"; summary: string; failure: null } | { status: "failed"; summary: null; failure: TaskFailure };

/**
 * The ending of a loop exit (`finished` succeeds; `step_limit`, `budget` and `transcript_limit`
 * fail with their code); null for `stopped` and `wait`.
 */
export function endingOf(exit: LoopExit): TaskEnding | null {
  switch (exit.kind) {
    case "finished":
      return { status: "succeeded", summary: exit.summary, failure: null };
    case "step_limit":
      return { status: "failed", summary: null, failure: { code: "step_limit", message: `step limit reached (maxSteps ${exit.maxSteps})` } };
    case "budget":
      return { status: "failed", summary: null, failure: { code: "budget_exceeded", message: `budget_exceeded: ${exit.message}` } };
    case "transcript_limit":
      return { status: "failed", summary: null, failure: { code: "transcript_limit", message: transcriptLimitMessage(exit.maxBytes) } };
    case "stopped":
    case "wait":
      return null;
  }
}
