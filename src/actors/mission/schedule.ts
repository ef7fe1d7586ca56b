/**
 * The scheduler's decisions, as pure functions over the plan's entries (no storage, no actor
 * calls): which entries may start now, which can never start because a dependency failed for
 * good, what a task attempt's end means for its entry (done, retry, or failed for good), and
 * whether the mission is over and how. `MissionAgent.tick` applies them.
 */
import type { MissionStatus, MissionTaskStatus, TaskView } from "../../shared/protocol.ts";
import { dependsOn, type EntryRow } from "./rows.ts";

/** What the decisions read of an entry. */
export type ScheduledEntry = Pick<EntryRow, "key" | "status" | "depends_on_json">;

/** Entry statuses that mean "did not succeed and never will": an entry depending on one is skipped. */
const BLOCKING_STATUSES: readonly MissionTaskStatus[] = ["failed", "cancelled", "skipped"];

/**
 * The pending entries whose dependencies all succeeded, in plan order, at most as many as the
 * free slots (`maxConcurrent` minus the running entries; none when that is 0 or less). The
 * project's own cap may still refuse some of them.
 */
export function readyEntries<E extends ScheduledEntry>(entries: readonly E[], maxConcurrent: number): E[] {
  const byKey = new Map(entries.map((e) => [e.key, e]));
  const free = maxConcurrent - entries.filter((e) => e.status === "running").length;
  return entries.filter((e) => e.status === "pending" && dependsOn(e).every((d) => byKey.get(d)?.status === "succeeded")).slice(0, Math.max(free, 0));
}

/** A pending entry that must be skipped, with the dependency that blocks it and the reason stored as its error. */
export type Blocked = { key: string; blocker: string; reason: string };

/**
 * The pending entries that can never start: a dependency failed, was cancelled or was skipped,
 * directly or through a chain (a skip blocks what depends on it in turn). Each names its first
 * blocking dependency in `dependsOn` order, as of the round that found it. In plan order within
 * a round; a round per link of a chain.
 */
export function blockedEntries(entries: readonly ScheduledEntry[]): Blocked[] {
  const status = new Map(entries.map((e) => [e.key, e.status]));
  const blocked: Blocked[] = [];
  for (;;) {
    const round: Blocked[] = [];
    for (const entry of entries) {
      if (status.get(entry.key) !== "pending") continue;
      const blocker = dependsOn(entry).find((d) => BLOCKING_STATUSES.includes(status.get(d) ?? "pending"));
      if (blocker) round.push({ key: entry.key, blocker, reason: `not started: it depends on "${blocker}", which did not succeed` });
    }
    if (round.length === 0) return blocked;
    for (const b of round) status.set(b.key, "skipped");
    blocked.push(...round);
  }
}

/**
 * What the end of an entry's current attempt means for the entry: `succeeded`; `pending` again
 * (`retry`: a new attempt with a new task) when the task failed, `attempts <= maxRetries`, the
 * mission is not cancelled and the failure is not a spent budget (`failure.code` is
 * `budget_exceeded`: a retry would fail the same way); else `failed` or `cancelled` for good.
 * `error` is what the entry stores: null on success, the task's error otherwise, prefixed with
 * the attempt number on a retry.
 */
export function attemptOutcome(
  view: Pick<TaskView, "status" | "error" | "failure">,
  entry: { attempts: number },
  mission: { maxRetries: number; status: MissionStatus },
): { status: MissionTaskStatus; retry: boolean; error: string | null } {
  if (view.status === "succeeded") return { status: "succeeded", retry: false, error: null };
  if (view.status === "failed" && entry.attempts <= mission.maxRetries && mission.status !== "cancelled" && view.failure?.code !== "budget_exceeded") {
    return { status: "pending", retry: true, error: `attempt ${entry.attempts} failed: ${view.error ?? "unknown reason"}; retrying` };
  }
  return { status: view.status === "cancelled" ? "cancelled" : "failed", retry: false, error: view.error };
}

/**
 * Whether the mission is over, and how: null while an entry is pending or running; else
 * `succeeded` when every entry succeeded, `failed` with the count in words otherwise.
 */
export function missionOutcome(entries: readonly Pick<EntryRow, "status">[]): { status: "succeeded" | "failed"; reason: string | null } | null {
  if (entries.some((e) => e.status === "pending" || e.status === "running")) return null;
  const failed = entries.filter((e) => e.status !== "succeeded").length;
  return failed === 0 ? { status: "succeeded", reason: null } : { status: "failed", reason: `${failed} of ${entries.length} tasks did not succeed` };
}
