/**
 * The usage ledger of a user's actor: one `usage` row per model or speech call (its id is the
 * call's reservation id, so recording a call twice records it once; a speech call also records
 * its unit and quantity: seconds of audio or characters), the settled totals per UTC day
 * and month (`counters`) and per task and mission (`scope_spend`) that the budget checks read,
 * and the grouped totals of `GET /api/usage`.
 */
import type { UsageSums } from "../../models/budget-rules.ts";
import { dayWindow, monthWindow, type SettleRequest, type UsageGroup, type UsageGroupBy, type UsageTotals } from "../../models/usage.ts";

/** The `counters` key of the UTC day of `at`: `day:YYYY-MM-DD`. */
export function dayPeriod(at: Date): string {
  return `day:${dayWindow(at).start.slice(0, 10)}`;
}

/** The `counters` key of the UTC month of `at`: `month:YYYY-MM`. */
export function monthPeriod(at: Date): string {
  return `month:${monthWindow(at).start.slice(0, 7)}`;
}

/** The `scope_spend` key of a task (`task:<id>`) or a mission (`mission:<id>`). */
function scopeKey(scope: { taskId: string } | { missionId: string }): string {
  return "taskId" in scope ? `task:${scope.taskId}` : `mission:${scope.missionId}`;
}

/** The SQL key each `GET /api/usage` grouping groups by ("" for a call without that id). */
const GROUP_KEY: Record<UsageGroupBy, string> = {
  day: "substr(at, 1, 10)",
  model: "model",
  project: "COALESCE(project_id, '')",
  task: "COALESCE(task_id, '')",
  mission: "COALESCE(mission_id, '')",
  source: "source",
};

/** A row of totals as the usage queries select it (the `UsageTotals` fields). */
type TotalsRow = { calls: number; inputTokens: number; outputTokens: number; cachedInputTokens: number; costUsd: number };

/** The `usage`, `counters` and `scope_spend` tables of a user's actor. */
export class Ledger {
  private readonly sql: SqlStorage;

  /** `sql`: the actor's storage (the tables exist; see schema.ts). */
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  /**
   * Records call `id`'s usage: its ledger row, and (only when the row is new) its tokens and
   * USD added to the counters of its day and month and its USD to its task's and mission's
   * spend. The caller runs it in a transaction.
   */
  record(id: string, entry: SettleRequest): void {
    const inserted = this.sql.exec(
      `INSERT OR IGNORE INTO usage (id, at, project_id, mission_id, task_id, model, input_tokens, output_tokens, cached_input_tokens,
         cost_usd, latency_ms, status, http_status, source, unit, quantity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      entry.at,
      entry.projectId,
      entry.missionId,
      entry.taskId,
      entry.model,
      entry.inputTokens,
      entry.outputTokens,
      entry.cachedInputTokens,
      entry.costUsd,
      Math.round(entry.latencyMs),
      entry.status,
      entry.httpStatus,
      entry.source,
      entry.unit ?? null,
      entry.quantity ?? null,
    ).rowsWritten;
    if (inserted === 0) return;
    const at = new Date(entry.at);
    // The day's and the month's counters in one statement.
    this.sql.exec(
      `INSERT INTO counters (period, input_tokens, output_tokens, cost_usd) VALUES (?1, ?3, ?4, ?5), (?2, ?3, ?4, ?5)
         ON CONFLICT(period) DO UPDATE SET input_tokens = input_tokens + excluded.input_tokens,
         output_tokens = output_tokens + excluded.output_tokens, cost_usd = cost_usd + excluded.cost_usd`,
      dayPeriod(at),
      monthPeriod(at),
      entry.inputTokens,
      entry.outputTokens,
      entry.costUsd,
    );
    const scopes = [entry.taskId ? scopeKey({ taskId: entry.taskId }) : null, entry.missionId ? scopeKey({ missionId: entry.missionId }) : null].filter((scope) => scope !== null);
    if (scopes.length > 0) {
      this.sql.exec(
        `INSERT INTO scope_spend (scope, cost_usd) VALUES ${scopes.map(() => "(?, ?)").join(", ")} ON CONFLICT(scope) DO UPDATE SET cost_usd = cost_usd + excluded.cost_usd`,
        ...scopes.flatMap((scope) => [scope, entry.costUsd]),
      );
    }
  }

  /** Settled usage of a `counters` period (`dayPeriod`, `monthPeriod`); zeros when nothing was recorded. */
  settledIn(period: string): UsageSums {
    const row = this.sql
      .exec<{ input_tokens: number; output_tokens: number; cost_usd: number }>(`SELECT * FROM counters WHERE period = ?`, period)
      .toArray()[0];
    return row ? { inputTokens: row.input_tokens, outputTokens: row.output_tokens, costUsd: row.cost_usd } : { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  }

  /** Settled USD spend of a task or a mission (0 when nothing was recorded). */
  spentUsd(scope: { taskId: string } | { missionId: string }): number {
    return this.sql.exec<{ cost_usd: number }>(`SELECT cost_usd FROM scope_spend WHERE scope = ?`, scopeKey(scope)).toArray()[0]?.cost_usd ?? 0;
  }

  /**
   * Totals of the calls that started in [from, to) (ISO 8601), grouped by UTC day, model,
   * project, task, mission or source, in key order; plus the overall totals.
   */
  usage(groupBy: UsageGroupBy, from: string, to: string): { totals: UsageTotals; groups: UsageGroup[] } {
    const sums = `COUNT(*) AS calls, COALESCE(SUM(input_tokens), 0) AS inputTokens, COALESCE(SUM(output_tokens), 0) AS outputTokens,
      COALESCE(SUM(cached_input_tokens), 0) AS cachedInputTokens, COALESCE(SUM(cost_usd), 0) AS costUsd`;
    const groups = this.sql
      .exec<{ key: string } & TotalsRow>(`SELECT ${GROUP_KEY[groupBy]} AS key, ${sums} FROM usage WHERE at >= ? AND at < ? GROUP BY key ORDER BY key`, from, to)
      .toArray()
      .map((r) => ({ ...r }));
    const totals = this.sql.exec<TotalsRow>(`SELECT ${sums} FROM usage WHERE at >= ? AND at < ?`, from, to).one();
    return { totals: { ...totals }, groups };
  }
}
