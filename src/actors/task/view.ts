/**
 * What the task's row looks like from outside, as pure functions: its view (the API, the
 * `task.updated` frame, the mission), its failure, and the spec it was started with.
 */
import type { TaskFailure, TaskRuntimeView, TaskStatus, TaskView } from "../../shared/protocol.ts";
import { failureCodeOfOldRow } from "../../shared/task-failure.ts";
import type { ScriptStep } from "../../shared/script.ts";
import type { TaskSpec } from "../../shared/task-spec.ts";
import { parseRepoState, repoViewOf } from "./repository-rules.ts";
import type { TaskRow } from "./row-store.ts";

/** The failure of a failed or cancelled task (`{code, message}`); null for any other status or a row without a message. */
export function failureOf(row: Pick<TaskRow, "status" | "error" | "failure_code">): TaskFailure | null {
  const status: TaskStatus = row.status;
  if ((status !== "failed" && status !== "cancelled") || row.error === null) return null;
  return { code: row.failure_code ?? failureCodeOfOldRow(status, row.error), message: row.error };
}

/** The task's view, with `runtime` (where it runs, escalation.ts) when given. Times are ISO 8601; the question only while it waits. */
export function toView(row: TaskRow, runtime?: TaskRuntimeView): TaskView {
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
    createdBy: row.user_id,
    ...(runtime ? { runtime } : {}),
    repo: repoViewOf(parseRepoState(row.repo_json)),
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
    repo: parseRepoState(row.repo_json)?.request,
  };
}
