/**
 * A task's failure code for views and rows written before the code existed. Tasks now store
 * `failure: {code, message}` (docs/architecture.md §2.2); a view or row from an older task
 * actor has only the message, and its code is derived here, once, from the message's prefix as
 * those versions wrote it. Pure; the task actor (its rows), the mission actor (the views it is
 * sent) and the project actor (the views it stored) all use it, so one rule answers everywhere.
 */
import { taskViewSchema, type TaskFailureCode, type TaskView } from "./protocol.ts";

/**
 * FOR OLD ROWS AND VIEWS ONLY: the failure code of a task that ended before its code was
 * stored, from its `status` and its error `message` as those versions wrote it
 * (`budget_exceeded: ...` → `budget_exceeded`, `step limit reached ...` → `step_limit`,
 * `no progress for ...` → `silence`). A cancelled task is `cancelled`; any other failure is
 * `unexpected_error`. New tasks store their code; nothing else parses messages.
 */
export function failureCodeOfOldRow(status: "failed" | "cancelled", message: string): TaskFailureCode {
  if (status === "cancelled") return "cancelled";
  if (message.startsWith("budget_exceeded")) return "budget_exceeded";
  if (message.startsWith("step limit reached")) return "step_limit";
  if (message.startsWith("no progress for")) return "silence";
  return "unexpected_error";
}

/**
 * `view` with its `failure` filled in when a task actor from before the field sent (or a project
 * stored) it without one: a failed or cancelled view with `failure: null` and an `error` gets
 * `{code: failureCodeOfOldRow(status, error), message: error}`. Any other view is returned as
 * it is (the same object).
 */
export function withDerivedFailure(view: TaskView): TaskView {
  if (view.failure !== null || view.error === null || (view.status !== "failed" && view.status !== "cancelled")) return view;
  return { ...view, failure: { code: failureCodeOfOldRow(view.status, view.error), message: view.error } };
}

/**
 * Parses a task view received across a boundary (an RPC argument or result, a stored row) with
 * `taskViewSchema`, then derives a missing failure (`withDerivedFailure`). Returns the view.
 * @throws ZodError when `input` is not a task view.
 */
export function parseTaskView(input: unknown): TaskView {
  return withDerivedFailure(taskViewSchema.parse(input));
}
