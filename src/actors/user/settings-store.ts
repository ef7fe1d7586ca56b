/**
 * A user's model settings: their payer mode and limits (the `model_settings` row) and, per
 * project, a payer-mode override and a default task budget (`project_settings`).
 *
 * Every model call reads the settings row and its project's payer mode, so both are read from
 * storage once and kept in memory: only this actor writes them, and it drops the cached copy
 * whenever it does.
 */
import { DEFAULT_PAYER_MODE, type BudgetLimits, type BudgetUpdate, type PayerMode, type ProjectModelSettings } from "../../models/usage.ts";

/** Projects whose payer-mode override is kept in memory; past this the cache starts over. */
const PROJECT_CACHE_MAX = 1000;

type SettingsRow = {
  payer_mode: string | null;
  daily_input_tokens: number | null;
  daily_output_tokens: number | null;
  monthly_usd: number | null;
};

/** A stored payer mode, or null for anything else (never set, or unknown). */
function payerModeOf(stored: string | null | undefined): PayerMode | null {
  return stored === "platform" || stored === "own-key" ? stored : null;
}

/** The `model_settings` and `project_settings` tables of a user's actor, with their in-memory copies. */
export class SettingsStore {
  private readonly sql: SqlStorage;
  private row: SettingsRow | null = null;
  private readonly projectPayerModes = new Map<string, PayerMode | null>();

  /** `sql`: the actor's storage (the tables exist; see schema.ts). */
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /** The user's limits (null: no limit). */
  limits(): BudgetLimits {
    const s = this.settings();
    return { dailyInputTokens: s.daily_input_tokens, dailyOutputTokens: s.daily_output_tokens, monthlyUsd: s.monthly_usd };
  }

  /** Sets the limits present in `update` (null removes one; absent ones are kept). */
  setLimits(update: BudgetUpdate): void {
    const columns: [keyof BudgetUpdate, string][] = [
      ["dailyInputTokens", "daily_input_tokens"],
      ["dailyOutputTokens", "daily_output_tokens"],
      ["monthlyUsd", "monthly_usd"],
    ];
    for (const [field, column] of columns) {
      if (update[field] !== undefined) this.sql.exec(`UPDATE model_settings SET ${column} = ? WHERE id = 1`, update[field]);
    }
    this.row = null;
  }

  /** The user's own payer mode (DEFAULT_PAYER_MODE when never set). */
  payerMode(): PayerMode {
    return payerModeOf(this.settings().payer_mode) ?? DEFAULT_PAYER_MODE;
  }

  /** Sets the user's own payer mode. */
  setPayerMode(mode: PayerMode): void {
    this.sql.exec(`UPDATE model_settings SET payer_mode = ? WHERE id = 1`, mode);
    this.row = null;
  }

  /** The user's settings for `projectId` (nulls when never set). */
  project(projectId: string): ProjectModelSettings {
    const row = this.sql
      .exec<{ payer_mode: PayerMode | null; default_task_budget_usd: number | null }>(`SELECT * FROM project_settings WHERE project_id = ?`, projectId)
      .toArray()[0];
    return { payerMode: row?.payer_mode ?? null, defaultTaskBudgetUsd: row?.default_task_budget_usd ?? null };
  }

  /** Updates the user's settings for `projectId` (absent fields keep their value); returns them. */
  setProject(projectId: string, update: Partial<ProjectModelSettings>): ProjectModelSettings {
    const next = { ...this.project(projectId), ...update };
    this.sql.exec(
      `INSERT INTO project_settings (project_id, payer_mode, default_task_budget_usd) VALUES (?, ?, ?)
       ON CONFLICT(project_id) DO UPDATE SET payer_mode = excluded.payer_mode, default_task_budget_usd = excluded.default_task_budget_usd`,
      projectId,
      next.payerMode,
      next.defaultTaskBudgetUsd,
    );
    this.projectPayerModes.delete(projectId);
    return next;
  }

  /** The payer mode in effect for `projectId`: its override, else the user's (also when `projectId` is null). */
  effectivePayerMode(projectId: string | null): PayerMode {
    if (projectId) {
      let mode = this.projectPayerModes.get(projectId);
      if (mode === undefined) {
        const stored = this.sql.exec<{ payer_mode: string | null }>(`SELECT payer_mode FROM project_settings WHERE project_id = ?`, projectId).toArray()[0]?.payer_mode;
        mode = payerModeOf(stored);
        if (this.projectPayerModes.size >= PROJECT_CACHE_MAX) this.projectPayerModes.clear();
        this.projectPayerModes.set(projectId, mode);
      }
      if (mode) return mode;
    }
    return this.payerMode();
  }

  /** The `model_settings` row, read once and then kept until this store writes it. */
  private settings(): SettingsRow {
    this.row ??= { ...this.sql.exec<SettingsRow>(`SELECT * FROM model_settings WHERE id = 1`).one() };
    return this.row;
  }
}
