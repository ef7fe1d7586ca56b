/**
 * Workspace diff: compares the seeded originals (`base`) with the working copy (`files`).
 * Changed files are found in Node; their contents are copied (never following symlinks) into
 * a private temp dir as `a/<rel>` and `b/<rel>`, and git renders the unified diff there, so
 * git never reads the workspace itself and paths print as `a/<rel>` / `b/<rel>`.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { constants as fsc, promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DiffResult } from "../workspace.ts";
import { readRegular, walkTree } from "./files.ts";
import { openBeneath } from "./paths.ts";

/** Changed files whose content is rendered at most; the rest are listed only. */
export const DIFF_MAX_FILES = 1000;
/** Files larger than this (bytes) appear in the diff as a placeholder line. */
export const DIFF_MAX_FILE_BYTES = 4 * 1024 * 1024;
/** Cap on the returned diff text, in bytes. */
export const DIFF_MAX_BYTES = 4 * 1024 * 1024;
/** Wall-clock limit for git, in ms. */
const GIT_TIMEOUT_MS = 60_000;

interface Snap {
  type: "file" | "symlink";
  size: number;
  exec: boolean;
  link?: string;
}

async function snapshot(realRoot: string): Promise<Map<string, Snap>> {
  const out = new Map<string, Snap>();
  await walkTree(realRoot, [], async (e) => {
    if (e.type === "file") out.set(e.rel, { type: "file", size: e.size, exec: (e.mode & 0o111) !== 0 });
    if (e.type === "symlink") out.set(e.rel, { type: "symlink", size: e.size, exec: false, link: await e.readlink() });
    return true;
  });
  return out;
}

async function readContent(realRoot: string, rel: string): Promise<Buffer | null> {
  const handle = await openBeneath(realRoot, rel.split("/"), fsc.O_RDONLY).catch(() => null);
  if (handle === null) return null;
  try {
    return await readRegular(handle, DIFF_MAX_FILE_BYTES);
  } finally {
    await handle.close();
  }
}

/** sha256 of a regular file's content (streamed, any size), or null if unreadable. */
async function hashContent(realRoot: string, rel: string): Promise<string | null> {
  const handle = await openBeneath(realRoot, rel.split("/"), fsc.O_RDONLY).catch(() => null);
  if (handle === null) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    const hash = createHash("sha256");
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest("hex");
  } finally {
    await handle.close();
  }
}

async function differs(baseRoot: string, filesRoot: string, rel: string, a?: Snap, b?: Snap): Promise<boolean> {
  if (!a || !b || a.type !== b.type || a.exec !== b.exec) return true;
  if (a.type === "symlink") return a.link !== b.link;
  if (a.size !== b.size) return true;
  const [x, y] = await Promise.all([hashContent(baseRoot, rel), hashContent(filesRoot, rel)]);
  return x === null || y === null || x !== y;
}

async function materialise(srcRoot: string, rel: string, snap: Snap, destRoot: string): Promise<void> {
  const dest = path.join(destRoot, ...rel.split("/"));
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  if (snap.type === "symlink") {
    await fsp.symlink(snap.link ?? "", dest);
    return;
  }
  const data = await readContent(srcRoot, rel);
  // The hash keeps two different oversized versions visibly different in the diff.
  const placeholder = async () =>
    `[content not shown: ${snap.size} bytes, sha256 ${(await hashContent(srcRoot, rel)) ?? "unreadable"}]\n`;
  await fsp.writeFile(dest, data ?? (await placeholder()));
  await fsp.chmod(dest, snap.exec ? 0o755 : 0o644);
}

