/**
 * Chooses the Workspace adapter for a task: the local runner when `SAM_RUNNER_URL` is set
 * (local mode, tests), otherwise the Cloudflare Sandbox container (deployed).
 */
import { CloudflareSandboxWorkspace } from "./cloudflare-sandbox.ts";
import { LocalRunnerWorkspace } from "./local-runner.ts";
import { vmWorkspace, type VmTunnel } from "./vm-workspace.ts";
import type { RepositoryWorkspace } from "./repository.ts";
import type { Workspace } from "./workspace.ts";

/** A workspace that can also be created (seeded, or cloned from a repository: `RepositoryWorkspace`) and destroyed. */
export interface LeasedWorkspace extends Workspace, RepositoryWorkspace {
  /** Creates the workspace with its seed files; idempotent. */
  create(files: Record<string, string>): Promise<boolean>;
  destroy(): Promise<void>;
}

/**
 * Returns the workspace adapter for `workspaceId` (a task id). `vm`: the tunnel of the VM the
 * task escalated to (issue 16; the task actor knows) — its workspace is then on that VM.
 */
export function openWorkspace(env: Env, workspaceId: string, vm?: VmTunnel | null): LeasedWorkspace {
  if (vm) return vmWorkspace(vm, workspaceId);
  if (env.SAM_RUNNER_URL) {
    return new LocalRunnerWorkspace({ url: env.SAM_RUNNER_URL, secret: env.SAM_RUNNER_SECRET ?? "" }, workspaceId);
  }
  return new CloudflareSandboxWorkspace(env.Sandbox, workspaceId);
}
