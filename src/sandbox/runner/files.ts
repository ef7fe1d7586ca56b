/**
 * File operations on a workspace's `files` directory, done in the runner (not in bubblewrap)
 * for speed. Every open goes through {@link openBeneath}/{@link openDirBeneath}, so symlinks
 * are never followed out of the workspace, even if a sandboxed command races the operation.
 */
import { constants as fsc, promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import type { ListEntry, ListResult } from "../workspace.ts";
import { WorkspaceError } from "../workspace.ts";
import {
  componentsUnder,
  fdPath,
  lstatBeneath,
  mapFsError,
  openBeneath,
  openDirBeneath,
  resolveInWorkspace,
} from "./paths.ts";

/** Largest file {@link readWorkspaceFile} returns, in bytes. */
export const READ_MAX_BYTES = 16 * 1024 * 1024;
/** Entries a listing returns at most. */
export const LIST_MAX_ENTRIES = 2000;
/** Directories whose contents listings, searches and diffs skip. */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([".git", "node_modules"]);
/** Directory depth below which walks do not descend (guards against pathological trees). */
const MAX_WALK_DEPTH = 64;

/** One entry met by {@link walkTree}. `rel` is workspace-relative with `/` separators. */
export interface WalkEntry {
  rel: string;
  type: "file" | "dir" | "symlink" | "other";
  /** Size in bytes from lstat (0 for directories). */
  size: number;
  /** Permission bits from lstat. */
  mode: number;
  /** Opens the entry (never following a symlink); valid only during the visit callback. */
  open(): Promise<FileHandle>;
  /** Reads a symlink's target; valid only during the visit callback. */
  readlink(): Promise<string>;
}

/** Resolved location of a user path: the real root and the components under it. */
export interface Located {
  realRoot: string;
  parts: string[];
  rel: string;
}

/**
 * Resolves `userPath` (default: the root) inside workspace `root`. Returns the real root and
 * the resolved components. Throws WorkspaceError `path_outside_workspace` / `invalid_input`.
 */
export async function locate(root: string, userPath = "."): Promise<Located> {
  const realRoot = await fsp.realpath(root);
  const parts = componentsUnder(realRoot, await resolveInWorkspace(realRoot, userPath));
  return { realRoot, parts, rel: parts.join("/") };
}

function typeOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): WalkEntry["type"] {
  if (st.isSymbolicLink()) return "symlink";
  if (st.isDirectory()) return "dir";
  return st.isFile() ? "file" : "other";
}

/**
 * Reads a regular file from an open handle. Takes the handle and a byte cap; returns the
 * bytes, or null when the handle is not a regular file or is larger than `maxBytes`.
 */
export async function readRegular(handle: FileHandle, maxBytes: number): Promise<Buffer | null> {
  const st = await handle.stat();
  if (!st.isFile() || st.size > maxBytes) return null;
  return handle.readFile();
}

/**
 * Reads a workspace file as UTF-8. Takes the workspace `files` dir and a user path; returns
 * the content. Throws WorkspaceError `not_found`, `is_directory`, `path_outside_workspace`, or
 * `invalid_input` (not a regular file, or larger than {@link READ_MAX_BYTES}).
 */
export async function readWorkspaceFile(root: string, userPath: string): Promise<string> {
  const { realRoot, parts, rel } = await locate(root, userPath);
  const handle = await openBeneath(realRoot, parts, fsc.O_RDONLY);
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw new WorkspaceError("is_directory", `is a directory: ${JSON.stringify(rel)}`);
    if (!st.isFile()) throw new WorkspaceError("invalid_input", `not a regular file: ${JSON.stringify(rel)}`);
    if (st.size > READ_MAX_BYTES) {
      throw new WorkspaceError("invalid_input", `file is ${st.size} bytes; the read limit is ${READ_MAX_BYTES}`);
    }
    return (await handle.readFile()).toString("utf8");
  } finally {
    await handle.close();
  }
}

/**
 * Creates or replaces a workspace file (parent directories are created). Takes the workspace
 * `files` dir, a user path and UTF-8 content; returns the size written in bytes. Throws
 * WorkspaceError `is_directory`, `path_outside_workspace`, `not_found` (a parent is a file) or
 * `invalid_input` (target is not a regular file).
 */
