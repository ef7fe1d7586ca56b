/**
 * Workspace path resolution for the runner's file operations (read, write, list, search).
 *
 * Two layers keep every file operation inside its workspace:
 *  1. {@link resolveInWorkspace} maps a user path to the real, symlink-free location inside
 *     the workspace root, refusing `..` escapes, foreign absolute paths and symlinks whose
 *     target leaves the root.
 *  2. {@link openDirBeneath} / {@link openBeneath} then open that location one component at
 *     a time with O_NOFOLLOW through `/proc/self/fd/<dirfd>/<name>` (an `openat` stand-in),
 *     so a sandboxed command that swaps a directory for a symlink between (1) and the open
 *     makes the operation fail instead of escaping.
 */
import { constants as fsc, promises as fsp, type Stats } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { WORKSPACE_MOUNT as SANDBOX_WORKSPACE, workspacePathComponents } from "../paths.ts";
import { WorkspaceError } from "../workspace.ts";

/** Symlink hops followed before giving up (as the kernel's ELOOP limit). */
const MAX_SYMLINK_HOPS = 40;

function outside(userPath: string, why: string): WorkspaceError {
  return new WorkspaceError("path_outside_workspace", `path ${JSON.stringify(userPath)} ${why}`);
}

function isWithin(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith("/") ? root : root + "/");
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string"
    ? err.code
    : undefined;
}

/**
 * Resolves `userPath` to the real location inside the workspace `root` (an absolute host
 * directory). Accepts relative paths and `/workspace/...`; follows symlinks only while they
 * stay inside the root (dangling ones are resolved lexically). Returns the absolute real path
 * (under `fs.realpath(root)`), which may not exist yet. Throws WorkspaceError
 * `path_outside_workspace` when the path or any symlink on it leaves the root, `invalid_input`
 * for malformed paths; fs errors on `root` itself propagate.
 */
export async function resolveInWorkspace(root: string, userPath: string): Promise<string> {
  const realRoot = await fsp.realpath(root);
  return resolveComponents(realRoot, realRoot, workspacePathComponents(userPath), userPath, 0);
}

async function resolveComponents(
  realRoot: string,
  start: string,
  parts: readonly string[],
  userPath: string,
  hops: number,
): Promise<string> {
  let current = start;
  for (let i = 0; i < parts.length; i++) {
    const next = path.join(current, parts[i]);
    let isLink = false;
    try {
      isLink = (await fsp.lstat(next)).isSymbolicLink();
    } catch (err) {
      const code = errnoCode(err);
      // The rest does not exist yet (or a file sits where a directory should): nothing more
      // can redirect it, and the later open reports not_found.
      if (code === "ENOENT" || code === "ENOTDIR") return path.join(next, ...parts.slice(i + 1));
      if (code === "ENAMETOOLONG") throw new WorkspaceError("invalid_input", "path too long");
      throw err;
    }
    if (!isLink) {
      current = next;
      continue;
    }
    if (hops >= MAX_SYMLINK_HOPS) throw outside(userPath, "has too many levels of symlinks");
    const target = await fsp.readlink(next);
    // `current` is symlink-free, so lexical normalisation of the target stays on real paths.
    const lexical = hostTarget(realRoot, current, target);
    if (!isWithin(realRoot, lexical)) throw outside(userPath, "follows a symlink out of the workspace");
    const targetParts = path.relative(realRoot, lexical).split(path.sep).filter((p) => p !== "");
    current = await resolveComponents(realRoot, realRoot, targetParts, userPath, hops + 1);
  }
  if (!isWithin(realRoot, current)) throw outside(userPath, "leaves the workspace");
  return current;
}

/** Host path a symlink target names; `/workspace/...` targets (written inside the sandbox) map to the root. */
function hostTarget(realRoot: string, linkDir: string, target: string): string {
  const norm = path.posix.normalize(target);
  if (norm === SANDBOX_WORKSPACE || norm.startsWith(SANDBOX_WORKSPACE + "/")) {
    return path.join(realRoot, norm.slice(SANDBOX_WORKSPACE.length));
  }
  return path.resolve(linkDir, target);
}

/**
 * Turns a path returned by {@link resolveInWorkspace} into workspace-relative components.
 * Takes the real root and the resolved absolute path; throws `path_outside_workspace` if the
 * path is not under the root.
 */
