/**
 * Pure workspace path normalization, shared by every adapter: maps a tool's path to a
 * workspace-relative POSIX path, or refuses it. (Symlink checks need the file system and
 * live in each adapter.)
 */
import { WorkspaceError } from "./workspace.ts";

/** Where the workspace appears inside the sandbox. */
export const WORKSPACE_MOUNT = "/workspace";

/**
 * Returns `userPath` relative to the workspace root ("" for the root itself).
 * Accepts relative paths and paths under `/workspace`.
 * @throws WorkspaceError `path_outside_workspace` for other absolute paths or `..` escapes,
 *   `invalid_input` for NUL bytes.
 */
export function normalizeWorkspacePath(userPath: string): string {
  if (userPath.includes("\0")) throw new WorkspaceError("invalid_input", "path contains a NUL byte");
  let path = userPath.replace(/\\/g, "/");
  if (path.startsWith("/")) {
    if (path !== WORKSPACE_MOUNT && !path.startsWith(`${WORKSPACE_MOUNT}/`)) {
      throw new WorkspaceError("path_outside_workspace", `"${userPath}" is outside the workspace`);
    }
    path = path.slice(WORKSPACE_MOUNT.length);
  }
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) throw new WorkspaceError("path_outside_workspace", `"${userPath}" is outside the workspace`);
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.join("/");
}
