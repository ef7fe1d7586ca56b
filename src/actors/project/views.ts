/**
 * The latest view of each of the project's tasks and missions, as they report it
 * (`publishTaskUpdate`, `publishMissionUpdate`). A view is stored as JSON and parsed on read;
 * a row that no longer parses is skipped (and logged) rather than failing the list. A failed or
 * cancelled task view stored before `failure` existed reads back with its failure derived from
 * its message (`withDerivedFailure`, src/shared/task-failure.ts), as the task actor answers it.
 */
import type { z } from "zod";
import { missionViewSchema, taskViewSchema, type MissionView, type TaskView } from "../../shared/protocol.ts";
import { withDerivedFailure } from "../../shared/task-failure.ts";

/** The two kinds of view the project keeps, each in its own table with the same columns. */
type ViewTable = "tasks" | "missions";
/** The fields every stored view has: its id and times (ISO 8601), kept as columns too. */
type Stored = { id: string; createdAt: string; updatedAt: string };
/**
 * How a kind of view is parsed: `safeParse` of its zod schema, then `upgrade` (what a view
 * stored by an older version lacks, filled in; the identity for missions).
 */
type ViewKind<V> = { schema: z.ZodType<V>; upgrade: (view: V) => V };

/** Task views: `taskViewSchema`, then a failure derived for old failed or cancelled views. */
const TASK_VIEWS: ViewKind<TaskView> = { schema: taskViewSchema, upgrade: withDerivedFailure };
/** Mission views: `missionViewSchema` as is. */
const MISSION_VIEWS: ViewKind<MissionView> = { schema: missionViewSchema, upgrade: (view) => view };

/** `json` (a stored view's text) parsed as `kind`, or null when it is not JSON or not such a view. */
function parseStored<V>(kind: ViewKind<V>, json: string): V | null {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  const parsed = kind.schema.safeParse(value);
  return parsed.success ? kind.upgrade(parsed.data) : null;
}

/**
 * A stored task view's JSON text parsed (`taskViewSchema`, then the failure of an old failed or
 * cancelled view derived from its message), or null when it is not JSON or not a task view.
 * What `readTaskView` and `listTaskViews` return for each row.
 */
export function parseStoredTaskView(json: string): TaskView | null {
  return parseStored(TASK_VIEWS, json);
}

/** Validates `view` as `kind` and upserts it as the latest of its id in `table`. Returns the parsed view. @throws ZodError when it does not parse. */
function storeView<V extends Stored>(sql: SqlStorage, table: ViewTable, kind: ViewKind<V>, view: V): V {
  const parsed = kind.upgrade(kind.schema.parse(view));
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

/** Every view of `table` that parses as `kind`, newest first; a row that does not is skipped and logged. */
function listViews<V>(sql: SqlStorage, table: ViewTable, kind: ViewKind<V>, label: string): V[] {
  const rows = sql.exec<{ id: string; view: string }>(`SELECT id, view FROM ${table} ORDER BY created_at DESC, id DESC`).toArray();
  return rows.flatMap((row) => {
    const parsed = parseStored(kind, row.view);
    if (parsed !== null) return [parsed];
    console.error(`project ${label}: skipped malformed ${table === "tasks" ? "task" : "mission"} row ${row.id}`);
    return [];
  });
}

/** Validates `view` and stores it as the task's latest. Returns the parsed view. @throws ZodError when it is not a TaskView. */
export function storeTaskView(sql: SqlStorage, view: TaskView): TaskView {
  return storeView(sql, "tasks", TASK_VIEWS, view);
}

/** Validates `view` and stores it as the mission's latest. Returns the parsed view. @throws ZodError when it is not a MissionView. */
export function storeMissionView(sql: SqlStorage, view: MissionView): MissionView {
  return storeView(sql, "missions", MISSION_VIEWS, view);
}

/** A task's latest view (an old failed one with its failure derived), or null when the project has none (or its row does not parse). */
export function readTaskView(sql: SqlStorage, taskId: string): TaskView | null {
  const row = sql.exec<{ view: string }>(`SELECT view FROM tasks WHERE id = ?`, taskId).toArray()[0];
  return row ? parseStored(TASK_VIEWS, row.view) : null;
}

/** Whether the project has a view of mission `missionId`. */
export function hasMissionView(sql: SqlStorage, missionId: string): boolean {
  return sql.exec(`SELECT 1 FROM missions WHERE id = ?`, missionId).toArray().length > 0;
}

/** Every task's latest view (old failed ones with their failure derived), newest first; `label` names the project in the log line of a skipped row. */
export function listTaskViews(sql: SqlStorage, label: string): TaskView[] {
  return listViews(sql, "tasks", TASK_VIEWS, label);
}

/** Every mission's latest view, newest first; `label` names the project in the log line of a skipped row. */
export function listMissionViews(sql: SqlStorage, label: string): MissionView[] {
  return listViews(sql, "missions", MISSION_VIEWS, label);
}
