/**
 * MissionAgent: one mission (DESIGN.md §1, §2.3). Owns the goal, the plan (tasks and their
 * dependencies), the scheduler, retries, handoffs between tasks, and the final summary.
 *
 * The scheduler is a `tick` that is safe to run any number of times: it reconciles the plan with
 * the tasks' actors, then starts what may start. It runs when a task reports its end, when the
 * project frees a slot, on a watchdog interval while the mission is active, and on every wake of
 * the actor (so a crash or eviction resumes the mission). Every start is journaled before the
 * task actor is called, with the task id chosen first, so a retried start reaches the same task
 * (`TaskAgent.start` is idempotent) and no plan entry ever runs twice at once.
 */
import { Agent, getAgentByName } from "agents";
import { z } from "zod";
import { newId } from "../ids.ts";
import { registerTask, registerTasks } from "../indexes.ts";
import { missionSpecSchema, missionTaskRequestSchema, type MissionSpec } from "../shared/mission-plan.ts";
import type { TaskLimits } from "../shared/limits.ts";
import type { TaskSpec } from "../shared/task-spec.ts";
import {
  TERMINAL_MISSION_STATUSES,
  TERMINAL_TASK_STATUSES,
  type MissionStatus,
  type MissionTaskStatus,
  type MissionView,
  type TaskView,
} from "../shared/protocol.ts";
import { transactionDroppingCaches } from "./sql.ts";

/** Seconds between watchdog ticks while a mission is active: the bound on a lost notification. */
const WATCHDOG_SECONDS = 30;
/** How long progress updates of the view may wait to be sent together, in ms (as TaskAgent's batch). */
const PUBLISH_BATCH_MS = 50;
/** Handoff limits: files copied from a finished task into its dependents, and their total size. */
const HANDOFF_MAX_FILES = 50;
const HANDOFF_MAX_BYTES = 512 * 1024;

type MissionRow = {
  id: string;
  project_id: string;
  user_id: string;
  goal: string;
  status: MissionStatus;
  max_concurrent: number;
  max_retries: number;
  session_id: string | null;
  budget_usd: number | null;
  summary: string | null;
  error: string | null;
  summary_posted: number;
  created_at: string;
  updated_at: string;
};

/** An entry as the scheduler reads it: without its bulky spec and handoff (read only when needed). */
type EntryRow = {
  key: string;
  ord: number;
  prompt: string;
  depends_on_json: string;
  status: MissionTaskStatus;
  task_id: string | null;
  attempts: number;
  error: string | null;
  summary: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
};
const ENTRY_COLUMNS = "key, ord, prompt, depends_on_json, status, task_id, attempts, error, summary, input_tokens, output_tokens, cost_usd";

/** What a finished task hands to the tasks that depend on it. */
const handoffSchema = z.object({
  key: z.string(),
  taskId: z.string(),
  summary: z.string(),
  changedFiles: z.array(z.string()),
  files: z.record(z.string(), z.string()),
});
type Handoff = z.infer<typeof handoffSchema>;

const entrySpecSchema = missionTaskRequestSchema.pick({ model: true, script: true, workspace: true, maxSteps: true });

