/**
 * Reading a file of a task's workspace for the API, with every expected failure as a result
 * code instead of an exception.
 */
import { openWorkspace } from "../../sandbox/open.ts";
import type { VmTunnel } from "../../sandbox/vm-workspace.ts";
import { WorkspaceError } from "../../sandbox/workspace.ts";

/** Outcome of reading a file of the task's workspace. */
export type TaskFileResult =
  | { ok: true; content: string }
  | { ok: false; code: "not_found" | "path_outside_workspace" | "invalid_input" | "unavailable"; message: string };

/**
 * Reads `path` (workspace-relative) from task `taskId`'s workspace. A missing file, a directory
 * and a workspace not made yet are `not_found`; a path outside it or invalid is reported as
 * such; anything else is `unavailable`. Never throws.
 */
export async function readTaskFile(env: Env, taskId: string, path: string, vm: VmTunnel | null = null): Promise<TaskFileResult> {
  try {
    return { ok: true, content: await openWorkspace(env, taskId, vm).read(path) };
  } catch (error) {
    if (error instanceof WorkspaceError) {
      if (error.code === "not_found" || error.code === "is_directory") return { ok: false, code: "not_found", message: error.message };
      if (error.code === "path_outside_workspace" || error.code === "invalid_input") return { ok: false, code: error.code, message: error.message };
      if (error.code === "workspace_unavailable") return { ok: false, code: "not_found", message: "the task has no workspace yet" };
    }
    return { ok: false, code: "unavailable", message: error instanceof Error ? error.message : String(error) };
  }
}

/** Outcome of diffing the task's workspace. */
export type TaskDiffResult =
  | { ok: true; diff: string; changedFiles: string[] }
  | { ok: false; code: "no_workspace" | "unavailable"; message: string };

/**
 * The unified diff of task `taskId`'s workspace against the files it was seeded with
 * (`Workspace.diff()`: git's format, `changedFiles` sorted and workspace-relative). A workspace
 * that does not exist (never made, or removed) is `no_workspace`; any other failure (the sandbox
 * unreachable) is `unavailable`. Never throws.
 */
export async function diffTaskWorkspace(env: Env, taskId: string, vm: VmTunnel | null = null): Promise<TaskDiffResult> {
  try {
    const { diff, changedFiles } = await openWorkspace(env, taskId, vm).diff();
    return { ok: true, diff, changedFiles };
  } catch (error) {
    if (error instanceof WorkspaceError && (error.code === "workspace_unavailable" || error.code === "not_found")) {
      return { ok: false, code: "no_workspace", message: "the task has no workspace (not made yet, or removed)" };
    }
    return { ok: false, code: "unavailable", message: error instanceof Error ? error.message : String(error) };
  }
}
