/**
 * One firing of a trigger, after its run was recorded (trigger-runs.ts claims the due time or the
 * delivery first): checks that the person it runs as is still an active member who may write,
 * puts the payload into the template's prompts, starts the task or mission as that person through
 * `launch.ts` (model, payer mode and budgets checked there), and records how it ended. A refused
 * start (`refused`: access, a template the payload broke, LaunchRefusedError) and an unexpected
 * error (`failed`) are recorded once, never retried, and the person is notified
 * (`trigger.failed`, src/shared/notification.ts); a notification that fails never fails the run.
 */
import { z } from "zod";
import { launchMission, launchTask, LaunchRefusedError } from "../launch.ts";
import { notifyUser } from "../user/notify.ts";
import { missionRequestSchema } from "../../shared/mission-plan.ts";
import type { NewNotification } from "../../shared/notification.ts";
import { taskRequestSchema } from "../../shared/task-spec.ts";
import type { TriggerRun } from "../../shared/trigger.ts";
import { fillTemplate } from "./trigger-rules.ts";
import { claimDue, finishRun } from "./trigger-runs.ts";
import type { TriggerRecord } from "./triggers.ts";

/** What a firing needs from its project actor. */
export interface FireContext {
  env: Env;
  sql: SqlStorage;
  projectId: string;
}

/** How a start ended, before it is stored. */
type Ending = { outcome: "started"; taskId: string | null; missionId: string | null } | { outcome: "refused" | "failed"; message: string };

/**
 * Runs `trigger`'s firing recorded as `run` (outcome `started`, nothing started yet) with
 * `payload` (a webhook's body as text; "" for cron) and returns the run as it ended.
 */
export async function fireTrigger(ctx: FireContext, trigger: TriggerRecord, run: TriggerRun, payload: string): Promise<TriggerRun> {
  const ending = await start(ctx, trigger, payload);
  const ended =
    finishRun(ctx.sql, run.id, ending.outcome === "started" ? { outcome: "started", taskId: ending.taskId, missionId: ending.missionId } : { outcome: ending.outcome, message: ending.message }) ??
    run;
  if (ending.outcome !== "started") {
    console.warn(`trigger ${trigger.id} run ${run.id}: ${ending.outcome}: ${ending.message}`);
    await notifyFailure(ctx, trigger, ended, ending.message);
  }
  return ended;
}

/** Starts the trigger's work as `trigger.runsAs`; never throws. */
async function start(ctx: FireContext, trigger: TriggerRecord, payload: string): Promise<Ending> {
  try {
    if (!(await mayWrite(ctx.env, ctx.projectId, trigger.runsAs))) {
      return { outcome: "refused", message: `${trigger.runsAs}, whom the trigger runs as, is no longer an active member of this project who may write` };
    }
    const filled = fillTemplate(trigger.template, payload);
    const launch = { env: ctx.env, projectId: ctx.projectId, userId: trigger.runsAs };
    if (filled.task) {
      const request = taskRequestSchema.safeParse(filled.task);
      if (!request.success) return { outcome: "refused", message: `the task with the payload put in is not valid: ${z.prettifyError(request.error)}` };
      const view = await launchTask(launch, request.data);
      return { outcome: "started", taskId: view.id, missionId: null };
    }
    const request = missionRequestSchema.safeParse(filled.mission);
    if (!request.success) return { outcome: "refused", message: `the mission with the payload put in is not valid: ${z.prettifyError(request.error)}` };
    const view = await launchMission(launch, request.data);
    return { outcome: "started", taskId: null, missionId: view.id };
  } catch (error) {
    if (error instanceof LaunchRefusedError) return { outcome: "refused", message: `${error.code}: ${error.message}` };
    return { outcome: "failed", message: `could not start: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Whether `userId` is an active account and an owner or member (not a viewer) of `projectId`, read from D1 now. */
async function mayWrite(env: Env, projectId: string, userId: string): Promise<boolean> {
  const row = await env.DB.prepare(`SELECT u.status AS status, m.role AS role FROM users u JOIN project_members m ON m.user_id = u.id AND m.project_id = ? WHERE u.id = ?`)
    .bind(projectId, userId)
    .first<{ status: string; role: string }>();
  return row !== null && row.status === "active" && (row.role === "owner" || row.role === "member");
}

/** Tells the person the trigger runs as that a run was refused or failed (`trigger.failed`, once per run); a failure to notify is logged only. */
async function notifyFailure(ctx: FireContext, trigger: TriggerRecord, run: TriggerRun, message: string): Promise<void> {
  const notification: NewNotification = {
    kind: "trigger.failed",
    title: `Trigger "${trigger.name}" did not start its work`.slice(0, 200),
    body: `Run ${run.id} was ${run.outcome}: ${message}`.slice(0, 2000),
    link: `/projects/${ctx.projectId}`,
    projectId: ctx.projectId,
    subjectId: run.id,
    dedupeKey: `trigger.failed:${run.id}`,
  };
  await notifyUser(ctx.env, trigger.runsAs, notification);
}

/**
 * The cron firing of trigger `trigger` due at `dueMs` (epoch ms; the SDK schedule's time): skipped
 * (null) when the trigger is no longer an enabled cron trigger or that due time was already
 * claimed (a retried alarm, a restart); otherwise its run is recorded, then the work started.
 * Returns the run, or null when nothing fired.
 */
export async function fireCronDue(ctx: FireContext, storage: DurableObjectStorage, trigger: TriggerRecord | null, dueMs: number): Promise<TriggerRun | null> {
  if (!trigger || trigger.kind !== "cron" || !trigger.enabled) return null;
  const run = claimDue(storage, trigger.id, dueMs);
  if (!run) return null;
  return fireTrigger(ctx, trigger, run, "");
}
