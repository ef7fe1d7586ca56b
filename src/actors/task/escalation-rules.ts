/**
 * Pure rules of a task's escalation to a VM (issue 16): whether a request may go ahead, and
 * what a VM costs. No storage, no actor: unit-tested in test/node/escalation-rules.test.ts.
 */
import type { VmPolicy } from "../../shared/limits.ts";
import type { TaskRuntime } from "../../shared/task-spec.ts";

/** What `request_vm` asks for: CPUs, memory and disk in GB, Docker, network. */
export interface VmNeeds {
  cpus?: number;
  memoryGb?: number;
  diskGb?: number;
  docker?: boolean;
  network?: boolean;
}

/** A server type's size (Hetzner's `cores`, `memory` GB, `disk` GB). */
export interface ServerTypeSize {
  cores: number;
  memoryGb: number;
  diskGb: number;
}

/** Sizes of Hetzner's shared-vCPU server types (cx22..cx52), from Hetzner's list. Unknown types are not checked. */
export const SERVER_TYPE_SIZES: Readonly<Record<string, ServerTypeSize>> = {
  cx22: { cores: 2, memoryGb: 4, diskGb: 40 },
  cx32: { cores: 4, memoryGb: 8, diskGb: 80 },
  cx42: { cores: 8, memoryGb: 16, diskGb: 160 },
  cx52: { cores: 16, memoryGb: 32, diskGb: 320 },
};

/** What the decision looks at: the task's runtime, the project's VM policy, VMs the project holds now (other tasks'), the needs. */
export interface EscalationInput {
  runtime: TaskRuntime;
  policy: VmPolicy;
  activeVms: number;
  needs: VmNeeds;
}

/**
 * Why a task may not move to a VM, in words for the agent, or null when it may. Refused when
 * the project does not allow VMs, the task's runtime is `sandbox`, the project already holds
 * `maxConcurrent` VMs, or the needs exceed the policy's server type.
 */
export function vmRefusal(input: EscalationInput): string | null {
  const { policy, needs } = input;
  if (input.runtime === "sandbox") return "this task's runtime is \"sandbox\": it may not move to a VM";
  if (!policy.allowed) return "this project does not allow VMs (limits.vm.allowed is false; a project owner can allow them)";
  if (input.activeVms >= policy.maxConcurrent) return `this project already holds ${input.activeVms} VM(s), its limit (limits.vm.maxConcurrent = ${policy.maxConcurrent})`;
  const size = SERVER_TYPE_SIZES[policy.serverType];
  if (size) {
    const over: string[] = [];
    if (needs.cpus !== undefined && needs.cpus > size.cores) over.push(`${needs.cpus} CPUs (it has ${size.cores})`);
    if (needs.memoryGb !== undefined && needs.memoryGb > size.memoryGb) over.push(`${needs.memoryGb} GB of memory (it has ${size.memoryGb})`);
    if (needs.diskGb !== undefined && needs.diskGb > size.diskGb) over.push(`${needs.diskGb} GB of disk (it has ${size.diskGb})`);
    if (over.length > 0) return `the project's VM server type ${policy.serverType} is too small: ${over.join(", ")}`;
  }
  return null;
}

/** The cost of a VM held from `fromMs` to `toMs` (epoch ms) at `hourlyUsd`: Hetzner bills started hours, so at least one hour is charged. USD. */
export function vmCostUsd(fromMs: number, toMs: number, hourlyUsd: number): number {
  const hours = Math.max(1, Math.ceil(Math.max(0, toMs - fromMs) / 3_600_000));
  return Math.round(hours * hourlyUsd * 1e6) / 1e6;
}
