/**
 * MissionAgent: one mission. Owns the goal, the plan (tasks and their dependencies), the
 * scheduler, retries, handoffs between tasks, and the final summary. Each job lives in a module
 * of this folder: the scheduler's decisions in `schedule.ts` (pure), handoffs in `handoff.ts`,
 * the summary in `summary.ts` (pure), storage and its cache in `store.ts`, the row shapes and the
 * view in `rows.ts`; this class calls the task and project actors and applies the decisions.
 *
 * The scheduler is a `tick` that is safe to run any number of times: it reconciles the plan with
 * the tasks' actors, then starts what may start. It runs when a task reports its end, when the
 * project frees a slot, on a watchdog interval while the mission is active, and on every wake of
 * the actor (so a crash or eviction resumes the mission). Every start is journaled before the
 * task actor is called, with the task id chosen first, so a retried start reaches the same task
 * (`TaskAgent.start` is idempotent) and no plan entry ever runs twice at once.
 */
import { Agent, getAgentByName } from "agents";
import { newId } from "../../ids.ts";
import { registerTask, registerTasks } from "../../indexes.ts";
import type { TaskLimits } from "../../shared/limits.ts";
import { missionSpecSchema, type MissionSpec } from "../../shared/mission-plan.ts";
import { TERMINAL_MISSION_STATUSES, TERMINAL_TASK_STATUSES, type MissionView, type TaskView } from "../../shared/protocol.ts";
import { parseTaskView } from "../../shared/task-failure.ts";
import { attemptTaskSpec, collectHandoff, type Handoff } from "./handoff.ts";
import { dependsOn, missionView, type EntryRow, type MissionRow } from "./rows.ts";
import { attemptOutcome, blockedEntries, missionOutcome, readyEntries } from "./schedule.ts";
import { MissionStore } from "./store.ts";
import { summaryText } from "./summary.ts";
import { missionEndedNotice } from "../user/notices.ts";
import { notifyUser } from "../user/notify.ts";

/** Seconds between watchdog ticks while a mission is active: the bound on a lost notification. */
const WATCHDOG_SECONDS = 30;
/** How long progress updates of the view may wait to be sent together, in ms. */
const PUBLISH_BATCH_MS = 50;

