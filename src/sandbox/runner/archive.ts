/**
 * Moving a workspace to another runner in parts (issue 16: escalating a task to a VM moves its
 * files and its diff base). `exportPart` reads the part of a workspace's working copy and seeded
 * originals that starts at a cursor, at most `maxBytes` of content in slices of files;
 * `importPart` writes such a part into a workspace. The task actor carries the parts one by one
 * (vm/protocol.ts `WORKSPACE_PART_BYTES` each), so a workspace of any size up to
 * {@link MOVE_MAX_BYTES} moves without any frame or memory holding all of it.
 *
 * Only regular files travel, with the directories that hold them (symlinks, sockets and devices
 * are left out and named in `skipped`; empty directories do not travel); `.git` and
 * `node_modules` travel too. Export never follows a symlink
 * (every file is opened with O_NOFOLLOW, directories are listed without following); it runs
 * between commands, when no command of the task is running, so the listing a cursor points into
 * stays the same from part to part (it is kept for the next part). Import creates only
 * directories and regular files, beneath a directory it made itself, from paths it checked (no
 * `..`, no absolute path, no empty or dot segment), so nothing it writes can land outside.
 */
import { constants as fsc, promises as fsp } from "node:fs";
import path from "node:path";
import { WORKSPACE_PART_BYTES, type ExportCursor, type WorkspaceChunk, type WorkspacePart } from "../vm/protocol.ts";
import { WorkspaceError } from "../workspace.ts";

/** Most bytes of content (working copy and diff base together) a workspace may have to move: 4 GiB. */
export const MOVE_MAX_BYTES = 4 * 1024 * 1024 * 1024;
/** Most entries (files of both trees, and entries left out) a workspace may have to move. */
export const MOVE_MAX_FILES = 200_000;
/** Most slices one part holds, whatever their sizes (a part of many empty files stays small). */
export const PART_MAX_CHUNKS = 5_000;
/** What a slice costs a part besides its content and its path, in bytes: its JSON (about 80 bytes) with room to spare. */
const CHUNK_OVERHEAD_BYTES = 128;

/** One regular file of an export's listing: its tree, relative path, size (bytes) and permission bits. */
interface ListedFile {
  tree: "files" | "base";
  path: string;
  size: number;
  mode: number;
}

/** An export's listing: every regular file in order, and what was left out. */
interface Listing {
  files: ListedFile[];
  skipped: string[];
}

/**
 * Lists the regular files under `dir` (sorted by name at each level, never following a symlink)
 * into `listing`, as tree `tree`. @throws WorkspaceError `invalid_input` past MOVE_MAX_BYTES or MOVE_MAX_FILES.
 */
async function listTree(dir: string, tree: "files" | "base", listing: Listing, totals: { bytes: number }, prefix = ""): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return;
    throw err;
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await listTree(full, tree, listing, totals, rel);
    } else if (entry.isFile()) {
      const st = await fsp.lstat(full);
      totals.bytes += st.size;
      listing.files.push({ tree, path: rel, size: st.size, mode: st.mode & 0o777 });
    } else if (tree === "files") {
      listing.skipped.push(rel);
    }
    if (totals.bytes > MOVE_MAX_BYTES || listing.files.length + listing.skipped.length > MOVE_MAX_FILES) {
      throw new WorkspaceError("invalid_input", `the workspace is too large to move (over ${MOVE_MAX_BYTES} bytes or ${MOVE_MAX_FILES} entries)`);
    }
  }
}

/** The listing of each workspace's export in progress (by files directory), kept between its parts. */
const listings = new Map<string, Listing>();

/**
 * The part of the workspace (working copy `filesDir`, seeded originals `baseDir`) that starts at
 * `cursor` (none: the first part, which lists the workspace afresh), holding at most `maxBytes`
 * counting each slice's content, path and {@link CHUNK_OVERHEAD_BYTES}, and at most
 * PART_MAX_CHUNKS slices (a file larger than what is left of the part is sliced; every part holds
 * at least one slice). The last part's `next` is null and its `skipped` names what was left out.
 * @throws WorkspaceError `invalid_input` when the workspace is too large, the cursor is not one
 *   this export gave, or a file changed size since it was listed (something wrote to the
 *   workspace during the move); the export must then start again without a cursor.
 */
export async function exportPart(filesDir: string, baseDir: string, cursor?: ExportCursor, maxBytes = WORKSPACE_PART_BYTES): Promise<WorkspacePart> {
  try {
    return await readPart(filesDir, baseDir, cursor, maxBytes);
  } catch (error) {
    listings.delete(filesDir);
    throw error;
  }
}

