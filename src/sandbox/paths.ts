/**
 * Pure workspace path normalization, shared by every adapter: maps a tool's path to
 * workspace-relative components, or refuses it. (Symlink checks need the file system and live
 * in each adapter: `runner/paths.ts` locally, `realpath` in the container.)
 */
import { WorkspaceError } from "./workspace.ts";

/** Where the workspace appears inside the sandbox. */
export const WORKSPACE_MOUNT = "/workspace";

function outside(userPath: string, why: string): WorkspaceError {
  return new WorkspaceError("path_outside_workspace", `path ${JSON.stringify(userPath)} ${why}`);
}

/**
 * Maps a user path to its workspace-relative components without touching the disk.
 * Takes a relative path or one under `/workspace` (normalised as POSIX does, so `/..` is `/`);
 * returns the components (empty for the root).
 * @throws WorkspaceError `invalid_input` for NUL bytes; `path_outside_workspace` for other
 *   absolute paths and for `..` that climbs above the workspace.
 */
export function workspacePathComponents(userPath: string): string[] {
  if (userPath.includes("\0")) throw new WorkspaceError("invalid_input", "path contains a NUL byte");
  const absolute = userPath.startsWith("/");
  const parts: string[] = [];
  for (const part of userPath.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.length > 0) parts.pop();
    else if (!absolute) throw outside(userPath, "escapes the workspace with '..'");
  }
  if (!absolute) return parts;
  if (parts[0] !== WORKSPACE_MOUNT.slice(1)) throw outside(userPath, `is absolute and not under ${WORKSPACE_MOUNT}`);
  return parts.slice(1);
}

/** `userPath` as a workspace-relative path ("" for the root); throws as {@link workspacePathComponents}. */
export function normalizeWorkspacePath(userPath: string): string {
  return workspacePathComponents(userPath).join("/");
}