/** The mission actor. Keyed by mission id. */
export class MissionAgent extends Agent<Env> {
  /** The mission's tables and cached entries. */
  private readonly store: MissionStore;
  /** Pending coalesced publish of the view (see publishSoon). */
  private publishTimer: ReturnType<typeof setTimeout> | null = null;
  /** The running tick, if any; a tick requested meanwhile runs once more after it. */
  private ticking: Promise<void> | null = null;
  private tickAgain = false;
  /** Whether this instance has reconciled with the task actors since it woke. */
  private reconciledOnce = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new MissionStore(ctx.storage);
  }

  /** On every wake (after a crash, an eviction or a deploy), resume an active mission. */
  override onStart(): void {
    const row = this.store.row();
    if (row && !TERMINAL_MISSION_STATUSES.includes(row.status)) void this.tick();
  }

  // ---------- RPC ----------

  /**
   * Stores the mission and its plan and starts it. Idempotent: a second call returns the
   * existing view. @throws ZodError when the spec is invalid (a bad plan included).
   */
  async create(input: MissionSpec): Promise<MissionView> {
    const spec = missionSpecSchema.parse(input);
    if (!this.store.row()) {
      this.store.insert(spec);
      await this.publish();
      await this.scheduleEvery(WATCHDOG_SECONDS, "watchdog");
    }
    void this.tick();
    return this.view();
  }

  /** The mission's view, or null if this actor holds none. */
  async getView(): Promise<MissionView | null> {
    return this.store.row() ? this.view() : null;
  }

  /** Stops starting new tasks (running ones go on). Returns the view; a no-op unless planning or running. */
  async pause(): Promise<MissionView> {
    if (this.store.setStatus(["planning", "running"], "paused")) await this.publish();
    return this.view();
  }

  /** Starts scheduling again after a pause. Returns the view; a no-op unless paused. */
  async resume(): Promise<MissionView> {
    if (this.store.setStatus(["paused"], "running")) {
      await this.publish();
      void this.tick();
    }
    return this.view();
  }

  /** Cancels the mission and every running task of it. Returns the view after the change; a no-op once ended. */
  async cancel(reason = "cancelled by a user"): Promise<MissionView> {
    const running = this.store.cancel(reason);
    if (running) {
      await Promise.all(
        running.map(async (entry) => {
          try {
            await (await getAgentByName(this.env.TaskAgent, entry.task_id)).cancel(`mission cancelled: ${reason}`);
          } catch (error) {
            console.error(`mission ${this.name}: cancelling task ${entry.task_id} failed: ${String(error)}`);
          }
        }),
      );
      await this.finishMission();
    }
    return this.view();
  }

  /**
   * A task of this mission reports that it ended (from `TaskAgent`), with its view; schedules at
   * once. The view is parsed (`parseTaskView`: a view from a task actor older than `failure` gets
   * its code derived from its message). Safe to call twice: the second report changes nothing.
   * @throws ZodError when `view` is not a task view (nothing is recorded).
   */
  async taskEnded(taskId: string, view: TaskView): Promise<void> {
    await this.settleTask(taskId, parseTaskView(view));
    void this.tick();
  }

  /** The project freed a slot this mission waited for. */
  async wake(): Promise<void> {
    void this.tick();
  }

  /** Alarm callback while the mission is active: catches any lost notification. */
  async watchdog(): Promise<void> {
    const row = this.store.row();
    if (!row) return this.stopWatchdog();
    // An ended mission whose summary could not be posted yet tries again (finishMission stops the watchdog).
    if (TERMINAL_MISSION_STATUSES.includes(row.status)) return this.finishMission();
    await this.tick(true);
  }

  // ---------- the scheduler ----------

  /**
   * Runs the scheduler; overlapping calls coalesce into one more run. `reconcile` also asks
   * the actor of every running entry for its state (on the watchdog, and on the first run after a wake).
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

  /** One scheduling pass: planning → running, reconcile if asked, skip the blocked, start the ready, end the mission when all ended. */
  private async tickOnce(reconcile: boolean): Promise<void> {
    let row = this.store.row();
    if (!row || TERMINAL_MISSION_STATUSES.includes(row.status)) return;
    if (row.status === "planning" && this.store.setStatus(["planning"], "running")) {
      await this.publish();
      row = this.store.mustRow();
    }
    if (reconcile) {
      this.reconciledOnce = true;
      await this.reconcile();
    }
    for (const blocked of blockedEntries(this.store.entries())) this.store.skip(blocked.key, blocked.reason);
    if (row.status === "running") await this.startReady(row);
    const outcome = missionOutcome(this.store.entries());
    if (outcome && this.store.setStatus(["running", "paused"], outcome.status, outcome.reason)) await this.finishMission();
  }

  /**
   * Asks each running entry's task actor for its state; restarts a start that never arrived. A
   * view that does not parse is logged and its entry left running (the next reconcile asks again).
   */
  private async reconcile(): Promise<void> {
    const row = this.store.mustRow();
    for (const entry of this.store.entries()) {
      if (entry.status !== "running" || !entry.task_id) continue;
      const task = await getAgentByName(this.env.TaskAgent, entry.task_id);
      const reported: unknown = await task.getView();
      let view: TaskView | null = null;
      if (reported !== null && reported !== undefined) {
        try {
          view = parseTaskView(reported);
        } catch (error) {
          console.error(`mission ${row.id}: task ${entry.task_id} sent a view that does not parse: ${String(error)}`);
          continue;
        }
      }
      if (!view) {
        // The start was journaled here but never reached the task (a crash in between).
        await this.startTask(row, entry, undefined, true);
      } else if (TERMINAL_TASK_STATUSES.includes(view.status)) {
        await this.settleTask(entry.task_id, view);
      }
    }
  }

  /**
   * Starts every ready entry the mission's and the project's limits allow: task ids are chosen
   * and journaled first, slots are taken in one call to the project, and the tasks start at once.
   */
  private async startReady(row: MissionRow): Promise<void> {
    const ready = readyEntries(this.store.entries(), row.max_concurrent);
    if (ready.length === 0) return;
    // Choose each attempt's task id first and journal it, so every retry of this start reaches the same task.
    const candidates = this.store.assignTaskIds(ready, () => newId("task"));
    // Indexed before anyone can see the ids, so the API can answer for them at once.
    await registerTasks(this.env, candidates.map((c) => c.task_id), row.project_id);
    const project = await getAgentByName(this.env.ProjectAgent, row.project_id);
    // At the project's cap some are refused; the project wakes this mission when a slot frees.
    const [grantedIds, settings] = await Promise.all([project.acquireTaskSlots(candidates.map((c) => c.task_id), row.id), project.taskSettings()]);
    const started = this.store.markRunning(candidates, new Set(grantedIds));
    if (started.length === 0) return;
    this.store.touch();
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
    const taskSpec = attemptTaskSpec(row, entry, taskId, this.store.entrySpec(entry.key), this.store.handoffs(dependsOn(entry)), settings);
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
   * id): success stores the handoff; failure retries (a new attempt, a new task) while
   * `attemptOutcome` allows, else the entry fails for good.
   */
  private async settleTask(taskId: string, view: TaskView): Promise<void> {
    if (!TERMINAL_TASK_STATUSES.includes(view.status)) return;
    const entry = this.store.entries().find((e) => e.task_id === taskId && e.status === "running");
    if (!entry) return;
    const row = this.store.mustRow();
    let handoff: Handoff | null = null;
    // Only a task something depends on hands anything over (reading files back costs a runner call each).
    const hasDependents = this.store.entries().some((e) => dependsOn(e).includes(entry.key));
    if (view.status === "succeeded" && hasDependents) {
      const task = await getAgentByName(this.env.TaskAgent, view.id);
      handoff = await collectHandoff(entry.key, view, (path) => task.readFile(path));
    }
    const outcome = attemptOutcome(view, entry, { maxRetries: row.max_retries, status: row.status });
    if (this.store.settle(entry.key, taskId, outcome, view, handoff)) {
      this.store.touch();
      this.publishSoon();
    }
  }

  // ---------- the end ----------

  /** After the mission ended: summary in the chat (once), watchdog off, final view out. */
  private async finishMission(): Promise<void> {
    const row = this.store.mustRow();
    const summary = summaryText(row, this.store.entries());
    this.store.setSummary(summary);
    await this.publish();
    // Its starter hears that it ended (deduplicated by the mission's id: this runs again until the summary is posted).
    await notifyUser(this.env, row.user_id, missionEndedNotice(this.view()));
    if (!row.summary_posted) {
      try {
        const project = await getAgentByName(this.env.ProjectAgent, row.project_id);
        await project.postNotice(`mission-summary:${row.id}`, row.session_id, summary);
        this.store.markSummaryPosted();
      } catch (error) {
        // Left unposted: the next wake or watchdog posts it (the project ignores a repeat).
        console.error(`mission ${row.id}: posting the summary failed: ${String(error)}`);
        return;
      }
    }
    await this.stopWatchdog();
  }

  /** Cancels the watchdog's schedule (none left afterwards). */
  private async stopWatchdog(): Promise<void> {
    for (const schedule of this.getSchedules()) {
      if (schedule.callback === "watchdog") await this.cancelSchedule(schedule.id);
    }
  }

  // ---------- the view ----------

  /** The current view. @throws Error when this actor holds no mission. */
  private view(): MissionView {
    return missionView(this.store.mustRow(), this.store.entries());
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
