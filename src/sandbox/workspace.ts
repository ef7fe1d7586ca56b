/**
 * The Workspace port: everything a task's tools may do to its isolated workspace.
 * Adapters: the local runner (`local-runner.ts`, bubblewrap on this machine) and the
 * Cloudflare Sandbox container (`cloudflare-sandbox.ts`, when deployed).
 * Paths are workspace-relative; `/workspace/...` is accepted as the same place.
 * Any path that would leave the workspace (`..`, other absolute paths, symlinks) is
 * refused with a {@link WorkspaceError} of code `path_outside_workspace`.
 */
export interface Workspace {
  /** Runs `command` with bash in the workspace; never throws for a non-zero exit. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Returns the UTF-8 content of a file; throws `not_found` if absent. */
  read(path: string): Promise<string>;
  /** Creates or replaces a file (parents are created); returns its size in bytes. */
  write(path: string, content: string): Promise<{ bytes: number }>;
  /** Lists files and directories under `path` (default the root), recursively, skipping `.git` and `node_modules`. */
  list(path?: string): Promise<ListResult>;
  /** Searches file contents for a regular expression (JavaScript RegExp syntax; grep -E patterns mostly work unchanged). */
  search(pattern: string, path?: string): Promise<SearchResult>;
  /** Unified diff of the workspace against the files it was seeded with. */
  diff(): Promise<DiffResult>;
  /** `diff()`'s `changedFiles` alone (sorted, workspace-relative), cheaper: no patch is built. */
  changedFiles(): Promise<string[]>;
}

/** Options of {@link Workspace.exec}. */
export interface ExecOptions {
  /** Wall-clock limit in ms (default 60,000; max 600,000). */
  timeoutMs?: number;
  /** Cap on captured output in bytes (default 65,536). */
  maxOutputBytes?: number;
  /** Aborting it kills the command (the call then rejects). */
  signal?: AbortSignal;
}

/** Outcome of a command. `output` is stdout then stderr interleaved as produced, capped. */
export interface ExecResult {
  exitCode: number;
  output: string;
  /** True when the output was cut at the cap. */
  truncated: boolean;
  /** True when the command was killed at its wall-clock limit (exitCode is then 124). */
  timedOut: boolean;
  durationMs: number;
}

/** One entry of a listing; `path` is workspace-relative. */
export interface ListEntry {
  path: string;
  type: "file" | "dir" | "symlink";
  size: number;
}

export interface ListResult {
  entries: ListEntry[];
  /** True when the listing stopped at its entry limit (2,000). */
  truncated: boolean;
}

/** One matching line; `line` is 1-based. */
export interface SearchMatch {
  path: string;
  line: number;
  text: string;
}

export interface SearchResult {
  matches: SearchMatch[];
  /** True when matches stopped at the limit (500). */
  truncated: boolean;
}

export interface DiffResult {
  diff: string;
  /** Workspace-relative paths added, modified or deleted since seeding. */
  changedFiles: string[];
}

/** Error codes every adapter uses, so tools can report them uniformly. */
export type WorkspaceErrorCode =
  | "path_outside_workspace"
  | "not_found"
  | "is_directory"
  | "invalid_input"
  | "workspace_unavailable"
  | "sandbox_unavailable"
  | "cancelled"
  /** A repository could not be fetched or pushed (remote unreachable, credential refused, unknown ref). */
  | "repository_error";

/** An error from a workspace operation, carrying a stable code. */
export class WorkspaceError extends Error {
  readonly code: WorkspaceErrorCode;
  constructor(code: WorkspaceErrorCode, message: string) {
    super(message);
    this.name = "WorkspaceError";
    this.code = code;
  }
}

/** Defaults shared by all adapters (issue 2: 60 s per command, 64 KiB output). */
export const EXEC_DEFAULT_TIMEOUT_MS = 60_000;
export const EXEC_MAX_TIMEOUT_MS = 600_000;
export const EXEC_DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
