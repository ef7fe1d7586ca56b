/**
 * Pure rules of a task's escalation to a VM (issue 16): whether a request may go ahead, which
 * sandbox limit a failed command hit (automatic escalation), and what a VM costs. No storage,
 * no actor: unit-tested in test/node/escalation-rules.test.ts.
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
 * `maxConcurrent` VMs, the needs ask for network the policy does not give (`limits.vm.network`),
 * or the needs exceed the policy's server type.
 */
export function vmRefusal(input: EscalationInput): string | null {
  const { policy, needs } = input;
  if (input.runtime === "sandbox") return "this task's runtime is \"sandbox\": it may not move to a VM";
  if (!policy.allowed) return "this project does not allow VMs (limits.vm.allowed is false; a project owner can allow them)";
  if (needs.network === true && !policy.network) return "this project does not allow network on VMs (limits.vm.network is false)";
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

/** The sandbox limits a VM lifts (issue 16): its time ceiling, its memory ceiling, no Docker, no network. */
export type SandboxLimit = "time" | "memory" | "docker" | "network";

/** A sandbox limit a command hit: which, why (in words for the agent and the transcript), and what the VM must have. */
export interface SandboxLimitHit {
  limit: SandboxLimit;
  reason: string;
  needs: VmNeeds;
}

/** What {@link sandboxLimitHit} looks at: a finished `bash` call in the sandbox. */
export interface SandboxCommandResult {
  /** The command's exit code (124 when the runner killed it at its wall-clock limit; 128 + n for signal n). */
  exitCode: number | null;
  /** Its output as the tool returned it (workspace-tools.ts appends `[timed out after N ms]` to a timed-out one). */
  output: string;
  /** Whether the call set its own `timeout_ms` (then a time-out is the agent's choice, not the sandbox's ceiling). */
  ownTimeout: boolean;
  /** The project's `limits.vm.network`: whether a VM would give the network. */
  networkOnVm: boolean;
}

/** Exit code of a command the runner killed at its wall-clock limit (runner/sandbox.ts TIMEOUT_EXIT_CODE, as timeout(1)). */
const TIMEOUT_EXIT_CODE = 124;
/** 128 + SIGKILL: how a process the kernel killed for memory ends. */
const SIGKILL_EXIT_CODE = 137;
/** Messages of programs that ran out of address space (prlimit --as: the sandbox's 4 GiB ceiling). */
const MEMORY_PATTERNS = [
  /cannot allocate memory/i,
  /out of memory/i,
  /\bMemoryError\b/,
  /std::bad_alloc/,
  /JavaScript heap out of memory/i,
  /memory allocation of \d+ bytes failed/i,
  /fatal error: runtime: out of memory/i,
];
/** bash's answers when `docker` (or `docker-compose`, `podman`) does not exist. */
const DOCKER_PATTERN = /(^|\n|: )(docker|docker-compose|podman): (command )?not found/;
/** Messages of programs that found no network (DNS or routing; the sandbox has no network namespace to the outside). */
const NETWORK_PATTERNS = [
  /could not resolve host/i,
  /temporary failure in name resolution/i,
  /name or service not known/i,
  /getaddrinfo (ENOTFOUND|EAI_AGAIN)/i,
  /network is unreachable/i,
  /failed to establish a new connection/i,
  /no address associated with hostname/i,
];

/**
 * Which sandbox limit a failed `bash` command hit, or null (it succeeded, or failed on its own
 * terms). Checked in order: time (exit 124 with the runner's time-out note, when the call did not
 * set its own `timeout_ms`: the sandbox's default ceiling cut it), Docker missing (exit 127 with
 * bash's "docker: command not found"), memory (a program's out-of-memory message, or exit 137),
 * network (a resolver or routing error, only when the project gives VMs the network:
 * `networkOnVm`). Pattern lists above; a command on a VM is never checked (the caller's rule).
 */
export function sandboxLimitHit(result: SandboxCommandResult): SandboxLimitHit | null {
  const { exitCode, output } = result;
  if (exitCode === null || exitCode === 0) return null;
  if (exitCode === TIMEOUT_EXIT_CODE && /\[timed out after \d+ ms\]\s*$/.test(output) && !result.ownTimeout) {
    return { limit: "time", reason: "the command hit the sandbox's time ceiling", needs: {} };
  }
  if (exitCode === 127 && DOCKER_PATTERN.test(output)) return { limit: "docker", reason: "the command needs Docker, which the sandbox does not have", needs: { docker: true } };
  if (exitCode === SIGKILL_EXIT_CODE || MEMORY_PATTERNS.some((p) => p.test(output))) {
    return { limit: "memory", reason: "the command ran out of the sandbox's memory (4 GiB of address space)", needs: {} };
  }
  if (result.networkOnVm && NETWORK_PATTERNS.some((p) => p.test(output))) {
    return { limit: "network", reason: "the command needs the network, which the sandbox does not have", needs: { network: true } };
  }
  return null;
}
