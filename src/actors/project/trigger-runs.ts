/**
 * A project's trigger runs (one row per firing) and the webhook delivery ids already received,
 * in the project actor's SQLite. A cron due time and a delivery id are claimed in one
 * transaction with the run they start, before any work starts, so a retried alarm, a restart or a
 * repeated delivery never starts the work twice. Runs are kept per trigger up to
 * MAX_RUNS_PER_TRIGGER (the oldest dropped), delivery ids up to MAX_DELIVERIES_PER_TRIGGER.
 */
import { newId } from "../../ids.ts";
import { MAX_DELIVERIES_PER_TRIGGER, MAX_RUNS_PER_TRIGGER, triggerRunSchema, type TriggerRun, type TriggerRunOutcome } from "../../shared/trigger.ts";
import { dueMayFire } from "./trigger-rules.ts";

type RunRow = {
  id: string;
  trigger_id: string;
  fired_at: string;
  due_ms: number | null;
  delivery_id: string | null;
  outcome: string;
  task_id: string | null;
  mission_id: string | null;
  message: string | null;
};

/** A stored row as a run, or null (logged) when it no longer parses. */
function toRun(row: RunRow): TriggerRun | null {
  const parsed = triggerRunSchema.safeParse({
    id: row.id,
    triggerId: row.trigger_id,
    firedAt: row.fired_at,
    dueAt: row.due_ms === null ? null : new Date(row.due_ms).toISOString(),
    deliveryId: row.delivery_id,
    outcome: row.outcome,
    taskId: row.task_id,
    missionId: row.mission_id,
    message: row.message,
  });
  if (!parsed.success) {
    console.error(`trigger run ${row.id}: skipped an unreadable row`);
    return null;
  }
  return parsed.data;
}

/** A new run of `triggerId` fired now, before it knows its outcome (`started`, nothing started yet). */
function newRun(triggerId: string, fields: { dueMs?: number | null; deliveryId?: string | null; outcome?: TriggerRunOutcome; message?: string | null; taskId?: string | null; missionId?: string | null }): RunRow {
  return {
    id: newId("triggerRun"),
    trigger_id: triggerId,
    fired_at: new Date().toISOString(),
    due_ms: fields.dueMs ?? null,
    delivery_id: fields.deliveryId ?? null,
    outcome: fields.outcome ?? "started",
    task_id: fields.taskId ?? null,
    mission_id: fields.missionId ?? null,
    message: fields.message ?? null,
  };
}