async function readPart(filesDir: string, baseDir: string, cursor: ExportCursor | undefined, maxBytes: number): Promise<WorkspacePart> {
  let listing = cursor ? listings.get(filesDir) : undefined;
  if (!listing) {
    if (cursor && (cursor.index > 0 || cursor.offset > 0)) throw new WorkspaceError("invalid_input", "this export was not started here (or the runner restarted): start it again without a cursor");
    listing = { files: [], skipped: [] };
    const totals = { bytes: 0 };
    await listTree(filesDir, "files", listing, totals);
    await listTree(baseDir, "base", listing, totals);
    listings.set(filesDir, listing);
  }
  if (cursor && (cursor.index > listing.files.length || (cursor.index < listing.files.length && cursor.offset > listing.files[cursor.index].size))) {
    throw new WorkspaceError("invalid_input", "the cursor points past the workspace: start the export again without a cursor");
  }
  const chunks: WorkspaceChunk[] = [];
  let room = maxBytes;
  let index = cursor?.index ?? 0;
  let offset = cursor?.offset ?? 0;
  while (index < listing.files.length && chunks.length < PART_MAX_CHUNKS && (room > 0 || chunks.length === 0)) {
    const file = listing.files[index];
    // The slice's own cost (its path and JSON) comes first; the content fills what is left, at least one byte.
    room -= file.path.length + CHUNK_OVERHEAD_BYTES;
    const length = Math.min(file.size - offset, Math.max(room, chunks.length === 0 ? 1 : 0));
    // No room left for any of this file's content: it starts the next part.
    if (length === 0 && file.size > offset) break;
    const handle = await fsp.open(path.join(file.tree === "files" ? filesDir : baseDir, ...file.path.split("/")), fsc.O_RDONLY | fsc.O_NOFOLLOW);
    try {
      const st = await handle.stat();
      if (!st.isFile() || st.size !== file.size) throw new WorkspaceError("invalid_input", `${file.path} changed while the workspace was moving`);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = length > 0 ? await handle.read(buffer, 0, length, offset) : { bytesRead: 0 };
      chunks.push({ tree: file.tree, path: file.path, size: file.size, mode: file.mode, offset, data: buffer.subarray(0, bytesRead).toString("base64") });
    } finally {
      await handle.close();
    }
    room -= length;
    offset += length;
    if (offset >= file.size) {
      index += 1;
      offset = 0;
    }
  }
  const done = index >= listing.files.length;
  if (done) listings.delete(filesDir);
  return { chunks, skipped: done ? listing.skipped : [], next: done ? null : { index, offset } };
}

/**
 * Writes a part's slices into a workspace's `filesDir` and `baseDir` (made by the runner, holding
 * no symlink): a slice at offset 0 creates or truncates its file, a later one writes at its offset;
 * files stay writable by the runner until their last slice, which sets their permission bits (a
 * read-only file larger than a part still arrives whole). Importing the parts of an export again
 * from the first rewrites the same files (a move interrupted halfway resumes from the start).
 * @throws WorkspaceError `invalid_input` for a slice that reaches past its file's size.
 */
export async function importPart(filesDir: string, baseDir: string, chunks: readonly WorkspaceChunk[]): Promise<void> {
  for (const chunk of chunks) {
    const data = Buffer.from(chunk.data, "base64");
    if (chunk.offset + data.length > chunk.size) throw new WorkspaceError("invalid_input", `a slice of ${chunk.path} reaches past its size`);
    const target = path.join(chunk.tree === "files" ? filesDir : baseDir, ...chunk.path.split("/"));
    await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    if (chunk.offset === 0) {
      // A file an earlier import made read-only (a move started again) must be writable to be rewritten.
      const existing = await fsp.lstat(target).catch(() => null);
      if (existing?.isFile()) await fsp.chmod(target, 0o600);
    }
    const flags = chunk.offset === 0 ? fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW : fsc.O_WRONLY | fsc.O_NOFOLLOW;
    const handle = await fsp.open(target, flags, 0o600);
    try {
      if (data.length > 0) await handle.write(data, 0, data.length, chunk.offset);
      // Permission bits as they were once the file is whole, never set-id bits (the schema allows 0o777 at most).
      if (chunk.offset + data.length === chunk.size) await handle.chmod(chunk.mode ?? 0o644);
    } finally {
      await handle.close();
    }
  }
}
