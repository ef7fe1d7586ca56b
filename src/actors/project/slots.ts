/**
 * The project's running slots for mission tasks: a mission takes slots before it starts tasks
 * (`acquireTaskSlots`), a task's slot frees when its view reports it ended, and the missions that
 * were refused a slot are then woken to try again. The rule itself is `grantSlots` (slot-grant.ts).
 */
import { getAgentByName } from "agents";
import { grantSlots } from "./slot-grant.ts";

/**
 * Takes slots for `taskIds` of mission `missionId`, up to `cap` slots held in all, in one
 * transaction. Returns the task ids granted; when some are refused, the mission is recorded as
 * waiting, to be woken when a slot frees.
 */
export function acquireSlots(storage: DurableObjectStorage, taskIds: readonly string[], missionId: string, cap: number): string[] {
  return storage.transactionSync(() => {
    const sql = storage.sql;
    const used = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM task_slots`).one().n;
    const holds = (taskId: string) => sql.exec(`SELECT 1 FROM task_slots WHERE task_id = ?`, taskId).toArray().length > 0;
    const { granted, taken } = grantSlots(taskIds, holds, used, cap);
    const now = new Date().toISOString();
    for (const taskId of taken) sql.exec(`INSERT INTO task_slots (task_id, mission_id, created_at) VALUES (?, ?, ?)`, taskId, missionId, now);
    if (granted.length < taskIds.length) sql.exec(`INSERT OR IGNORE INTO slot_waiters (mission_id) VALUES (?)`, missionId);
    return granted;
  });
}

/**
 * Frees `taskId`'s slot, if it holds one. Returns the missions that waited for a slot (now no
 * longer recorded as waiting), to be woken; empty when the task held no slot.
 */
export function releaseSlot(storage: DurableObjectStorage, taskId: string): string[] {
  return storage.transactionSync(() => {
    if (storage.sql.exec(`DELETE FROM task_slots WHERE task_id = ?`, taskId).rowsWritten === 0) return [];
    const rows = storage.sql.exec<{ mission_id: string }>(`SELECT mission_id FROM slot_waiters`).toArray();
    storage.sql.exec(`DELETE FROM slot_waiters`);
    return rows.map((r) => r.mission_id);
  });
}

/**
 * Wakes each mission of `missionIds` (`MissionAgent.wake`) in the background of `ctx`; a failed
 * wake is logged under `label` (the project), not thrown.
 */
export function wakeMissions(env: Env, ctx: DurableObjectState, missionIds: readonly string[], label: string): void {
  for (const missionId of missionIds) {
    ctx.waitUntil(
      getAgentByName(env.MissionAgent, missionId)
        .then((mission) => mission.wake())
        .catch((error: unknown) => console.error(`project ${label}: waking mission ${missionId} failed: ${String(error)}`)),
    );
  }
}
