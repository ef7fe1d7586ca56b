/**
 * What the task's row looks like from outside, as pure functions: its view (the API, the
 * `task.updated` frame, the mission), its failure, and the spec it was started with.
 */
import type { TaskFailure, TaskFailureCode, TaskStatus, TaskView } from "../../shared/protocol.ts";
import type { ScriptStep } from "../../shared/script.ts";
import type { TaskSpec } from "../../shared/task-spec.ts";
import type { TaskRow } from "./row-store.ts";

/**
 * FOR OLD ROWS ONLY: the failure code of a task that ended before `failure_code` was stored,
 * derived once from its message as those versions wrote it (`budget_exceeded: ...`,
 * `step limit reached ...`, `no progress for ...`). A cancelled task is `cancelled`; any other
 * failure is `unexpected_error`. New rows store their code; nothing else parses messages.
 */
export function failureCodeOfOldRow(status: "failed" | "cancelled", message: string): TaskFailureCode {
  if (status === "cancelled") return "cancelled";
  if (message.startsWith("budget_exceeded")) return "budget_exceeded";
  if (message.startsWith("step limit reached")) return "step_limit";
  if (message.startsWith("no progress for")) return "silence";
  return "unexpected_error";
}

/** The failure of a failed or cancelled task (`{code, message}`); null for any other status or a row without a message. */
export function failureOf(row: Pick<TaskRow, "status" | "error" | "failure_code">): TaskFailure | null {
  const status: TaskStatus = row.status;
  if ((status !== "failed" && status !== "cancelled") || row.error === null) return null;
  return { code: row.failure_code ?? failureCodeOfOldRow(status, row.error), message: row.error };
}

/** The task's view. Times are ISO 8601; the question only while it waits. */
export function toView(row: TaskRow): TaskView {
  return {
    id: row.id,
    projectId: row.project_id,
    status: row.status,
    prompt: row.prompt,
    model: row.model,
    steps: row.steps,
    summary: row.summary,
    error: row.error,
    failure: failureOf(row),
    usage: { inputTokens: row.input_tokens, outputTokens: row.output_tokens, costUsd: row.cost_usd },
    changedFiles: JSON.parse(row.changed_files_json) as string[],
    missionId: row.mission_id,
    parentTaskId: row.parent_task_id,
    depth: row.depth,
    question: row.status === "waiting" ? row.question : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The spec the task was started with, for `retry_task`: prompt, model, script, maxSteps, its
 * place (mission, parent, depth, session) and policies. Budgets and limits are not included.
 */
export function specOf(row: TaskRow, script: ScriptStep[] | undefined): TaskSpec {
  return {
    id: row.id,
    projectId: row.project_id,
    userId: row.user_id,
    prompt: row.prompt,
    model: row.model,
    script,
    maxSteps: row.max_steps,
    missionId: row.mission_id ?? undefined,
    parentTaskId: row.parent_task_id ?? undefined,
    depth: row.depth,
    sessionId: row.session_id ?? undefined,
    policies: JSON.parse(row.policies_json) as string[],
  };
}
