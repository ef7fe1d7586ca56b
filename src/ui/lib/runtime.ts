/**
 * How the task page words where a task runs and its moves to a VM (issue 16, "Escalation to a
 * VM"): pure functions over the view's `runtime` and the transcript's `escalation` events,
 * unit-tested in test/node/ui-runtime.test.ts.
 */
import type { TaskRuntimeView, TranscriptEvent } from "../../shared/protocol.ts";
import { formatUsd } from "./format.ts";

/** A transcript `escalation` event. */
export type EscalationEvent = Extract<TranscriptEvent, { type: "escalation" }>;

/** What an escalation phase is called on the page (the phases of shared/protocol.ts). */
export const ESCALATION_PHASE_LABELS: Readonly<Record<EscalationEvent["phase"], string>> = {
  requested: "VM requested",
  provisioning: "Provisioning a VM",
  ready: "VM ready",
  moved: "Workspace moved to the VM",
  failed: "Escalation failed",
  released: "VM released",
};

/**
 * Takes the view's `runtime` (absent in views stored before it existed: the sandbox); returns
 * the tier's name (`Sandbox` or `VM`) and, for a VM, its provider and server type as one
 * detail (`hetzner · cx22`), or null when there is none. A sandbox with a VM on its way (the
 * view names a provider while the VM is provisioned and its runner calls back) says so:
 * `VM on its way: hetzner · cx22`.
 */
export function runtimeFacts(runtime: TaskRuntimeView | undefined): { tier: string; detail: string | null } {
  const onVm = runtime?.tier === "vm";
  const parts = [runtime?.provider, runtime?.serverType].filter((p): p is string => Boolean(p));
  const detail = parts.length > 0 ? parts.join(" · ") : null;
  return { tier: onVm ? "VM" : "Sandbox", detail: detail && !onVm ? `VM on its way: ${detail}` : detail };
}

/**
 * The VM's cost to show (USD, formatted like other costs), or null when the task never had one
 * (a sandbox with no provider and nothing spent).
 */
export function runtimeCost(runtime: TaskRuntimeView | undefined): string | null {
  if (!runtime) return null;
  if (runtime.tier === "sandbox" && !runtime.provider && runtime.costUsd === 0) return null;
  return formatUsd(runtime.costUsd);
}

/** The details of an escalation event after its phase: provider, server type, server id and (with `released`) its cost, joined by ` · `; empty when none. */
export function escalationDetail(event: EscalationEvent): string {
  const parts: string[] = [];
  if (event.provider) parts.push(event.provider);
  if (event.serverType) parts.push(event.serverType);
  if (event.serverId) parts.push(`server ${event.serverId}`);
  if (event.costUsd !== undefined) parts.push(`cost ${formatUsd(event.costUsd)}`);
  return parts.join(" · ");
}