/** git prints `diff --git b/x b/x` for additions and `a/x a/x` for deletions; show `a/x b/x`. */
function normaliseHeaders(diff: string): string {
  return diff.replace(/^diff --git (.+)$/gm, (line: string, rest: string) => {
    const half = (rest.length - 1) / 2;
    if (!Number.isInteger(half) || rest.slice(0, half) !== rest.slice(half + 1)) return line;
    const p = rest.slice(0, half);
    const m = /^("?)[ab]\/(.*)$/.exec(p);
    return m ? `diff --git ${m[1]}a/${m[2]} ${m[1]}b/${m[2]}` : line;
  });
}

function runGit(cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "git",
      ["-c", "core.quotepath=false", "diff", "--no-index", "--no-color", "--no-ext-diff", "--src-prefix=", "--dst-prefix=", "--", "a", "b"],
      {
        cwd,
        stdio: ["ignore", "pipe", "pipe"],
        // Deterministic and isolated: no user/system config, no repository discovery above cwd.
        env: {
          PATH: "/usr/local/bin:/usr/bin:/bin",
          HOME: cwd,
          LANG: "C.UTF-8",
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_CONFIG_GLOBAL: "/dev/null",
          GIT_CEILING_DIRECTORIES: path.dirname(cwd),
        },
      },
    );
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      if (size < DIFF_MAX_BYTES) chunks.push(c);
      size += c.length;
    });
    child.stderr.on("data", (c: Buffer) => {
      if (stderr.length < 4096) stderr += c.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), GIT_TIMEOUT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      // git diff exits 1 when there are differences.
      if (code !== 0 && code !== 1) return reject(new Error(`git diff failed (${code}): ${stderr.trim()}`));
      let text = Buffer.concat(chunks).subarray(0, DIFF_MAX_BYTES).toString("utf8");
      if (size > DIFF_MAX_BYTES) text += `\n[diff truncated at ${DIFF_MAX_BYTES} bytes]\n`;
      resolve(text);
    });
  });
}

/** Both trees' snapshots and the sorted paths that differ between them. */
interface Comparison {
  baseRoot: string;
  filesRoot: string;
  before: Map<string, Snap>;
  after: Map<string, Snap>;
  changedFiles: string[];
}

async function compareTrees(baseDir: string, filesDir: string): Promise<Comparison> {
  const [baseRoot, filesRoot] = await Promise.all([fsp.realpath(baseDir), fsp.realpath(filesDir)]);
  const [before, after] = await Promise.all([snapshot(baseRoot), snapshot(filesRoot)]);
  const all = [...new Set([...before.keys(), ...after.keys()])].sort();
  const changedFiles: string[] = [];
  for (const rel of all) {
    if (await differs(baseRoot, filesRoot, rel, before.get(rel), after.get(rel))) changedFiles.push(rel);
  }
  return { baseRoot, filesRoot, before, after, changedFiles };
}

/**
 * The sorted workspace-relative paths of `filesDir` added, modified (content, symlink target or
 * exec bit) or deleted since seeding (`baseDir`; both absolute), skipping `.git` and
 * `node_modules`: what {@link diffWorkspace} lists, without building the patch (no git, no
 * temporary files), for callers that only need the names (a finishing task).
 */
export async function changedWorkspaceFiles(baseDir: string, filesDir: string): Promise<string[]> {
  return (await compareTrees(baseDir, filesDir)).changedFiles;
}

/**
 * Diffs workspace `files` against its seeded `base` (both absolute dirs), skipping `.git` and
 * `node_modules`. Returns the unified diff (capped at {@link DIFF_MAX_BYTES}) and the sorted
 * workspace-relative paths added, modified (content, symlink target or exec bit) or deleted.
 * Throws if git is missing or fails.
 */
export async function diffWorkspace(baseDir: string, filesDir: string): Promise<DiffResult> {
  const { baseRoot, filesRoot, before, after, changedFiles } = await compareTrees(baseDir, filesDir);
  if (changedFiles.length === 0) return { diff: "", changedFiles };

  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-diff-"));
  try {
    await Promise.all([fsp.mkdir(path.join(tmp, "a")), fsp.mkdir(path.join(tmp, "b"))]);
    const shown = changedFiles.slice(0, DIFF_MAX_FILES);
    for (const rel of shown) {
      const a = before.get(rel);
      const b = after.get(rel);
      if (a) await materialise(baseRoot, rel, a, path.join(tmp, "a"));
      if (b) await materialise(filesRoot, rel, b, path.join(tmp, "b"));
    }
    let diff = normaliseHeaders(await runGit(tmp));
    if (changedFiles.length > shown.length) {
      diff += `\n[diff shows ${shown.length} of ${changedFiles.length} changed files]\n`;
    }
    return { diff, changedFiles };
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}
