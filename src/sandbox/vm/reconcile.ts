/**
 * The reconciliation's rule (issue 16, "no orphaned VMs after crashes"): what to do with one
 * server labelled `sam=1` for a project, given what its task's actor says. Pure: the project
 * actor's alarm (src/actors/project/vm-reconcile.ts) lists the servers and acts; unit-tested in
 * test/node/escalation-rules.test.ts.
 */
import type { VmServer } from "./provider.ts";

/** What the reconciliation knows of a server's task: null when no task by that id exists (or the label is not a task id). */
export interface ReconcileTask {
  /** The task's status (`queued`, `running`, `waiting`, `succeeded`, `failed`, `cancelled`). */
  status: string;
}

/**
 * - `keep`: its task is live and the server is younger than `limits.vm.maxHours`;
 * - `delete`: its task ended or is unknown (a crash left it behind; a task's own release failed);
 * - `expire`: its task is live but the server is older than `maxHours`: the task fails and its
 *   VM is released (the task actor does both, so its cost is recorded).
 */
export type ReconcileAction = "keep" | "delete" | "expire";

/** Statuses after which a task holds no VM. */
const ENDED = new Set(["succeeded", "failed", "cancelled"]);

/**
 * The action for `server` (its `created`, ISO 8601) whose task is `task` (null: unknown), at
 * `nowMs` (epoch ms), under a limit of `maxHours` (hours, from `limits.vm.maxHours`). A server
 * being deleted already (`deleting`) is kept (nothing to do). An unparsable `created` never expires.
 */
export function reconcileAction(server: Pick<VmServer, "status" | "created">, task: ReconcileTask | null, maxHours: number, nowMs: number): ReconcileAction {
  if (server.status === "deleting") return "keep";
  if (!task || ENDED.has(task.status)) return "delete";
  const created = Date.parse(server.created);
  if (Number.isFinite(created) && nowMs - created > maxHours * 3_600_000) return "expire";
  return "keep";
}
