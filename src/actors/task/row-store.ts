/**
 * The task's row: its table, the one cached copy of it, and the compare-and-set of its status.
 *
 * One actor holds one task, so the `task` table holds one row. The loop reads it several times
 * per step, so it is read once and kept (`TaskRowStore.row`) until a write to the table or a
 * rolled-back transaction drops it: every write goes through `write` and every transaction
 * through `tx`.
 *
 * Times, one unit per kind:
 * - times shown to people and the API (`created_at`, `updated_at`, a transcript event's `at`)
 *   are ISO 8601 strings;
 * - times that drive timers (`last_activity_at`, `checked_in_at`) are epoch ms integers, and a
 *   name in code that holds one ends in `Ms` (`lastActivityAtMs`, `checkedInAtMs`).
 * Stored columns keep their names (migrations are additive only).
 */
import { taskLimitsFrom, type TaskLimits } from "../../shared/limits.ts";
import type { NewTranscriptEvent, TaskFailure, TaskFailureCode, TaskStatus, TranscriptEvent } from "../../shared/protocol.ts";
import { scriptSchema, type ScriptStep } from "../../shared/script.ts";
import { DEFAULT_MAX_STEPS, type taskSpecSchema } from "../../shared/task-spec.ts";
import type { z } from "zod";
import { ensureColumns, transactionDroppingCaches } from "../sql.ts";
import { taskBranch } from "./repository-rules.ts";

/** The task's row without its bulky inputs (script, workspace seed): read at every step boundary. */
export type TaskRow = {
  id: string;
  project_id: string;
  user_id: string;
  prompt: string;
  model: string;
  max_steps: number;
  status: TaskStatus;
  steps: number;
  summary: string | null;
  /** The failure's message (the view's `error` and `failure.message`); null unless failed or cancelled. */
  error: string | null;
  /** The failure's code; null for a task that did not fail, and for rows written before the column existed. */
  failure_code: TaskFailureCode | null;
  input_tokens: number;
  output_tokens: number;
  /** USD. */
  cost_usd: number;
  budget_usd: number | null;
  mission_budget_usd: number | null;
  changed_files_json: string;
  mission_id: string | null;
  parent_task_id: string | null;
  depth: number;
  session_id: string | null;
  policies_json: string;
  limits_json: string;
  wait_kind: "children" | "human" | null;
  question: string | null;
  /** Epoch ms of the last progress (a step, a tool result, a message); check-ins do not count. */
  last_activity_at: number;
  /** Epoch ms of the check-in sent since the last progress, or null. */
  checked_in_at: number | null;
  /** The task's work on its repository as journaled (`repository-rules.ts` `TaskRepoState`, JSON); null without `repo`. */
  repo_json: string | null;
  /** ISO 8601. */
  created_at: string;
  /** ISO 8601. */
  updated_at: string;
};

/**
 * Columns of the task table added after its first version (name → SQL declaration). A new
 * actor creates them with the table; an older one gets the missing ones through `ensureColumns`.
 * `checked_in_at` stays last (a schema test reads the CREATE statement's end).
 */
export const TASK_LATER_COLUMNS: Record<string, string> = {
  budget_usd: "REAL",
  mission_budget_usd: "REAL",
  mission_id: "TEXT",
  parent_task_id: "TEXT",
  depth: "INTEGER NOT NULL DEFAULT 0",
  session_id: "TEXT",
  policies_json: "TEXT NOT NULL DEFAULT '[]'",
  limits_json: "TEXT NOT NULL DEFAULT '{}'",
  wait_kind: "TEXT",
  question: "TEXT",
  failure_code: "TEXT",
  last_activity_at: "INTEGER NOT NULL DEFAULT 0",
  repo_json: "TEXT",
  checked_in_at: "INTEGER",
};

/** The columns of TaskRow, in the order of its type. */
const TASK_ROW_COLUMNS = [
  "id", "project_id", "user_id", "prompt", "model", "max_steps", "status", "steps", "summary", "error", "failure_code",
  "input_tokens", "output_tokens", "cost_usd", "budget_usd", "mission_budget_usd", "changed_files_json", "mission_id",
  "parent_task_id", "depth", "session_id", "policies_json", "limits_json", "wait_kind", "question", "last_activity_at",
  "checked_in_at", "created_at", "updated_at", "repo_json",
] as const satisfies readonly (keyof TaskRow)[];
const SELECT_TASK_ROW = `SELECT ${TASK_ROW_COLUMNS.join(", ")} FROM task LIMIT 1`;

