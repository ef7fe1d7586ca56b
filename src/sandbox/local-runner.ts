/**
 * Workspace adapter for the local runner (`runner/`), reached over loopback HTTP.
 * Used in local mode and tests; the runner isolates every command with bubblewrap.
 */
import type { z } from "zod";
import { workspacePartSchema, type ExportCursor, type WorkspaceChunk, type WorkspacePart } from "./vm/protocol.ts";
import type { RepositoryCloneRequest, RepositoryCloneResult, RepositoryPublishRequest, RepositoryPublishResult } from "./repository.ts";
import {
  changesResultSchema,
  cloneResultSchema,
  publishResultSchema,
  diffResultSchema,
  execResultSchema,
  listResultSchema,
  readResultSchema,
  runnerErrorSchema,
  searchResultSchema,
  writeResultSchema,
  type CreateRequest,
} from "./runner/protocol.ts";
import {
  EXEC_DEFAULT_TIMEOUT_MS,
  WorkspaceError,
  type DiffResult,
  type ExecOptions,
  type ExecResult,
  type ListResult,
  type SearchResult,
  type Workspace,
  type WorkspaceErrorCode,
} from "./workspace.ts";

const KNOWN_CODES: readonly WorkspaceErrorCode[] = [
  "path_outside_workspace",
  "not_found",
  "is_directory",
  "invalid_input",
  "workspace_unavailable",
  "sandbox_unavailable",
  "cancelled",
  "repository_error",
];

/** Connection settings for the runner. */
export interface RunnerConnection {
  /** Base URL, e.g. http://127.0.0.1:8788 */
  url: string;
  /** The runner's shared secret. */
  secret: string;
}

/** A workspace held by the local runner, addressed by its id (the task id). */
export class LocalRunnerWorkspace implements Workspace {
  private readonly base: string;
  private readonly connection: RunnerConnection;

  /** How requests travel: `fetch` over loopback, or a VM's socket (vm-workspace.ts, issue 16). */
  private readonly fetcher: (url: string, init: RequestInit) => Promise<Response>;

  /** `fetcher` defaults to the global fetch; a VM's workspace passes its socket's (vm-workspace.ts). */
  constructor(connection: RunnerConnection, workspaceId: string, fetcher?: (url: string, init: RequestInit) => Promise<Response>) {
    this.fetcher = fetcher ?? ((url, init) => fetch(url, init));
    this.connection = connection;
    this.base = `${connection.url.replace(/\/$/, "")}/v1/workspaces/${encodeURIComponent(workspaceId)}`;
  }

  /** Creates the workspace (idempotent) and seeds files on first creation. Returns whether it was new. */
  async create(files: Record<string, string> = {}, options: Omit<CreateRequest, "files"> = {}): Promise<boolean> {
    const response = await this.call("PUT", "", { ...options, files });
    return response.status === 201;
  }

  /** Creates the workspace as a clone of a repository, host-side in the runner (`POST .../clone`). */
  async cloneRepository(request: RepositoryCloneRequest): Promise<RepositoryCloneResult> {
    const response = await this.call("POST", "/clone", request);
    const result = cloneResultSchema.parse(await response.json());
    return { created: result.created, commit: result.commit, branch: result.branch };
  }

  /** Commits the workspace's changes and pushes its branch, host-side in the runner (`POST .../publish`). */
  async publishRepository(request: RepositoryPublishRequest): Promise<RepositoryPublishResult> {
    return this.post("/publish", request, publishResultSchema);
  }

  /** The part of the workspace's files and diff base from `cursor` (none: the first), to move it to a VM (`POST .../export`, issue 16; runner/archive.ts). */
  async exportPart(cursor?: ExportCursor): Promise<WorkspacePart> {
    return this.post("/export", cursor ? { cursor } : {}, workspacePartSchema);
  }

  /** Writes one part of another runner's export into the workspace, creating it with `network` (`POST .../import`; idempotent). Returns whether it was new. */
  async importPart(chunks: readonly WorkspaceChunk[], network = false): Promise<boolean> {
    const response = await this.call("POST", "/import", { chunks, network });
    return response.status === 201;
  }

  /** Deletes the workspace and its files. */
  async destroy(): Promise<void> {
    await this.call("DELETE", "", undefined);
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS;
    return this.post("/exec", { command, timeoutMs, maxOutputBytes: options.maxOutputBytes }, execResultSchema, options.signal);
  }

  async read(path: string): Promise<string> {
    return (await this.post("/read", { path }, readResultSchema)).content;
  }

  async write(path: string, content: string): Promise<{ bytes: number }> {
    return this.post("/write", { path, content }, writeResultSchema);
  }

  async list(path?: string): Promise<ListResult> {
    return this.post("/list", { path }, listResultSchema);
  }

  async search(pattern: string, path?: string): Promise<SearchResult> {
    return this.post("/search", { pattern, path }, searchResultSchema);
  }

  async diff(): Promise<DiffResult> {
    return this.post("/diff", {}, diffResultSchema);
  }

  async changedFiles(): Promise<string[]> {
    return (await this.post("/changes", {}, changesResultSchema)).changedFiles;
  }

  private async post<S extends z.ZodType>(suffix: string, body: unknown, schema: S, signal?: AbortSignal): Promise<z.infer<S>> {
    const response = await this.call("POST", suffix, body, signal);
    return schema.parse(await response.json());
  }

  /** Sends one request; maps runner error bodies to WorkspaceError. */
  private async call(method: string, suffix: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetcher(this.base + suffix, {
        method,
        signal,
        headers: { authorization: `Bearer ${this.connection.secret}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      if (signal?.aborted) throw new WorkspaceError("cancelled", "the command was stopped: the task was cancelled");
      throw new WorkspaceError("sandbox_unavailable", `the local runner at ${this.connection.url} is unreachable: ${String(error)}`);
    }
    if (response.ok) return response;
    const parsed = runnerErrorSchema.safeParse(await response.json().catch(() => null));
    const code = parsed.success ? parsed.data.error.code : "";
    const message = parsed.success ? parsed.data.error.message : `runner answered ${response.status}`;
    const known = KNOWN_CODES.find((c) => c === code);
    throw new WorkspaceError(known ?? "sandbox_unavailable", message);
  }
}
