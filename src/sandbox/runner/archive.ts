/**
 * A workspace as one value, to move it to another runner (issue 16: escalating a task to a VM
 * moves its files and its diff base). `exportArchive` reads a workspace's working copy and its
 * seeded originals; `importArchive` writes them into a fresh workspace.
 *
 * Only directories and regular files travel (symlinks, sockets and devices are left out and
 * named in `skipped`); `.git` and `node_modules` travel too. Export never follows a symlink
 * (every file is opened with O_NOFOLLOW, directories are listed without following); it runs
 * between commands, when no command of the task is running. Import creates only directories and
 * regular files, beneath a directory it made itself, from paths it checked (no `..`, no
 * absolute path, no empty or dot segment), so nothing it writes can land outside.
 */
import { constants as fsc, promises as fsp } from "node:fs";
import path from "node:path";
import { workspaceArchiveSchema, type WorkspaceArchive } from "../vm/protocol.ts";
import { WorkspaceError } from "../workspace.ts";

export { workspaceArchiveSchema, type WorkspaceArchive };

/** Most bytes (raw, before base64) one archive may hold: 16 MiB. */
export const ARCHIVE_MAX_BYTES = 16 * 1024 * 1024;
/** Most files one archive may hold. */
export const ARCHIVE_MAX_FILES = 20_000;


/**
 * Reads the tree under `dir` into `into` (relative path → base64), adding left-out entries to
 * `skipped`. Returns the bytes read. @throws WorkspaceError `invalid_input` past {@link ARCHIVE_MAX_BYTES} or {@link ARCHIVE_MAX_FILES}.
 */
async function readTree(dir: string, into: Record<string, string>, skipped: string[], budget: { bytes: number; files: number }, prefix = ""): Promise<void> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return;
    throw err;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      await readTree(full, into, skipped, budget, rel);
    } else if (entry.isFile()) {
      const handle = await fsp.open(full, fsc.O_RDONLY | fsc.O_NOFOLLOW);
      try {
        const st = await handle.stat();
        if (!st.isFile()) {
          skipped.push(rel);
          continue;
        }
        budget.bytes += st.size;
        budget.files += 1;
        if (budget.bytes > ARCHIVE_MAX_BYTES || budget.files > ARCHIVE_MAX_FILES) {
          throw new WorkspaceError("invalid_input", `the workspace is too large to move (over ${ARCHIVE_MAX_BYTES} bytes or ${ARCHIVE_MAX_FILES} files)`);
        }
        into[rel] = (await handle.readFile()).toString("base64");
      } finally {
        await handle.close();
      }
    } else {
      skipped.push(rel);
    }
  }
}

/** The workspace whose working copy is `filesDir` and seeded originals `baseDir`, as an archive. @throws WorkspaceError `invalid_input` when too large. */
export async function exportArchive(filesDir: string, baseDir: string): Promise<WorkspaceArchive> {
  const archive: WorkspaceArchive = { files: {}, base: {}, skipped: [] };
  const budget = { bytes: 0, files: 0 };
  await readTree(filesDir, archive.files, archive.skipped, budget);
  const baseSkipped: string[] = [];
  await readTree(baseDir, archive.base, baseSkipped, budget);
  return archive;
}

/** Writes `entries` (relative path → base64) beneath `dir`, which this runner made and holds no symlink. */
async function writeTree(dir: string, entries: Record<string, string>): Promise<void> {
  for (const [rel, content] of Object.entries(entries)) {
    const target = path.join(dir, ...rel.split("/"));
    await fsp.mkdir(path.dirname(target), { recursive: true, mode: 0o755 });
    await fsp.writeFile(target, Buffer.from(content, "base64"), { flag: fsc.O_WRONLY | fsc.O_CREAT | fsc.O_TRUNC | fsc.O_NOFOLLOW });
  }
}

/** Writes an archive into a new workspace's `filesDir` and `baseDir` (both empty, made by the runner). */
export async function importArchive(filesDir: string, baseDir: string, archive: WorkspaceArchive): Promise<void> {
  await writeTree(filesDir, archive.files);
  await writeTree(baseDir, archive.base);
}