/**
 * Creates the `task` table, or adds to an existing one the columns added since it was made.
 * A new actor gets every column at once (an ALTER TABLE per later column cost about 0.5 ms each per new task).
 */
export function createTaskTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS task (
      id TEXT PRIMARY KEY, project_id TEXT NOT NULL, user_id TEXT NOT NULL, prompt TEXT NOT NULL,
      model TEXT NOT NULL, script_json TEXT, max_steps INTEGER NOT NULL, seed_json TEXT,
      status TEXT NOT NULL, steps INTEGER NOT NULL DEFAULT 0, summary TEXT, error TEXT,
      input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0,
      cost_usd REAL NOT NULL DEFAULT 0, changed_files_json TEXT NOT NULL DEFAULT '[]',
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
      ${Object.entries(TASK_LATER_COLUMNS).map(([name, declaration]) => `${name} ${declaration}`).join(", ")})`);
  ensureColumns(sql, "task", TASK_LATER_COLUMNS);
}

/** What a status change may set besides the status. */
export interface TransitionFields {
  summary?: string | null;
  /** Stored as `error` (the message) and `failure_code`. */
  failure?: TaskFailure;
  changedFiles?: string[];
  waitKind?: "children" | "human";
  question?: string;
}

/** Where a status change is journaled (the task's journal). */
export interface StatusJournal {
  /** Appends the event with the next seq and returns it. */
  append(event: NewTranscriptEvent): TranscriptEvent;
}

/** The spec fields stored at start: a parsed task spec. */
type ParsedSpec = z.output<typeof taskSpecSchema>;

/** The task's row, cached, with its writes and transitions. One per actor instance. */
export class TaskRowStore {
  private cache: TaskRow | null = null;
  private readonly rollbackHandlers: (() => void)[] = [];

  private readonly storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
  }

  /** The actor's SQLite. */
  get sql(): SqlStorage {
    return this.storage.sql;
  }

  /** The row as stored (cached), or null when this actor holds no task. */
  row(): TaskRow | null {
    this.cache ??= this.sql.exec<TaskRow>(SELECT_TASK_ROW).toArray()[0] ?? null;
    return this.cache;
  }

  /** The row. @throws Error when this actor holds no task. */
  mustRow(): TaskRow {
    const row = this.row();
    if (!row) throw new Error("this actor holds no task");
    return row;
  }

  /** Every write to the `task` table goes through here, so that the cached row never goes stale. */
  write(query: string, ...bindings: SqlStorageValue[]): SqlStorageCursor<Record<string, SqlStorageValue>> {
    this.cache = null;
    return this.sql.exec(query, ...bindings);
  }

  /** Registers what another module caches from storage, to drop when a transaction rolls back. */
  onRollback(drop: () => void): void {
    this.rollbackHandlers.push(drop);
  }

  /** `transactionSync`, dropping the cached row and everything registered with `onRollback` when it rolls back. */
  tx<T>(fn: () => T): T {
    return transactionDroppingCaches(this.storage, fn, () => {
      this.cache = null;
      for (const drop of this.rollbackHandlers) drop();
    });
  }

  /**
   * Stores a new task as `queued` (INSERT OR IGNORE). Returns whether it was inserted (false: the
   * row already existed). `nowMs` is epoch ms (the first `last_activity_at`).
   */
  insert(spec: ParsedSpec, settings: { policies: string[]; limits: TaskLimits }, nowMs: number): boolean {
    const now = new Date(nowMs).toISOString();
    return (
      this.write(
        `INSERT OR IGNORE INTO task (id, project_id, user_id, prompt, model, script_json, max_steps, seed_json, status, budget_usd,
         mission_budget_usd, mission_id, parent_task_id, depth, session_id, policies_json, limits_json, last_activity_at, created_at, updated_at, repo_json)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        spec.id,
        spec.projectId,
        spec.userId,
        spec.prompt,
        spec.model,
        spec.script ? JSON.stringify(spec.script) : null,
        spec.maxSteps ?? DEFAULT_MAX_STEPS,
        JSON.stringify(spec.workspace?.files ?? {}),
        spec.budgetUsd ?? null,
        spec.missionBudgetUsd ?? null,
        spec.missionId ?? null,
        spec.parentTaskId ?? null,
        spec.depth,
        spec.sessionId ?? null,
        JSON.stringify(settings.policies),
        JSON.stringify(settings.limits),
        nowMs,
        now,
        now,
        spec.repo ? JSON.stringify({ request: spec.repo, branch: taskBranch(spec.id, spec.missionId ?? null, spec.repo) }) : null,
      ).rowsWritten > 0
    );
  }

  /** The script for the `scripted` model, if the task has one (not cached: read at loop start). */
  script(): ScriptStep[] | undefined {
    const json = this.sql.exec<{ script_json: string | null }>(`SELECT script_json FROM task LIMIT 1`).toArray()[0]?.script_json;
    return json ? scriptSchema.parse(JSON.parse(json)) : undefined;
  }

  /** The workspace seed files `{path: content}` given at start (empty once the workspace was made). */
  seedFiles(): Record<string, string> {
    const seed = this.sql.exec<{ seed_json: string | null }>(`SELECT seed_json FROM task LIMIT 1`).one().seed_json;
    return JSON.parse(seed ?? "{}") as Record<string, string>;
  }

  /** Drops the seed once the workspace holds it. */
  dropSeed(): void {
    this.write(`UPDATE task SET seed_json = NULL WHERE id = ?`, this.mustRow().id);
  }

  /** The limits the task took from its project at start (the project defaults for what an older task lacks). */
  limits(): TaskLimits {
    return taskLimitsFrom(JSON.parse(this.mustRow().limits_json));
  }

  /** Stores progress at `nowMs` (epoch ms) and clears a check-in. */
  recordActivity(nowMs: number): void {
    this.write(`UPDATE task SET last_activity_at = ?, checked_in_at = NULL`, nowMs);
  }

  /** Stores that a check-in was sent at `nowMs` (epoch ms). */
  recordCheckIn(taskId: string, nowMs: number): void {
    this.write(`UPDATE task SET checked_in_at = ? WHERE id = ?`, nowMs, taskId);
  }

  /** Adds a finished model step to the counters: one step, its tokens and its cost in USD. */
  addStep(taskId: string, usage: { inputTokens: number; outputTokens: number; costUsd: number }): void {
    this.write(
      `UPDATE task SET steps = steps + 1, input_tokens = input_tokens + ?, output_tokens = output_tokens + ?,
         cost_usd = cost_usd + ?, updated_at = ? WHERE id = ?`,
      usage.inputTokens,
      usage.outputTokens,
      usage.costUsd,
      new Date().toISOString(),
      taskId,
    );
  }

  /**
   * Compare-and-set of the status: changes it to `to` only when it is one of `from`, and
   * journals the change (a `status` event with the failure's message as `reason` and its
   * `code`). Returns the status event, or null when the status was not in `from`.
   * @throws Error when this actor holds no task.
   */
  transition(journal: StatusJournal, from: readonly TaskStatus[], to: TaskStatus, fields: TransitionFields = {}): TranscriptEvent | null {
    return this.tx(() => {
      const row = this.mustRow();
      if (!from.includes(row.status)) return null;
      // What the task waits on is kept only while it waits; leaving `waiting` is progress.
      this.write(
        `UPDATE task SET status = ?, summary = COALESCE(?, summary), error = COALESCE(?, error), failure_code = COALESCE(?, failure_code),
         changed_files_json = COALESCE(?, changed_files_json), wait_kind = ?, question = ?, updated_at = ?,
         last_activity_at = CASE WHEN status = 'waiting' THEN ? ELSE last_activity_at END WHERE id = ?`,
        to,
        fields.summary ?? null,
        fields.failure?.message ?? null,
        fields.failure?.code ?? null,
        fields.changedFiles ? JSON.stringify(fields.changedFiles) : null,
        to === "waiting" ? (fields.waitKind ?? null) : null,
        to === "waiting" ? (fields.question ?? null) : null,
        new Date().toISOString(),
        Date.now(),
        row.id,
      );
      const failure = fields.failure;
      return journal.append({ type: "status", status: to, ...(failure?.message ? { reason: failure.message, code: failure.code } : {}) });
    });
  }
}