/** The mission actor. Keyed by mission id. */
export class MissionAgent extends Agent<Env> {
  /** Pending coalesced publish of the view (see publishSoon). */
  private publishTimer: ReturnType<typeof setTimeout> | null = null;
  /** The running tick, if any; a tick requested meanwhile runs once more after it. */
  private ticking: Promise<void> | null = null;
  private tickAgain = false;
  /** The entries as stored, read once and dropped by every write (`writeEntries`, `tx`): each scheduling pass reads them several times. */
  private entriesCache: EntryRow[] | null = null;
  /** Keys of cached entries written since they were read: re-read one by one, not the whole plan. */
  private staleEntries = new Set<string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS mission (
      id TEXT PRIMARY KEY, project_id TEXT NOT NULL, user_id TEXT NOT NULL, goal TEXT NOT NULL, status TEXT NOT NULL,
      max_concurrent INTEGER NOT NULL, max_retries INTEGER NOT NULL, session_id TEXT, budget_usd REAL, summary TEXT, error TEXT,
      summary_posted INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS entries (
      key TEXT PRIMARY KEY, ord INTEGER NOT NULL, prompt TEXT NOT NULL, depends_on_json TEXT NOT NULL, spec_json TEXT NOT NULL,
      status TEXT NOT NULL, task_id TEXT, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, summary TEXT, handoff_json TEXT,
      input_tokens INTEGER NOT NULL DEFAULT 0, output_tokens INTEGER NOT NULL DEFAULT 0, cost_usd REAL NOT NULL DEFAULT 0)`);
    // Every task id this mission ever started, so a late report from an old attempt is recognised.
    sql.exec(`CREATE TABLE IF NOT EXISTS attempts (task_id TEXT PRIMARY KEY, key TEXT NOT NULL, attempt INTEGER NOT NULL)`);
  }

  /** On every wake (after a crash, an eviction or a deploy), resume an active mission. */
  override onStart(): void {
    const row = this.row();
    if (row && !TERMINAL_MISSION_STATUSES.includes(row.status)) void this.tick();
  }

  // ---------- RPC ----------

  /**
   * Stores the mission and its plan and starts it. Idempotent: a second call returns the
   * existing view. @throws ZodError when the spec is invalid (a bad plan included).
   */
  async create(input: MissionSpec): Promise<MissionView> {
    const spec = missionSpecSchema.parse(input);
    if (!this.row()) {
      const now = new Date().toISOString();
      this.tx(() => {
        this.ctx.storage.sql.exec(
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
      await this.publish();
      await this.scheduleEvery(WATCHDOG_SECONDS, "watchdog");
    }
    void this.tick();
    return this.mustView();
  }

  /** The mission's view, or null if this actor holds none. */
  async getView(): Promise<MissionView | null> {
    return this.row() ? this.view() : null;
  }

  /** Stops starting new tasks (running ones go on). Returns the view; a no-op unless running. */
  async pause(): Promise<MissionView> {
    if (this.setStatus(["planning", "running"], "paused")) await this.publish();
    return this.mustView();
  }

  /** Starts scheduling again after a pause. Returns the view; a no-op unless paused. */
  async resume(): Promise<MissionView> {
    if (this.setStatus(["paused"], "running")) {
      await this.publish();
      void this.tick();
    }
    return this.mustView();
  }

  /** Cancels the mission and every running task of it. Returns the view after the change. */
  async cancel(reason = "cancelled by a user"): Promise<MissionView> {
    const running = this.tx(() => {
      if (!this.setStatus(["planning", "running", "paused"], "cancelled", reason)) return null;
      const active = this.entries().filter((e) => e.status === "running" && e.task_id);
      this.writeEntries(null, `UPDATE entries SET status = 'cancelled', error = ? WHERE status IN ('pending', 'running')`, reason);
      return active;
    });
    if (running) {
      await Promise.all(
        running.map(async (entry) => {
          try {
            await (await getAgentByName(this.env.TaskAgent, entry.task_id ?? "")).cancel(`mission cancelled: ${reason}`);
          } catch (error) {
            console.error(`mission ${this.name}: cancelling task ${entry.task_id} failed: ${String(error)}`);
          }
        }),
      );
      await this.finishMission();
    }
    return this.mustView();
  }

  /** A task of this mission reports that it ended (from `TaskAgent`); schedules at once. */
  async taskEnded(taskId: string, view: TaskView): Promise<void> {
    await this.settleTask(taskId, view);
    void this.tick();
  }

  /** The project freed a slot this mission waited for. */
  async wake(): Promise<void> {
    void this.tick();
  }

  /** Alarm callback while the mission is active: catches any lost notification. */
  async watchdog(): Promise<void> {
    const row = this.row();
    if (!row) return this.stopWatchdog();
    // An ended mission whose summary could not be posted yet tries again (finishMission stops the watchdog).
    if (TERMINAL_MISSION_STATUSES.includes(row.status)) return this.finishMission();
    await this.tick(true);
  }

  // ---------- the scheduler ----------

  /**
   * Runs the scheduler; overlapping calls coalesce into one more run. `reconcile` also asks
   * the actor of every running entry for its state (on wake and on the watchdog).
   */
  private tick(reconcile = false): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return this.ticking;
    }
    this.ticking = (async () => {
      let full = reconcile || !this.reconciledOnce;
      do {
        this.tickAgain = false;
        try {
          await this.tickOnce(full);
        } catch (error) {
          console.error(`mission ${this.name}: tick failed: ${String(error)}`);
        }
        full = false;
      } while (this.tickAgain);
    })().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  /** Whether this instance has reconciled with the task actors since it woke. */
  private reconciledOnce = false;

  private async tickOnce(reconcile: boolean): Promise<void> {
    let row = this.row();
    if (!row || TERMINAL_MISSION_STATUSES.includes(row.status)) return;
    if (row.status === "planning" && this.setStatus(["planning"], "running")) {
      await this.publish();
      row = this.mustRow();
    }
    if (reconcile) {
      this.reconciledOnce = true;
      await this.reconcile();
    }
    this.skipBlocked();
    if (row.status === "running") await this.startReady(row);
    if (!this.entries().some((e) => e.status === "pending" || e.status === "running")) {
      const failed = this.entries().filter((e) => e.status !== "succeeded");
      const status: MissionStatus = failed.length === 0 ? "succeeded" : "failed";
      const reason = failed.length === 0 ? null : `${failed.length} of ${this.entries().length} tasks did not succeed`;
      if (this.setStatus(["running", "paused"], status, reason)) await this.finishMission();
    }
  }

  /** Asks each running entry's task actor for its state; restarts a start that never arrived. */
  private async reconcile(): Promise<void> {
    const row = this.mustRow();
    for (const entry of this.entries()) {
      if (entry.status !== "running" || !entry.task_id) continue;
      const task = await getAgentByName(this.env.TaskAgent, entry.task_id);
      const view = await task.getView();
      if (!view) {
        // The start was journaled here but never reached the task (a crash in between).
        await this.startTask(row, entry, undefined, true);
      } else if (TERMINAL_TASK_STATUSES.includes(view.status)) {
        await this.settleTask(entry.task_id, view);
      }
    }
  }

  /** Marks pending entries whose dependency failed for good (or was skipped) as skipped. */
  private skipBlocked(): void {
    let changed = true;
    while (changed) {
      changed = false;
      const byKey = new Map(this.entries().map((e) => [e.key, e]));
      for (const entry of byKey.values()) {
        if (entry.status !== "pending") continue;
        const blocker = deps(entry).find((d) => ["failed", "cancelled", "skipped"].includes(byKey.get(d)?.status ?? ""));
        if (!blocker) continue;
        this.writeEntries(
          entry.key,
          `UPDATE entries SET status = 'skipped', error = ? WHERE key = ? AND status = 'pending'`,
          `not started: it depends on "${blocker}", which did not succeed`,
          entry.key,
        );
        changed = true;
      }
    }
  }

  /**
   * Starts every ready entry the mission's and the project's limits allow: task ids are chosen
   * and journaled first, slots are taken in one call to the project, and the tasks start at once.
   */
  private async startReady(row: MissionRow): Promise<void> {
    const entries = this.entries();
    const byKey = new Map(entries.map((e) => [e.key, e]));
    const free = row.max_concurrent - entries.filter((e) => e.status === "running").length;
    const ready = entries.filter((e) => e.status === "pending" && deps(e).every((d) => byKey.get(d)?.status === "succeeded")).slice(0, Math.max(free, 0));
    if (ready.length === 0) return;
    // Choose each attempt's task id first and journal it, so every retry of this start reaches the same task.
    const candidates = this.tx(() =>
      ready.map((entry) => {
        if (entry.task_id) return { ...entry, task_id: entry.task_id };
        const taskId = newId("task");
        this.writeEntries(entry.key, `UPDATE entries SET task_id = ? WHERE key = ? AND status = 'pending' AND task_id IS NULL`, taskId, entry.key);
        this.ctx.storage.sql.exec(`INSERT OR IGNORE INTO attempts (task_id, key, attempt) VALUES (?, ?, ?)`, taskId, entry.key, entry.attempts + 1);
        return { ...entry, task_id: taskId };
      }),
    );
    // Indexed before anyone can see the ids, so the API can answer for them at once.
    await registerTasks(this.env, candidates.map((c) => c.task_id), row.project_id);
    const project = await getAgentByName(this.env.ProjectAgent, row.project_id);
    // At the project's cap some are refused; the project wakes this mission when a slot frees.
    const [grantedIds, settings] = await Promise.all([project.acquireTaskSlots(candidates.map((c) => c.task_id), row.id), project.taskSettings()]);
    const granted = new Set(grantedIds);
    const started = this.tx(() =>
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
    if (started.length === 0) return;
    this.touch();
    this.publishSoon();
    await Promise.all(started.map((entry) => this.startTask(row, { ...entry, attempts: entry.attempts + 1 }, settings)));
  }

  /**
   * Calls the task actor to start (or confirm) the entry's current attempt; `settings` spares it
   * a call to the project. `register` indexes the task id first: needed only when restarting a
   * start that may have been cut off before `startReady` indexed its batch.
   */
  private async startTask(row: MissionRow, entry: EntryRow, settings?: { policies: string[]; limits: TaskLimits }, register = false): Promise<void> {
    const taskId = entry.task_id;
    if (!taskId) return;
    const specJson = this.ctx.storage.sql.exec<{ spec_json: string }>(`SELECT spec_json FROM entries WHERE key = ?`, entry.key).one().spec_json;
    const spec = entrySpecSchema.parse(JSON.parse(specJson));
    const handoffs = deps(entry).flatMap((key) => {
      const json = this.ctx.storage.sql.exec<{ handoff_json: string | null }>(`SELECT handoff_json FROM entries WHERE key = ?`, key).toArray()[0]?.handoff_json;
      return json ? [handoffSchema.parse(JSON.parse(json))] : [];
    });
    const files: Record<string, string> = {};
    for (const handoff of handoffs) Object.assign(files, handoff.files);
    Object.assign(files, spec.workspace?.files ?? {});
    const taskSpec: TaskSpec = {
      id: taskId,
      projectId: row.project_id,
      userId: row.user_id,
      prompt: withHandoffs(entry.prompt, handoffs),
      model: spec.model,
      script: spec.script,
      workspace: { files },
      maxSteps: spec.maxSteps,
      missionId: row.id,
      missionBudgetUsd: row.budget_usd,
      sessionId: row.session_id ?? undefined,
      policies: settings?.policies,
      limits: settings?.limits,
    };
    try {
      if (register) await registerTask(this.env, taskId, row.project_id);
      await (await getAgentByName(this.env.TaskAgent, taskId)).start(taskSpec);
    } catch (error) {
      // The watchdog's reconcile retries the start (same task id), so nothing runs twice.
      console.error(`mission ${row.id}: starting task ${taskId} failed: ${String(error)}`);
    }
  }

  /**
   * Records the end of a task attempt once (compare-and-set on the entry's status and task
   * id): success stores the handoff; failure retries (a new attempt, a new task) while retries
   * remain, else the entry fails for good.
   */
  private async settleTask(taskId: string, view: TaskView): Promise<void> {
    if (!TERMINAL_TASK_STATUSES.includes(view.status)) return;
    const entry = this.entries().find((e) => e.task_id === taskId && e.status === "running");
    if (!entry) return;
    const row = this.mustRow();
    let handoff: Handoff | null = null;
    // Only a task something depends on hands anything over (reading files back costs a runner call each).
    const hasDependents = this.entries().some((e) => deps(e).includes(entry.key));
    if (view.status === "succeeded" && hasDependents) handoff = await this.collectHandoff(entry.key, view);
    const settled = this.tx(() => {
      let status: MissionTaskStatus;
      let nextTaskId: string | null = taskId;
      let error: string | null = view.error;
      if (view.status === "succeeded") status = "succeeded";
      // A spent budget stays spent: retrying would fail the same way.
      else if (view.status === "failed" && entry.attempts <= row.max_retries && row.status !== "cancelled" && !view.error?.startsWith("budget_exceeded")) {
        status = "pending";
        nextTaskId = null;
        error = `attempt ${entry.attempts} failed: ${view.error ?? "unknown reason"}; retrying`;
      } else status = view.status === "cancelled" ? "cancelled" : "failed";
      return (
        this.writeEntries(
          entry.key,
          `UPDATE entries SET status = ?, task_id = ?, error = ?, summary = ?, handoff_json = ?,
           input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cost_usd = cost_usd + ?
           WHERE key = ? AND status = 'running' AND task_id = ?`,
          status,
          nextTaskId,
          status === "succeeded" ? null : error,
          view.summary,
          handoff ? JSON.stringify(handoff) : null,
          view.usage.inputTokens,
          view.usage.outputTokens,
          view.usage.costUsd,
          entry.key,
          taskId,
        ).rowsWritten > 0
      );
    });
    if (settled) {
      this.touch();
      this.publishSoon();
    }
  }

  /** The finished task's summary, changed paths and their contents (capped), for its dependents. */
  private async collectHandoff(key: string, view: TaskView): Promise<Handoff> {
    const files: Record<string, string> = {};
    let bytes = 0;
    const task = await getAgentByName(this.env.TaskAgent, view.id);
    for (const path of view.changedFiles.slice(0, HANDOFF_MAX_FILES)) {
      const file = await task.readFile(path);
      if (!file.ok || bytes + file.content.length > HANDOFF_MAX_BYTES) continue;
      bytes += file.content.length;
      files[path] = file.content;
    }
    return { key, taskId: view.id, summary: view.summary ?? "", changedFiles: view.changedFiles, files };
  }

  /** After the mission ended: summary in the chat (once), watchdog off, final view out. */
  private async finishMission(): Promise<void> {
    const row = this.mustRow();
    const summary = this.summaryText(row);
    this.ctx.storage.sql.exec(`UPDATE mission SET summary = ? WHERE id = ? AND summary IS NULL`, summary, row.id);
    await this.publish();
    if (!row.summary_posted) {
      try {
        const project = await getAgentByName(this.env.ProjectAgent, row.project_id);
        await project.postNotice(`mission-summary:${row.id}`, row.session_id, summary);
        this.ctx.storage.sql.exec(`UPDATE mission SET summary_posted = 1 WHERE id = ?`, row.id);
      } catch (error) {
        // Left unposted: the next wake or watchdog posts it (the project ignores a repeat).
        console.error(`mission ${row.id}: posting the summary failed: ${String(error)}`);
        return;
      }
    }
    await this.stopWatchdog();
  }

  private async stopWatchdog(): Promise<void> {
    for (const schedule of this.getSchedules()) {
      if (schedule.callback === "watchdog") await this.cancelSchedule(schedule.id);
    }
  }

  /** The outcome in words: per task what happened, and the cost. */
  private summaryText(row: MissionRow): string {
    const entries = this.entries();
    const usage = totalUsage(entries);
    const lines = [`Mission "${row.goal}" ${row.status}: ${entries.filter((e) => e.status === "succeeded").length} of ${entries.length} tasks succeeded.`];
    for (const entry of entries) {
      const attempts = entry.attempts > 1 ? ` (after ${entry.attempts} attempts)` : "";
      if (entry.status === "succeeded") lines.push(`- ✓ ${entry.key}${attempts}: ${firstLine(entry.summary) || "done"}`);
      else lines.push(`- ✗ ${entry.key} ${entry.status}${attempts}: ${entry.error ?? "no reason recorded"}`);
    }
    lines.push(`Cost: $${usage.costUsd.toFixed(4)} (${usage.inputTokens} input and ${usage.outputTokens} output tokens).`);
    if (row.error && row.status === "cancelled") lines.push(`Cancelled: ${row.error}`);
    return lines.join("\n");
  }

  // ---------- storage ----------

  private row(): MissionRow | null {
    return this.ctx.storage.sql.exec<MissionRow>(`SELECT * FROM mission LIMIT 1`).toArray()[0] ?? null;
  }

  private mustRow(): MissionRow {
    const row = this.row();
    if (!row) throw new Error("this actor holds no mission");
    return row;
  }

  /** The entries in plan order. Callers must not change the rows (they are the cache). */
  private entries(): readonly EntryRow[] {
    if (this.entriesCache && this.staleEntries.size > 0) {
      const cached = this.entriesCache;
      for (const key of this.staleEntries) {
        const i = cached.findIndex((e) => e.key === key);
        const fresh = this.ctx.storage.sql.exec<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM entries WHERE key = ?`, key).toArray()[0];
        if (i < 0 || !fresh) {
          this.entriesCache = null;
          break;
        }
        cached[i] = fresh;
      }
      this.staleEntries.clear();
    }
    this.entriesCache ??= this.ctx.storage.sql.exec<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM entries ORDER BY ord`).toArray();
    return this.entriesCache;
  }

  private entry(key: string): EntryRow | null {
    return this.entries().find((e) => e.key === key) ?? null;
  }

  /**
   * Every write to the `entries` table goes through here, so that `entriesCache` never goes
   * stale: `key` names the one entry a write may change (re-read alone, once a task ends the
   * plan is not read whole again), null a write that may touch several or add one.
   */
  private writeEntries(key: string | null, query: string, ...bindings: SqlStorageValue[]): SqlStorageCursor<Record<string, SqlStorageValue>> {
    if (key === null) this.dropEntriesCache();
    else this.staleEntries.add(key);
    return this.ctx.storage.sql.exec(query, ...bindings);
  }

  /** `transactionSync`, dropping the cached entries when it rolls back. */
  private tx<T>(fn: () => T): T {
    return transactionDroppingCaches(this.ctx.storage, fn, () => this.dropEntriesCache());
  }

  private dropEntriesCache(): void {
    this.entriesCache = null;
    this.staleEntries.clear();
  }

  /** Compare-and-set of the mission status. Returns whether it changed. */
  private setStatus(from: MissionStatus[], to: MissionStatus, error: string | null = null): boolean {
    const row = this.row();
    if (!row || !from.includes(row.status)) return false;
    return (
      this.ctx.storage.sql.exec(
        `UPDATE mission SET status = ?, error = COALESCE(?, error), updated_at = ? WHERE id = ? AND status = ?`,
        to,
        error,
        new Date().toISOString(),
        row.id,
        row.status,
      ).rowsWritten > 0
    );
  }

  private touch(): void {
    this.ctx.storage.sql.exec(`UPDATE mission SET updated_at = ?`, new Date().toISOString());
  }

  private view(): MissionView {
    const row = this.mustRow();
    const entries = this.entries();
    return {
      id: row.id,
      projectId: row.project_id,
      goal: row.goal,
      status: row.status,
      tasks: entries.map((e) => ({
        key: e.key,
        prompt: e.prompt,
        taskId: e.task_id,
        status: e.status,
        dependsOn: deps(e),
        attempts: e.attempts,
        error: e.error,
        usage: { inputTokens: e.input_tokens, outputTokens: e.output_tokens, costUsd: e.cost_usd },
      })),
      maxConcurrent: row.max_concurrent,
      maxRetries: row.max_retries,
      budgetUsd: row.budget_usd,
      summary: row.summary,
      error: row.error,
      usage: totalUsage(entries),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  private mustView(): MissionView {
    return this.view();
  }

  /**
   * Sends the view within PUBLISH_BATCH_MS, once for every change made meanwhile: a 100-task
   * mission would otherwise send its whole view once per task start and end.
   */
  private publishSoon(): void {
    this.publishTimer ??= setTimeout(() => {
      this.publishTimer = null;
      void this.publish();
    }, PUBLISH_BATCH_MS);
  }

  /** Sends the current view to the project, which stores it and fans it out. Never throws. */
  private async publish(): Promise<void> {
    if (this.publishTimer) {
      clearTimeout(this.publishTimer);
      this.publishTimer = null;
    }
    const view = this.view();
    try {
      await (await getAgentByName(this.env.ProjectAgent, view.projectId)).publishMissionUpdate(view);
    } catch (error) {
      console.error(`mission ${view.id}: publishing to project failed: ${String(error)}`);
    }
  }
}

function deps(entry: EntryRow): string[] {
  return JSON.parse(entry.depends_on_json) as string[];
}

function totalUsage(entries: readonly EntryRow[]) {
  return entries.reduce(
    (sum, e) => ({ inputTokens: sum.inputTokens + e.input_tokens, outputTokens: sum.outputTokens + e.output_tokens, costUsd: sum.costUsd + e.cost_usd }),
    { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );
}

function firstLine(text: string | null): string {
  return (text ?? "").split("\n")[0]?.trim() ?? "";
}

/** The prompt a dependent task gets: its own, then each dependency's summary and changed files. */
function withHandoffs(prompt: string, handoffs: Handoff[]): string {
  if (handoffs.length === 0) return prompt;
  const parts = handoffs.map((h) => {
    const copied = Object.keys(h.files);
    return [
      `Handoff from task "${h.key}" (${h.taskId}), which this task depends on:`,
      `Summary: ${h.summary || "(none)"}`,
      `Changed files: ${h.changedFiles.join(", ") || "(none)"}${copied.length ? ` — copied into your workspace: ${copied.join(", ")}` : ""}`,
    ].join("\n");
  });
  return `${prompt}\n\n${parts.join("\n\n")}`;
}
