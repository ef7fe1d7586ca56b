/**
 * A mission's storage in its actor's SQLite: the `mission` row, the plan `entries`, and the
 * `attempts` journal (every task id the mission ever started, so a late report from an old
 * attempt is recognised). Every status change, the mission's or an entry's (`setStatus`,
 * `cancel`, `assignTaskIds`, `markRunning`, `skip`, `settle`), is a compare-and-set on the
 * status it expects, so a repeated or late call changes nothing. The other writes are not, and
 * are safe to repeat for their own reasons: `insert` is called only when the actor holds no
 * mission yet, `setSummary` keeps the first summary, `markSummaryPosted` sets a flag, and
 * `touch` only moves `updated_at`.
 *
 * The entries are cached in memory: a scheduling pass reads them several times, and a
 * 100-task mission would otherwise read its whole plan again at every task start and end (the
 * mission benchmark, evals/perf/missions.ts, measures this). A write that names the one entry it
 * may change marks that key stale, and the next read re-reads that entry alone; a write that may
 * touch several entries, and a transaction that rolls back, drop the whole cache.
 */
import type { z } from "zod";
import type { missionSpecSchema } from "../../shared/mission-plan.ts";
import type { MissionStatus, MissionTaskStatus, Usage } from "../../shared/protocol.ts";
import { transactionDroppingCaches } from "../sql.ts";
import { handoffSchema, type Handoff } from "./handoff.ts";
import { entrySpecSchema, type EntryRow, type EntrySpec, type MissionRow } from "./rows.ts";

const ENTRY_COLUMNS = "key, ord, prompt, depends_on_json, status, task_id, attempts, error, summary, input_tokens, output_tokens, cost_usd";

/** An entry whose current attempt has its task id. */
export type EntryWithTask = EntryRow & { task_id: string };

/** The mission actor's tables and the cached entries. One per actor instance. */
export class MissionStore {
  /** The entries as stored, in plan order; null until read, and after a write that may touch several. */
  private entriesCache: EntryRow[] | null = null;
  /** Keys of cached entries written since they were read: re-read one by one, not the whole plan. */
  private staleEntries = new Set<string>();
  private readonly storage: DurableObjectStorage;
  private readonly sql: SqlStorage;