/** Inserts `row`, then drops the trigger's runs beyond the newest MAX_RUNS_PER_TRIGGER. */
function insertRun(sql: SqlStorage, row: RunRow): void {
  sql.exec(
    `INSERT INTO trigger_runs (id, trigger_id, fired_at, due_ms, delivery_id, outcome, task_id, mission_id, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    row.id,
    row.trigger_id,
    row.fired_at,
    row.due_ms,
    row.delivery_id,
    row.outcome,
    row.task_id,
    row.mission_id,
    row.message,
  );
  sql.exec(
    `DELETE FROM trigger_runs WHERE trigger_id = ? AND id NOT IN (SELECT id FROM trigger_runs WHERE trigger_id = ? ORDER BY fired_at DESC, id DESC LIMIT ?)`,
    row.trigger_id,
    row.trigger_id,
    MAX_RUNS_PER_TRIGGER,
  );
}

/**
 * Claims cron due time `dueMs` (epoch ms) of `triggerId` and records its run (`started`) in one
 * transaction. Returns the run, or null when that due time (or a later one) was already claimed:
 * then nothing may start. Reads and moves the trigger row's `last_due_ms`.
 */
export function claimDue(storage: DurableObjectStorage, triggerId: string, dueMs: number): TriggerRun | null {
  return storage.transactionSync(() => {
    const last = storage.sql.exec<{ last_due_ms: number | null }>(`SELECT last_due_ms FROM triggers WHERE id = ?`, triggerId).toArray()[0];
    if (!last || !dueMayFire(last.last_due_ms, dueMs)) return null;
    const row = newRun(triggerId, { dueMs });
    insertRun(storage.sql, row);
    storage.sql.exec(`UPDATE triggers SET last_due_ms = ? WHERE id = ?`, dueMs, triggerId);
    return toRun(row);
  });
}

/**
 * Records a webhook call of `triggerId` in one transaction: with a delivery id seen before, a
 * `duplicate` run pointing at the first one (`{duplicate: true}`); otherwise a `started` run,
 * and its delivery id (when given) remembered (`{duplicate: false}`).
 */
export function claimDelivery(storage: DurableObjectStorage, triggerId: string, deliveryId: string | null): { duplicate: boolean; run: TriggerRun } {
  return storage.transactionSync(() => {
    const sql = storage.sql;
    if (deliveryId !== null) {
      const seen = sql.exec<{ run_id: string }>(`SELECT run_id FROM trigger_deliveries WHERE trigger_id = ? AND delivery_id = ?`, triggerId, deliveryId).toArray()[0];
      if (seen) {
        const first = readRun(sql, seen.run_id);
        const row = newRun(triggerId, {
          deliveryId,
          outcome: "duplicate",
          taskId: first?.taskId ?? null,
          missionId: first?.missionId ?? null,
          message: `delivery ${deliveryId} was already received (run ${seen.run_id}); nothing was started again`,
        });
        insertRun(sql, row);
        return { duplicate: true, run: toRun(row)! };
      }
    }
    const row = newRun(triggerId, { deliveryId });
    insertRun(sql, row);
    if (deliveryId !== null) {
      sql.exec(`INSERT INTO trigger_deliveries (trigger_id, delivery_id, run_id, received_at) VALUES (?, ?, ?, ?)`, triggerId, deliveryId, row.id, row.fired_at);
      sql.exec(
        `DELETE FROM trigger_deliveries WHERE trigger_id = ? AND delivery_id NOT IN (SELECT delivery_id FROM trigger_deliveries WHERE trigger_id = ? ORDER BY received_at DESC LIMIT ?)`,
        triggerId,
        triggerId,
        MAX_DELIVERIES_PER_TRIGGER,
      );
    }
    return { duplicate: false, run: toRun(row)! };
  });
}

/** Sets how run `runId` ended (and what it started). Returns the run after it, or null when it no longer exists. */
export function finishRun(sql: SqlStorage, runId: string, end: { outcome: TriggerRunOutcome; taskId?: string | null; missionId?: string | null; message?: string | null }): TriggerRun | null {
  sql.exec(`UPDATE trigger_runs SET outcome = ?, task_id = ?, mission_id = ?, message = ? WHERE id = ?`, end.outcome, end.taskId ?? null, end.missionId ?? null, end.message ?? null, runId);
  return readRun(sql, runId);
}

/** Run `runId`, or null. */
export function readRun(sql: SqlStorage, runId: string): TriggerRun | null {
  const row = sql.exec<RunRow>(`SELECT * FROM trigger_runs WHERE id = ?`, runId).toArray()[0];
  return row ? toRun(row) : null;
}

/** The runs of `triggerId`, newest first, at most `limit`. Unreadable rows are skipped. */
export function listRuns(sql: SqlStorage, triggerId: string, limit = MAX_RUNS_PER_TRIGGER): TriggerRun[] {
  return sql
    .exec<RunRow>(`SELECT * FROM trigger_runs WHERE trigger_id = ? ORDER BY fired_at DESC, id DESC LIMIT ?`, triggerId, limit)
    .toArray()
    .map(toRun)
    .filter((run): run is TriggerRun => run !== null);
}

/** Forgets the runs and delivery ids of `triggerId` (deleted). */
export function deleteRuns(sql: SqlStorage, triggerId: string): void {
  sql.exec(`DELETE FROM trigger_runs WHERE trigger_id = ?`, triggerId);
  sql.exec(`DELETE FROM trigger_deliveries WHERE trigger_id = ?`, triggerId);
}