export async function writeWorkspaceFile(root: string, userPath: string, content: string): Promise<{ bytes: number }> {
  const { realRoot, parts, rel } = await locate(root, userPath);
  // No O_TRUNC at open: truncate only after checking it is a regular file.
  const handle = await openBeneath(realRoot, parts, fsc.O_WRONLY | fsc.O_CREAT, { createParents: true });
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new WorkspaceError("invalid_input", `not a regular file: ${JSON.stringify(rel)}`);
    const data = Buffer.from(content, "utf8");
    await handle.truncate(0);
    await handle.write(data, 0, data.length, 0);
    return { bytes: data.length };
  } catch (err) {
    throw mapFsError(err, rel);
  } finally {
    await handle.close();
  }
}

/**
 * Walks the tree at `parts` beneath `realRoot` depth-first in name order, without following
 * symlinks and without descending into {@link SKIPPED_DIRS}. Calls `visit` for every entry
 * below the start (not the start itself); a `false` return stops the walk. Returns true when
 * the walk completed, false when stopped. Throws WorkspaceError if the start cannot be opened
 * as a directory.
 */
export async function walkTree(
  realRoot: string,
  parts: readonly string[],
  visit: (entry: WalkEntry) => Promise<boolean | void> | boolean | void,
): Promise<boolean> {
  const start = await openDirBeneath(realRoot, parts);
  try {
    return await walkDir(start, parts.join("/"), visit, 0);
  } finally {
    await start.close();
  }
}

async function walkDir(
  dir: FileHandle,
  relDir: string,
  visit: (entry: WalkEntry) => Promise<boolean | void> | boolean | void,
  depth: number,
): Promise<boolean> {
  const names = (await fsp.readdir(fdPath(dir.fd))).sort();
  for (const name of names) {
    const at = fdPath(dir.fd, name);
    let st;
    try {
      st = await fsp.lstat(at);
    } catch {
      continue; // removed meanwhile
    }
    const type = typeOf(st);
    const rel = relDir === "" ? name : `${relDir}/${name}`;
    const entry: WalkEntry = {
      rel,
      type,
      size: type === "dir" ? 0 : st.size,
      mode: st.mode & 0o7777,
      open: () => fsp.open(at, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK),
      readlink: () => fsp.readlink(at),
    };
    if ((await visit(entry)) === false) return false;
    if (type !== "dir" || SKIPPED_DIRS.has(name) || depth + 1 >= MAX_WALK_DEPTH) continue;
    let child: FileHandle;
    try {
      child = await fsp.open(at, fsc.O_RDONLY | fsc.O_DIRECTORY | fsc.O_NOFOLLOW);
    } catch {
      continue; // replaced by a symlink or removed meanwhile: skip, never follow
    }
    try {
      if (!(await walkDir(child, rel, visit, depth + 1))) return false;
    } finally {
      await child.close();
    }
  }
  return true;
}

/**
 * Lists a workspace directory recursively (or a single file). Takes the `files` dir and an
 * optional user path; returns entries with workspace-relative paths, symlinks reported (not
 * followed), at most {@link LIST_MAX_ENTRIES}, with `truncated` set past that. Throws
 * WorkspaceError `not_found`, `path_outside_workspace`, `invalid_input`.
 */
export async function listWorkspace(root: string, userPath?: string): Promise<ListResult> {
  const { realRoot, parts, rel } = await locate(root, userPath);
  const st = await lstatBeneath(realRoot, parts);
  if (!st.isDirectory()) {
    return { entries: [{ path: rel, type: st.isSymbolicLink() ? "symlink" : "file", size: st.size }], truncated: false };
  }
  const entries: ListEntry[] = [];
  let truncated = false;
  await walkTree(realRoot, parts, (e) => {
    if (entries.length >= LIST_MAX_ENTRIES) {
      truncated = true;
      return false;
    }
    entries.push({ path: e.rel, type: e.type === "other" ? "file" : e.type, size: e.size });
    return true;
  }).catch((err: unknown) => {
    throw mapFsError(err, rel);
  });
  return { entries, truncated };
}