export function componentsUnder(realRoot: string, resolved: string): string[] {
  if (!isWithin(realRoot, resolved)) throw outside(resolved, "is not under the workspace");
  return path.relative(realRoot, resolved).split(path.sep).filter((p) => p !== "");
}

/** Path that reopens `name` relative to the directory open as `fd`, like openat(2). */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

const DIR_FLAGS = fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW;

/**
 * Opens the directory at `parts` beneath `realRoot` without following any symlink on the way.
 * With `create`, missing directories are made (mode 0755). Returns a FileHandle the caller
 * must close. Throws WorkspaceError `path_outside_workspace` if a component is (now) a
 * symlink, `not_found` if one is missing (without `create`) or not a directory.
 */
export async function openDirBeneath(
  realRoot: string,
  parts: readonly string[],
  create = false,
): Promise<FileHandle> {
  let dir = await fsp.open(realRoot, DIR_FLAGS);
  try {
    for (const part of parts) {
      const next = await openChildDir(dir, part, create);
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (err) {
    await dir.close().catch(() => undefined);
    throw mapFsError(err, parts.join("/"));
  }
}

async function openChildDir(dir: FileHandle, name: string, create: boolean): Promise<FileHandle> {
  const child = fdPath(dir.fd, name);
  try {
    return await fsp.open(child, DIR_FLAGS);
  } catch (err) {
    if (!create || errnoCode(err) !== "ENOENT") throw err;
  }
  // mkdir never follows a symlink in its last component, so this cannot create outside.
  await fsp.mkdir(child, { mode: 0o755 }).catch((err: unknown) => {
    if (errnoCode(err) !== "EEXIST") throw err;
  });
  return fsp.open(child, DIR_FLAGS);
}

/**
 * Opens the file at `parts` beneath `realRoot` with `flags` (O_NOFOLLOW and O_NONBLOCK are
 * always added so symlinks and FIFOs cannot redirect or block). With `createParents`, missing
 * parent directories are made. Returns a FileHandle the caller must close. Throws WorkspaceError
 * (`path_outside_workspace`, `not_found`, `is_directory`, `invalid_input`).
 */
export async function openBeneath(
  realRoot: string,
  parts: readonly string[],
  flags: number,
  options: { mode?: number; createParents?: boolean } = {},
): Promise<FileHandle> {
  if (parts.length === 0) throw new WorkspaceError("is_directory", "the workspace root is a directory");
  const dir = await openDirBeneath(realRoot, parts.slice(0, -1), options.createParents ?? false);
  try {
    return await fsp.open(
      fdPath(dir.fd, parts[parts.length - 1]),
      flags | fsc.O_NOFOLLOW | fsc.O_NONBLOCK,
      options.mode ?? 0o644,
    );
  } catch (err) {
    throw mapFsError(err, parts.join("/"));
  } finally {
    await dir.close();
  }
}

/**
 * lstat of the entry at `parts` beneath `realRoot`, with no symlink followed on the way.
 * Returns the Stats (of the root itself for no parts). Throws WorkspaceError like
 * {@link openDirBeneath} (`not_found`, `path_outside_workspace`).
 */
export async function lstatBeneath(realRoot: string, parts: readonly string[]): Promise<Stats> {
  if (parts.length === 0) return fsp.lstat(realRoot);
  const dir = await openDirBeneath(realRoot, parts.slice(0, -1));
  try {
    return await fsp.lstat(fdPath(dir.fd, parts[parts.length - 1]));
  } catch (err) {
    throw mapFsError(err, parts.join("/"));
  } finally {
    await dir.close();
  }
}

/**
 * Converts an fs error from a workspace operation on `rel` into a WorkspaceError; returns other
 * values (already WorkspaceErrors, unknown errors) unchanged.
 */
export function mapFsError(err: unknown, rel: string): unknown {
  if (err instanceof WorkspaceError) return err;
  const shown = JSON.stringify(rel);
  switch (errnoCode(err)) {
    case "ENOENT":
    case "ENOTDIR":
      return new WorkspaceError("not_found", `no such file or directory: ${shown}`);
    case "EISDIR":
      return new WorkspaceError("is_directory", `is a directory: ${shown}`);
    case "ELOOP":
      return new WorkspaceError("path_outside_workspace", `path ${shown} is a symlink; refused`);
    case "ENAMETOOLONG":
      return new WorkspaceError("invalid_input", `path too long: ${shown}`);
    case "ENXIO":
    case "EEXIST":
      return new WorkspaceError("invalid_input", `not a regular file: ${shown}`);
    default:
      return err;
  }
}
