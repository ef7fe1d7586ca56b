/**
 * The project's VM reconciliation (issue 16, "no orphaned VMs after crashes"). Runs on the
 * project actor's alarm (`ProjectAgent.reconcileVms`, every {@link VM_RECONCILE_SECONDS} s via
 * the Agents SDK's `scheduleEvery`), armed by a task's escalation as soon as its server exists
 * (`ProjectAgent.watchVms`) and disarmed when the project holds no server any more. Each run
 * lists the servers labelled `sam=1,project=<id>` and, for each, asks its task's actor (the
 * `task` label) and applies `reconcileAction` (src/sandbox/vm/reconcile.ts): a server whose task
 * ended or is unknown is deleted here; one older than `limits.vm.maxHours` whose task is live is
 * handed to the task (`TaskAgent.vmExpired`: it deletes the VM, records its cost and fails).
 */
import { getAgentByName } from "agents";
import { taskIdSchema } from "../../ids.ts";
import { vmProviderFromEnv } from "../../sandbox/vm/provider.ts";
import { reconcileAction, type ReconcileAction } from "../../sandbox/vm/reconcile.ts";
import type { VmPolicy } from "../../shared/limits.ts";

/** Seconds between two reconciliations of a project that holds VMs (so `maxHours` is enforced within 5 minutes). */
export const VM_RECONCILE_SECONDS = 300;

/** What one run did: each server seen with its task and the action taken; `remaining`: servers left (0: the alarm may stop). */
export interface VmReconcileReport {
  servers: { serverId: string; taskId: string | null; action: ReconcileAction }[];
  remaining: number;
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
    const taskId = taskIdSchema.safeParse(server.labels.task ?? "");
    const view = taskId.success ? await (await getAgentByName(env.TaskAgent, taskId.data)).getView() : null;
    const action = reconcileAction(server, view, policy.maxHours, nowMs);
    report.servers.push({ serverId: server.id, taskId: taskId.success ? taskId.data : null, action });
    try {
      if (action === "delete") {
        await provider.delete(server.id);
        console.log(`project ${projectId}: deleted VM ${server.id} (task ${server.labels.task ?? "?"} ${view ? `is ${view.status}` : "is unknown"})`);
      } else if (action === "expire" && taskId.success) {
        await (await getAgentByName(env.TaskAgent, taskId.data)).vmExpired(policy.maxHours);
      } else {
        report.remaining++;
      }
    } catch (error) {
      report.remaining++;
      console.error(`project ${projectId}: reconciling VM ${server.id} failed: ${String(error)}`);
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
