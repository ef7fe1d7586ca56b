/**
 * The project's VM reconciliation (issue 16, "no orphaned VMs after crashes"). Runs on the
 * project actor's alarm (`ProjectAgent.reconcileVms`, every {@link VM_RECONCILE_SECONDS} s via
 * the Agents SDK's `scheduleEvery`), armed by a task's escalation as soon as its server exists
 * (`ProjectAgent.watchVms`) and disarmed when the project holds no server any more. Each run
 * lists the servers labelled `sam=1,project=<id>` and, for each, asks its task's actor (the
 * `task` label) and applies `reconcileAction` (src/sandbox/vm/reconcile.ts): a server whose task
 * ended or is unknown is deleted here; one older than `limits.vm.maxHours` whose task is live is
 * handed to the task (`TaskAgent.vmExpired`: it deletes the VM, records its cost and fails).
 *
 * A backstop sweeps every SAM server on the Worker's cron (`sweepAllVms`, every
 * {@link VM_SWEEP_CRON}): a project whose alarm was never armed or was lost (a crash between a
 * server's creation and `watchVms`) is reconciled (which arms its alarm again while servers
 * remain), and a server that names no project is judged by the same rule with the default policy.
 */
import { getAgentByName } from "agents";
import { projectIdSchema, taskIdSchema } from "../../ids.ts";
import { vmProviderFromEnv, type VmProvider, type VmServer } from "../../sandbox/vm/provider.ts";
import { reconcileAction, type ReconcileAction } from "../../sandbox/vm/reconcile.ts";
import { vmPolicySchema, type VmPolicy } from "../../shared/limits.ts";

/** Seconds between two reconciliations of a project that holds VMs (so `maxHours` is enforced within 5 minutes). */
export const VM_RECONCILE_SECONDS = 300;

/** The Worker's cron schedule of the global sweep (wrangler.jsonc `triggers.crons`): every 15 minutes. */
export const VM_SWEEP_CRON = "*/15 * * * *";

/** One server seen by a reconciliation: its provider id, its task (null: the label is not a task id) and the action taken. */
export interface ReconciledServer {
  serverId: string;
  taskId: string | null;
  action: ReconcileAction;
}

/** What one run did: each server seen with its task and the action taken; `remaining`: servers left (0: the alarm may stop). */
export interface VmReconcileReport {
  servers: ReconciledServer[];
  remaining: number;
}

/** What a sweep did: the projects it reconciled (by their own policy), and the servers naming no project, judged here. */
export interface VmSweepReport {
  projects: string[];
  unowned: ReconciledServer[];
}

/**
 * Reconciles the servers of project `projectId` under `policy` (its `limits.vm`). Returns the
 * report; with no provider configured, an empty one. @throws VmProviderError when the provider's
 * list fails (the alarm runs again at its next interval); a failed delete is logged and counted as
 * remaining.
 */
export async function reconcileProjectVms(env: Env, projectId: string, policy: VmPolicy, nowMs = Date.now()): Promise<VmReconcileReport> {
  const provider = vmProviderFromEnv(env);
  if (!provider) return { servers: [], remaining: 0 };
  const report: VmReconcileReport = { servers: [], remaining: 0 };
  for (const server of await provider.list(`sam=1,project=${projectId}`)) {
    const { seen, remains } = await reconcileServer(env, provider, server, policy.maxHours, nowMs, `project ${projectId}`);
    report.servers.push(seen);
    if (remains) report.remaining++;
  }
  return report;
}

/**
 * Applies `reconcileAction` to one server: asks its task's actor (the `task` label) for its view,
 * deletes the server when its task ended or is unknown, hands it to the task when older than
 * `maxHours` (hours). Returns what was seen and done, and whether the server remains (kept, or a
 * failed action: logged with `who`, never thrown).
 */
async function reconcileServer(env: Env, provider: VmProvider, server: VmServer, maxHours: number, nowMs: number, who: string): Promise<{ seen: ReconciledServer; remains: boolean }> {
  const taskId = taskIdSchema.safeParse(server.labels.task ?? "");
  const seen: ReconciledServer = { serverId: server.id, taskId: taskId.success ? taskId.data : null, action: "keep" };
  try {
    const view = taskId.success ? await (await getAgentByName(env.TaskAgent, taskId.data)).getView() : null;
    seen.action = reconcileAction(server, view, maxHours, nowMs);
    if (seen.action === "delete") {
      await provider.delete(server.id);
      console.log(`${who}: deleted VM ${server.id} (task ${server.labels.task ?? "?"} ${view ? `is ${view.status}` : "is unknown"})`);
      return { seen, remains: false };
    }
    if (seen.action === "expire" && taskId.success) {
      await (await getAgentByName(env.TaskAgent, taskId.data)).vmExpired(maxHours);
      return { seen, remains: false };
    }
    return { seen, remains: true };
  } catch (error) {
    console.error(`${who}: reconciling VM ${server.id} failed: ${String(error)}`);
    return { seen, remains: true };
  }
}

/**
 * The global sweep (the module's comment): lists every server labelled `sam=1`, reconciles each
 * project named by a `project` label through its actor (`ProjectAgent.reconcileVms`: its own
 * policy, its alarm re-armed while servers remain), and judges a server naming no project with
 * the default policy's `maxHours`. A project whose reconciliation fails is logged and left to the
 * next sweep. Returns the report; with no provider configured, an empty one.
 * @throws VmProviderError when the provider's list fails (the next cron runs it again).
 */
export async function sweepAllVms(env: Env, nowMs = Date.now()): Promise<VmSweepReport> {
  const provider = vmProviderFromEnv(env);
  if (!provider) return { projects: [], unowned: [] };
  const report: VmSweepReport = { projects: [], unowned: [] };
  const defaultMaxHours = vmPolicySchema.parse({}).maxHours;
  for (const server of await provider.list("sam=1")) {
    const projectId = projectIdSchema.safeParse(server.labels.project ?? "");
    if (projectId.success) {
      if (!report.projects.includes(projectId.data)) report.projects.push(projectId.data);
      continue;
    }
    report.unowned.push((await reconcileServer(env, provider, server, defaultMaxHours, nowMs, "VM sweep")).seen);
  }
  for (const projectId of report.projects) {
    try {
      await (await getAgentByName(env.ProjectAgent, projectId)).reconcileVms();
    } catch (error) {
      console.error(`VM sweep: reconciling project ${projectId} failed: ${String(error)}`);
    }
  }
  return report;
}

/**
 * One run of the reconciliation alarm: {@link reconcileProjectVms}, its failure logged (not
 * thrown). Returns the report (null when listing failed) and whether the alarm must run again:
 * while servers remain, or after a failure.
 */
export async function reconcileOnAlarm(env: Env, projectId: string, policy: VmPolicy): Promise<{ report: VmReconcileReport | null; again: boolean }> {
  try {
    const report = await reconcileProjectVms(env, projectId, policy);
    return { report, again: report.remaining > 0 };
  } catch (error) {
    console.error(`project ${projectId}: the VM reconciliation failed: ${String(error)}`);
    return { report: null, again: true };
  }
}
