/**
 * The latest view of each of the project's tasks and missions, as they report it
 * (`publishTaskUpdate`, `publishMissionUpdate`). A view is stored as JSON and parsed on read;
 * a row that no longer parses is skipped (and logged) rather than failing the list.
 */
import type { z } from "zod";
import { missionViewSchema, taskViewSchema, type MissionView, type TaskView } from "../../shared/protocol.ts";

/** The two kinds of view the project keeps, each in its own table with the same columns. */
type ViewTable = "tasks" | "missions";
type Stored = { id: string; createdAt: string; updatedAt: string };

/** Validates `view` with `schema` and upserts it as the latest of its id in `table`. Returns the parsed view. */
function storeView<V extends Stored>(sql: SqlStorage, table: ViewTable, schema: z.ZodType<V>, view: V): V {
  const parsed = schema.parse(view);
  sql.exec(
    `INSERT INTO ${table} (id, created_at, updated_at, view) VALUES (?, ?, ?, ?)
     ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, view = excluded.view`,
    parsed.id,
    parsed.createdAt,
    parsed.updatedAt,
    JSON.stringify(parsed),
  );
  return parsed;
}

/** Every view of `table` that parses with `schema`, newest first; a row that does not is skipped and logged. */
function listViews<V>(sql: SqlStorage, table: ViewTable, schema: z.ZodType<V>, label: string): V[] {
  const rows = sql.exec<{ id: string; view: string }>(`SELECT id, view FROM ${table} ORDER BY created_at DESC, id DESC`).toArray();
  return rows.flatMap((row) => {
    const parsed = schema.safeParse(JSON.parse(row.view));
    if (parsed.success) return [parsed.data];
    console.error(`project ${label}: skipped malformed ${table === "tasks" ? "task" : "mission"} row ${row.id}`);
    return [];
  });
}

/** Validates `view` and stores it as the task's latest. Returns the parsed view. @throws ZodError when it is not a TaskView. */
export function storeTaskView(sql: SqlStorage, view: TaskView): TaskView {
  return storeView(sql, "tasks", taskViewSchema, view);
}

/** Validates `view` and stores it as the mission's latest. Returns the parsed view. @throws ZodError when it is not a MissionView. */
export function storeMissionView(sql: SqlStorage, view: MissionView): MissionView {
  return storeView(sql, "missions", missionViewSchema, view);
}

/** A task's latest view, or null when the project has none (or its row does not parse). */
export function readTaskView(sql: SqlStorage, taskId: string): TaskView | null {
  const row = sql.exec<{ view: string }>(`SELECT view FROM tasks WHERE id = ?`, taskId).toArray()[0];
  const parsed = row ? taskViewSchema.safeParse(JSON.parse(row.view)) : null;
  return parsed?.success ? parsed.data : null;
}

/** Whether the project has a view of mission `missionId`. */
export function hasMissionView(sql: SqlStorage, missionId: string): boolean {
  return sql.exec(`SELECT 1 FROM missions WHERE id = ?`, missionId).toArray().length > 0;
}

/** Every task's latest view, newest first; `label` names the project in the log line of a skipped row. */
export function listTaskViews(sql: SqlStorage, label: string): TaskView[] {
  return listViews(sql, "tasks", taskViewSchema, label);
}

/** Every mission's latest view, newest first; `label` names the project in the log line of a skipped row. */
export function listMissionViews(sql: SqlStorage, label: string): MissionView[] {
  return listViews(sql, "missions", missionViewSchema, label);
}
