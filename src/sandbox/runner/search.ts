/**
 * Regex search over a workspace's files. The scan runs in a worker thread with a deadline so a
 * catastrophically backtracking pattern cannot stall the runner's event loop.
 */
import { constants as fsc } from "node:fs";
import { Worker } from "node:worker_threads";
import type { SearchMatch, SearchResult } from "../workspace.ts";
import { WorkspaceError, type WorkspaceErrorCode } from "../workspace.ts";
import { locate, readRegular, walkTree } from "./files.ts";
import { lstatBeneath, openBeneath } from "./paths.ts";

/** Matches a search returns at most. */
export const SEARCH_MAX_MATCHES = 500;
/** Files larger than this (bytes) are not searched. */
export const SEARCH_MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Characters of a matching line returned. */
const MAX_LINE_CHARS = 500;
/** Bytes inspected for a NUL to decide a file is binary (as git does). */
const BINARY_SNIFF_BYTES = 8000;
/** Wall-clock limit of one search, in ms. */
export const SEARCH_TIMEOUT_MS = 20_000;

/** Input of one search, as handed to the worker. */
export interface SearchJob {
  realRoot: string;
  parts: string[];
  pattern: string;
}

/** Message the worker posts back. */
export type SearchReply =
  | { ok: true; result: SearchResult }
  | { ok: false; code: WorkspaceErrorCode | "internal"; message: string };

/**
 * Compiles a search pattern as a JavaScript RegExp. Returns the RegExp; throws WorkspaceError
 * `invalid_input` when the pattern does not compile.
 */
export function compilePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch (err) {
    throw new WorkspaceError("invalid_input", `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function scan(rel: string, data: Buffer, re: RegExp, matches: SearchMatch[]): boolean {
  if (data.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return true;
  const lines = data.toString("utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (!re.test(line)) continue;
    if (matches.length >= SEARCH_MAX_MATCHES) return false;
    matches.push({ path: rel, line: i + 1, text: line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line });
  }
  return true;
}

/**
 * Searches the file or tree at `job.parts` (in this thread). Returns up to
 * {@link SEARCH_MAX_MATCHES} matches in path order, `truncated` when more existed; skips binary
 * files, files over {@link SEARCH_MAX_FILE_BYTES}, symlinks, `.git` and `node_modules`.
 * Throws WorkspaceError `invalid_input` for a bad pattern, `not_found` for a missing start.
 */
export async function searchTree(job: SearchJob): Promise<SearchResult> {
  const re = compilePattern(job.pattern);
  const matches: SearchMatch[] = [];
  const st = await lstatBeneath(job.realRoot, job.parts);
  if (!st.isDirectory()) {
    const handle = await openBeneath(job.realRoot, job.parts, fsc.O_RDONLY);
    try {
      const data = await readRegular(handle, SEARCH_MAX_FILE_BYTES);
      const complete = data === null || scan(job.parts.join("/"), data, re, matches);
      return { matches, truncated: !complete };
    } finally {
      await handle.close();
    }
  }
  const complete = await walkTree(job.realRoot, job.parts, async (entry) => {
    if (entry.type !== "file" || entry.size > SEARCH_MAX_FILE_BYTES) return true;
    const handle = await entry.open().catch(() => null);
    if (handle === null) return true;
    try {
      const data = await readRegular(handle, SEARCH_MAX_FILE_BYTES);
      return data === null || scan(entry.rel, data, re, matches);
    } finally {
      await handle.close();
    }
  });
  return { matches, truncated: !complete };
}

/**
 * Searches workspace `root` (its `files` dir) for `pattern`, optionally narrowed to `userPath`
 * (a file or directory). Runs in a worker thread killed after `timeoutMs`. Returns the
 * SearchResult; throws WorkspaceError `invalid_input` (bad pattern, or the deadline passed),
 * `not_found`, `path_outside_workspace`.
 */
export async function searchWorkspace(
  root: string,
  pattern: string,
  userPath?: string,
  timeoutMs = SEARCH_TIMEOUT_MS,
): Promise<SearchResult> {
  compilePattern(pattern);
  const { realRoot, parts } = await locate(root, userPath);
  const job: SearchJob = { realRoot, parts, pattern };
  // Beside this module: search-worker.ts from the sources, search-worker.js beside the VM's runner bundle (vite.vm-runner.config.ts).
  const worker = new Worker(new URL(import.meta.url.endsWith(".ts") ? "./search-worker.ts" : "./search-worker.js", import.meta.url), { workerData: job });
  try {
    const reply = await new Promise<SearchReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new WorkspaceError("invalid_input", `search exceeded ${timeoutMs} ms; narrow the path or simplify the pattern`));
      }, timeoutMs);
      worker.once("message", (msg: SearchReply) => {
        clearTimeout(timer);
        resolve(msg);
      });
      worker.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      worker.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`search worker exited with code ${code}`));
      });
    });
    if (reply.ok) return reply.result;
    if (reply.code === "internal") throw new Error(reply.message);
    throw new WorkspaceError(reply.code, reply.message);
  } finally {
    await worker.terminate();
  }
}
