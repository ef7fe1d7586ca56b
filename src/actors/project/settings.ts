/**
 * The project's identity (recorded once when the project is created) and its settings: the
 * tech lead's model and the limits (one row of JSON, defaults filled in on read).
 */
import { projectSettingsPatchSchema, projectSettingsSchema, type ProjectSettings, type ProjectSettingsPatch } from "../../shared/project-settings.ts";

/** Who the project is, as the API created it. */
export interface ProjectIdentity {
  id: string;
  name: string;
  ownerId: string;
  /** ISO time. */
  createdAt: string;
}

/** Records the project's identity once; later calls change nothing. */
export function recordIdentity(sql: SqlStorage, project: ProjectIdentity): void {
  sql.exec(`INSERT OR IGNORE INTO project (id, name, owner_id, created_at) VALUES (?, ?, ?, ?)`, project.id, project.name, project.ownerId, project.createdAt);
}

/** The project's id and name, or null before `recordIdentity` ran. */
export function readIdentity(sql: SqlStorage): { id: string; name: string } | null {
  return sql.exec<{ id: string; name: string }>(`SELECT id, name FROM project LIMIT 1`).toArray()[0] ?? null;
}

/** The stored settings with defaults filled in; a missing or unreadable row gives the defaults. */
export function readSettings(sql: SqlStorage): ProjectSettings {
  const row = sql.exec<{ json: string }>(`SELECT json FROM settings WHERE id = 1`).toArray()[0];
  const parsed = projectSettingsSchema.safeParse(row ? JSON.parse(row.json) : {});
  return parsed.success ? parsed.data : projectSettingsSchema.parse({});
}

/**
 * The settings after `patch`: `techLead` replaced when given (null clears it), and the patch's
 * `limits` laid over the current ones (a limit the patch leaves out stays as it is). Pure.
 * @throws ZodError when the patch or the result is invalid.
 */
export function applySettingsPatch(current: ProjectSettings, patch: ProjectSettingsPatch): ProjectSettings {
  const change = projectSettingsPatchSchema.parse(patch);
  return projectSettingsSchema.parse({
    techLead: change.techLead === undefined ? current.techLead : change.techLead,
    limits: { ...current.limits, ...change.limits, vm: { ...current.limits.vm, ...change.limits?.vm } },
  });
}

/** Stores `settings` as the project's settings (replacing the row). */
export function writeSettings(sql: SqlStorage, settings: ProjectSettings): void {
  sql.exec(`INSERT INTO settings (id, json) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET json = excluded.json`, JSON.stringify(settings));
}
