/**
 * A task's children: dispatching them (`dispatch_task`, at most once per idempotency key, within
 * the project's depth and fan-out limits), waiting for them (`wait_for_tasks`, using no compute),
 * waking when the last one ends, and, when the task itself ends, cancelling them and reporting
 * the end to its own parent (a task or a mission).
 */
import { getAgentByName } from "agents";
import type { z } from "zod";
import { newId } from "../../ids.ts";
import { registerTask } from "../../indexes.ts";
import { TERMINAL_TASK_STATUSES, type TaskView } from "../../shared/protocol.ts";
import { platformToolInputs } from "../../tools/task-platform-tools.ts";
import type { ToolOutcome } from "../../tools/workspace-tools.ts";
import type { TaskJournal } from "./journal.ts";
import type { TaskOutbox } from "./outbox.ts";
import type { TaskRowStore } from "./row-store.ts";

/** How often a task waiting on children checks them itself, in s: the bound on a lost report. */
export const CHILD_WATCHDOG_SECONDS = 60;

/** Creates the `children` table: children by idempotency key, so a retried dispatch finds its child. */
export function createChildrenTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS children (idempotency_key TEXT PRIMARY KEY, task_id TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)`);
}

/** What the children module needs from its actor. */
export interface ChildrenHost {
  env: Env;
  store: TaskRowStore;
  journal: TaskJournal;
  outbox: TaskOutbox;
  /** Schedules `checkChildren` in CHILD_WATCHDOG_SECONDS (idempotent: one pending at most). */
  scheduleWatchdog(): Promise<void>;
  /** Restarts the loop. */
  kick(): void;
}

/** The children of one task actor. */
export class TaskChildren {
  private readonly host: ChildrenHost;

  constructor(host: ChildrenHost) {
    this.host = host;
  }

  /** Ids of this task's children, oldest first. */
  ids(): string[] {
    return this.host.store.sql
      .exec<{ task_id: string }>(`SELECT task_id FROM children ORDER BY created_at, task_id`)
      .toArray()
      .map((r) => r.task_id);
  }

  /** The children's views (null for one that holds no task), in the order of `ids`. */
  private views(ids: string[]): Promise<(TaskView | null)[]> {
    return Promise.all(ids.map(async (id) => (await getAgentByName(this.host.env.TaskAgent, id)).getView()));
  }

  /**
   * `dispatch_task`: starts a child task, at most once per idempotency key (the tool call id by
   * default), within the project's depth and fan-out limits. Returns the child's id and status
   * as JSON, or an error outcome when a limit refuses it.
   */
  async dispatch(toolCallId: string, input: z.infer<typeof platformToolInputs.dispatch_task>): Promise<ToolOutcome> {
    const { env, store } = this.host;
    const row = store.mustRow();
    const limits = store.limits();
    const key = input.idempotency_key ?? toolCallId;
    const childId = store.tx(() => {
      const existing = store.sql.exec<{ task_id: string }>(`SELECT task_id FROM children WHERE idempotency_key = ?`, key).toArray()[0];
      if (existing) return { id: existing.task_id };
      if (row.depth + 1 > limits.maxDepth) return { error: `a child would be at depth ${row.depth + 1}; the project allows ${limits.maxDepth}` };
      if (this.ids().length >= limits.maxChildren) return { error: `this task already has ${limits.maxChildren} children, the project's limit` };
      const id = newId("task");
      store.sql.exec(`INSERT INTO children (idempotency_key, task_id, created_at) VALUES (?, ?, ?)`, key, id, new Date().toISOString());
      return { id };
    });
    if ("error" in childId) return { output: `dispatch refused: ${childId.error}`, isError: true, exitCode: null };
    await registerTask(env, childId.id, row.project_id);
    const child = await getAgentByName(env.TaskAgent, childId.id);
    const view = await child.start({
      id: childId.id,
      projectId: row.project_id,
      userId: row.user_id,
      prompt: input.prompt,
      model: input.model ?? row.model,
      script: input.script,
      missionId: row.mission_id ?? undefined,
      missionBudgetUsd: row.mission_budget_usd,
      parentTaskId: row.id,
      depth: row.depth + 1,
      sessionId: row.session_id ?? undefined,
      policies: JSON.parse(row.policies_json) as string[],
      limits,
    });
    return { output: JSON.stringify({ taskId: view.id, status: view.status }), isError: false, exitCode: null };
  }

  /**
   * `wait_for_tasks`: each child's outcome (JSON) when all of `taskIds` (default: every child)
   * ended; otherwise the task goes to `waiting` (children) and "wait" is returned. Ids that are
   * not this task's children, or no children at all, give an error outcome.
   */
  async wait(taskIds: string[] | undefined): Promise<ToolOutcome | "wait"> {
    const { store, journal, outbox } = this.host;
    const mine = this.ids();
    const ids = taskIds ?? mine;
    const strangers = ids.filter((id) => !mine.includes(id));
    if (strangers.length) return { output: `not children of this task: ${strangers.join(", ")}`, isError: true, exitCode: null };
    if (ids.length === 0) return { output: "this task has no children to wait for", isError: true, exitCode: null };
    const views = await this.views(ids);
    if (views.every((v) => v && TERMINAL_TASK_STATUSES.includes(v.status))) {
      const results = views.map((v) => v && { taskId: v.id, status: v.status, summary: v.summary, error: v.error, changedFiles: v.changedFiles });
      return { output: JSON.stringify(results, null, 2), isError: false, exitCode: null };
    }
    const event = store.transition(journal, ["running"], "waiting", { waitKind: "children" });
    if (event) {
      await outbox.publish([event], true, true);
      await this.host.scheduleWatchdog();
      // A child may have ended between the check above and the transition.
      await this.wakeIfDone();
    }
    return "wait";
  }

  /**
   * Wakes a task waiting on children (back to `running`, loop restarted) when every child it
   * waits for has ended. Returns whether it woke.
   */
  async wakeIfDone(): Promise<boolean> {
    const { store, journal, outbox } = this.host;
    const row = store.row();
    if (!row || row.status !== "waiting" || row.wait_kind !== "children") return false;
    const waitingOn = journal.pendingToolCalls().find((c) => c.toolName === "wait_for_tasks");
    const parsed = waitingOn ? platformToolInputs.wait_for_tasks.safeParse(waitingOn.input) : null;
    const ids = (parsed?.success ? parsed.data.task_ids : undefined) ?? this.ids();
    const views = await this.views(ids);
    if (!views.every((v) => v && TERMINAL_TASK_STATUSES.includes(v.status))) return false;
    const event = store.transition(journal, ["waiting"], "running");
    if (!event) return false;
    await outbox.publish([event], true, true);
    this.host.kick();
    return true;
  }

  /**
   * After the task ended: a failed or cancelled task cancels its children, and its parent (the
   * parent task, else the mission) hears of the end. Failures are logged: parents also poll.
   */
  async afterEnd(view: TaskView): Promise<void> {
    const { env, store } = this.host;
    const row = store.mustRow();
    if (row.status !== "succeeded") {
      await Promise.all(
        this.ids().map(async (id) => {
          try {
            await (await getAgentByName(env.TaskAgent, id)).cancel(`parent task ${row.id} ${row.status}`);
          } catch (error) {
            console.error(`task ${row.id}: cancelling child ${id} failed: ${String(error)}`);
          }
        }),
      );
    }
    try {
      if (row.parent_task_id) await (await getAgentByName(env.TaskAgent, row.parent_task_id)).childEnded(row.id);
      else if (row.mission_id) await (await getAgentByName(env.MissionAgent, row.mission_id)).taskEnded(row.id, view);
    } catch (error) {
      console.error(`task ${row.id}: reporting the end to its parent failed: ${String(error)}`);
    }
  }
}