  /** Creates the tables in the actor's `storage` if they do not exist yet. */
  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
    const sql = (this.sql = storage.sql);
    sql.exec(`CREATE TABLE IF NOT EXISTS mission (
      id TEXT PRIMARY KEY, project_id TEXT NOT NULL, user_id TEXT NOT NULL, goal TEXT NOT NULL, status TEXT NOT NULL,
      max_concurrent INTEGER NOT NULL, max_retries INTEGER NOT NULL, session_id TEXT, budget_usd REAL, summary TEXT, error TEXT,
      summary_posted INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS entries (
      key TEXT PRIMARY KEY, ord INTEGER NOT NULL, prompt TEXT NOT NULL, depends_on_json TEXT NOT NULL, spec_json TEXT NOT NULL,
      status TEXT NOT NULL, task_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, summary TEXT, handoff_json TEXT,
      input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS attempts (task_id TEXT PRIMARY KEY, key TEXT NOT NULL, attempt INTEGER NOT NULL)`);
  }

  // ---------- the mission row ----------

  /** The mission row, or null if this actor holds none. */
  row(): MissionRow | null {
    return this.sql.exec<MissionRow>(`SELECT * FROM mission LIMIT 1`).toArray()[0] ?? null;
  }

  /** The mission row. @throws Error when this actor holds no mission. */
  mustRow(): MissionRow {
    const row = this.row();
    if (!row) throw new Error("this actor holds no mission");
    return row;
  }

  /**
   * Stores a new mission (status `planning`) and its plan (every entry `pending`, in the
   * order given), in one transaction. @throws ZodError when an entry's spec is invalid.
   */
  insert(spec: z.output<typeof missionSpecSchema>): void {
    const now = new Date().toISOString();
    this.tx(() => {
      this.sql.exec(
        `INSERT INTO mission (id, project_id, user_id, goal, status, max_concurrent, max_retries, session_id, budget_usd, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'planning', ?, ?, ?, ?, ?, ?)`,
        spec.id,
        spec.projectId,
        spec.userId,
        spec.goal,
        spec.maxConcurrent,
        spec.maxRetries,
        spec.sessionId ?? null,
        spec.budgetUsd ?? null,
        now,
        now,
      );
      spec.tasks.forEach((task, ord) => {
        const entrySpec = entrySpecSchema.parse(task);
        this.writeEntries(
          null,
          `INSERT INTO entries (key, ord, prompt, depends_on_json, spec_json, status) VALUES (?, ?, ?, ?, ?, 'pending')`,
          task.key,
          ord,
          task.prompt,
          JSON.stringify(task.dependsOn),
          JSON.stringify(entrySpec),
        );
      });
    });
  }

  /** Compare-and-set of the mission status from one of `from` to `to`, keeping `error` unless one is given. Returns whether it changed. */
  setStatus(from: MissionStatus[], to: MissionStatus, error: string | null = null): boolean {
    const row = this.row();
    if (!row || !from.includes(row.status)) return false;
    return (
      this.sql.exec(
        `UPDATE mission SET status = ?, error = COALESCE(?, error), updated_at = ? WHERE id = ? AND status = ?`,
        to,
        error,
        new Date().toISOString(),
        row.id,
        row.status,
      ).rowsWritten > 0
    );
  }

  /** Sets `updated_at` to now. */
  touch(): void {
    this.sql.exec(`UPDATE mission SET updated_at = ?`, new Date().toISOString());
  }

  /** Stores the summary unless one is stored already (the first one stays). */
  setSummary(summary: string): void {
    this.sql.exec(`UPDATE mission SET summary = ? WHERE summary IS NULL`, summary);
  }

  /** Records that the summary reached the project's chat. */
  markSummaryPosted(): void {
    this.sql.exec(`UPDATE mission SET summary_posted = 1`);
  }

  /**
   * Cancels the mission (from planning, running or paused) and every pending or running entry,
   * with `reason` as their error, in one transaction. Returns the entries that were running
   * (their tasks are to be cancelled), or null when the mission had already ended.
   */
  cancel(reason: string): EntryWithTask[] | null {
    return this.tx(() => {
      if (!this.setStatus(["planning", "running", "paused"], "cancelled", reason)) return null;
      const active = this.entries().filter((e): e is EntryWithTask => e.status === "running" && !!e.task_id);
      this.writeEntries(null, `UPDATE entries SET status = 'cancelled', error = ? WHERE status IN ('pending', 'running')`, reason);
      return active;
    });
  }

  // ---------- the entries ----------

  /** The entries in plan order. Callers must not change the rows (they are the cache). */
  entries(): readonly EntryRow[] {
    if (this.entriesCache && this.staleEntries.size > 0) {
      const cached = this.entriesCache;
      for (const key of this.staleEntries) {
        const i = cached.findIndex((e) => e.key === key);
        const fresh = this.sql.exec<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE key = ?`, key).toArray()[0];
        if (i < 0 || !fresh) {
          this.entriesCache = null;
          break;
        }
        cached[i] = fresh;
      }
      this.staleEntries.clear();
    }
    this.entriesCache ??= this.sql.exec<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM entries ORDER BY ord`).toArray();
    return this.entriesCache;
  }

  /** The stored spec of entry `key` (read from storage, not cached). @throws when there is no such entry. */
  entrySpec(key: string): EntrySpec {
    const specJson = this.sql.exec<{ spec_json: string }>(`SELECT spec_json FROM entries WHERE key = ?`, key).one().spec_json;
    return entrySpecSchema.parse(JSON.parse(specJson));
  }

  /** The stored handoffs of the entries `keys`, in that order; an entry without one (or no such entry) gives none. */
  handoffs(keys: readonly string[]): Handoff[] {
    return keys.flatMap((key) => {
      const json = this.sql.exec<{ handoff_json: string | null }>(`SELECT handoff_json FROM entries WHERE key = ?`, key).toArray()[0]?.handoff_json;
      return json ? [handoffSchema.parse(JSON.parse(json))] : [];
    });
  }

  /**
   * Gives each of `entries` (pending) a task id for its next attempt, keeping one already
   * chosen, and journals each new one in `attempts`, in one transaction. Returns the entries with
   * their ids: a start cut off after this reaches the same task when retried.
   */
  assignTaskIds(entries: readonly EntryRow[], newTaskId: () => string): EntryWithTask[] {
    return this.tx(() =>
      entries.map((entry) => {
        if (entry.task_id) return { ...entry, task_id: entry.task_id };
        const taskId = newTaskId();
        this.writeEntries(entry.key, `UPDATE entries SET task_id = ? WHERE key = ? AND status = 'pending' AND task_id IS NULL`, taskId, entry.key);
        this.sql.exec(`INSERT OR IGNORE INTO attempts (task_id, key, attempt) VALUES (?, ?, ?)`, taskId, entry.key, entry.attempts + 1);
        return { ...entry, task_id: taskId };
      }),
    );
  }

  /**
   * Marks `running` (one more attempt) each of `candidates` whose task id is in `granted` and
   * that is still pending with that task id, in one transaction. Returns those it marked.
   */
  markRunning(candidates: readonly EntryWithTask[], granted: ReadonlySet<string>): EntryWithTask[] {
    return this.tx(() =>
      candidates.filter(
        (entry) =>
          granted.has(entry.task_id) &&
          this.writeEntries(
            entry.key,
            `UPDATE entries SET status = 'running', attempts = attempts + 1 WHERE key = ? AND status = 'pending' AND task_id = ?`,
            entry.key,
            entry.task_id,
          ).rowsWritten > 0,
      ),
    );
  }

  /** Marks pending entry `key` skipped, with `reason` as its error. */
  skip(key: string, reason: string): void {
    this.writeEntries(key, `UPDATE entries SET status = 'skipped', error = ? WHERE key = ? AND status = 'pending'`, reason, key);
  }

  /**
   * Records the end of the attempt `taskId` of entry `key`, if that attempt is still the
   * entry's running one: its new status and error, the task's summary and usage (added to the
   * entry's), its handoff, and the task id (null on a retry, so the next attempt gets a new one).
   * Returns whether it recorded it (false for a repeated or late report).
   */
  settle(
    key: string,
    taskId: string,
    outcome: { status: MissionTaskStatus; retry: boolean; error: string | null },
    task: { summary: string | null; usage: Usage },
    handoff: Handoff | null,
  ): boolean {
    return this.tx(
      () =>
        this.writeEntries(
          key,
          `UPDATE entries SET status = ?, task_id = ?, error = ?, summary = ?, handoff_json = ?,
           input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cost_usd = cost_usd + ?
           WHERE key = ? AND status = 'running' AND task_id = ?`,
          outcome.status,
          outcome.retry ? null : taskId,
          outcome.error,
          task.summary,
          handoff ? JSON.stringify(handoff) : null,
          task.usage.inputTokens,
          task.usage.outputTokens,
          task.usage.costUsd,
          key,
          taskId,
        ).rowsWritten > 0,
    );
  }

  /**
   * Every write to the `entries` table goes through here, so that the cache never goes stale:
   * `key` names the one entry a write may change (re-read alone at the next `entries()`), null
   * a write that may touch several or add one (the whole cache is dropped).
   */
  private writeEntries(key: string | null, query: string, ...bindings: SqlStorageValue[]): SqlStorageCursor<Record<string, SqlStorageValue>> {
    if (key === null) this.dropEntriesCache();
    else this.staleEntries.add(key);
    return this.sql.exec(query, ...bindings);
  }

  /** `transactionSync`, dropping the cached entries when it rolls back. */
  private tx<T>(fn: () => T): T {
    return transactionDroppingCaches(this.storage, fn, () => this.dropEntriesCache());
  }

  private dropEntriesCache(): void {
    this.entriesCache = null;
    this.staleEntries.clear();
  }
}
