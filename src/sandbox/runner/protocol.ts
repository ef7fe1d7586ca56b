/**
 * HTTP contract between the Worker (client, `../local-runner.ts`) and the local runner
 * (server, `server.ts`). One place, zod-parsed on both sides.
 *
 * Every request carries `authorization: Bearer <SAM_RUNNER_SECRET>`; the runner listens on
 * loopback only. Errors are `{"error":{"code","message"}}` where code is a WorkspaceErrorCode
 * (or `unauthorized`), with status 400 (invalid_input, path_outside_workspace, is_directory),
 * 401, 404 (not_found, workspace_unavailable) or 503 (sandbox_unavailable).
 *
 * Routes (workspace ids match {@link workspaceIdSchema}):
 *   GET    /v1/health                          → {ok, isolation: "bubblewrap" | "none"}
 *   PUT    /v1/workspaces/:id   CreateRequest  → 201 {id, created: true} | 200 {id, created: false} (idempotent; files only seeded on creation)
 *   DELETE /v1/workspaces/:id                  → 200 {deleted: boolean}
 *   POST   /v1/workspaces/:id/exec   ExecRequest   → ExecResult
 *   POST   /v1/workspaces/:id/read   ReadRequest   → {content}
 *   POST   /v1/workspaces/:id/write  WriteRequest  → {bytes}
 *   POST   /v1/workspaces/:id/list   ListRequest   → ListResult
 *   POST   /v1/workspaces/:id/search SearchRequest → SearchResult
 *   POST   /v1/workspaces/:id/diff   {}            → DiffResult
 *   POST   /v1/workspaces/:id/changes {}           → {changedFiles} (DiffResult's list, without the patch)
 *   POST   /v1/workspaces/:id/export  ExportRequest → WorkspacePart (the next part of the files and diff base; archive.ts)
 *   POST   /v1/workspaces/:id/import  ImportRequest → 201 | 200 {id, created} (writes a part into the workspace, creating it; idempotent)
 *   POST   /v1/workspaces/:id/clone  CloneRequest  → 201 CloneResult | 200 CloneResult (idempotent: an existing workspace is kept; see git.ts)
 *   POST   /v1/workspaces/:id/publish PublishRequest → PublishResult (host-side commit and push; idempotent)
 */
import { z } from "zod";
import { EXEC_MAX_TIMEOUT_MS } from "../workspace.ts";
import { exportCursorSchema, WORKSPACE_PART_BYTES, workspaceChunkSchema } from "../vm/protocol.ts";

/** Workspace ids are task ids (`tsk_` + ULID) or test ids: letters, digits, `_` and `-`. */
export const workspaceIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/);

const pathSchema = z.string().min(1).max(4096);

export const createRequestSchema = z.object({
  /** Files to seed: workspace-relative path → UTF-8 content. */
  files: z.record(pathSchema, z.string()).optional(),
  /** Allow network access for commands (default false: loopback only in its own namespace). */
  network: z.boolean().optional(),
});
export type CreateRequest = z.infer<typeof createRequestSchema>;

export const execRequestSchema = z.object({
  command: z.string().min(1).max(100_000),
  timeoutMs: z.number().int().positive().max(EXEC_MAX_TIMEOUT_MS).optional(),
  maxOutputBytes: z.number().int().positive().max(16 * 1024 * 1024).optional(),
});
export type ExecRequest = z.infer<typeof execRequestSchema>;

export const readRequestSchema = z.object({ path: pathSchema });
export const writeRequestSchema = z.object({ path: pathSchema, content: z.string() });
export const listRequestSchema = z.object({ path: pathSchema.optional() });
export const searchRequestSchema = z.object({
  pattern: z.string().min(1).max(1000),
  path: pathSchema.optional(),
});

export const execResultSchema = z.object({
  exitCode: z.number().int(),
  output: z.string(),
  truncated: z.boolean(),
  timedOut: z.boolean(),
  durationMs: z.number(),
});
export const readResultSchema = z.object({ content: z.string() });
export const writeResultSchema = z.object({ bytes: z.number().int() });
export const listResultSchema = z.object({
  entries: z.array(
    z.object({ path: z.string(), type: z.enum(["file", "dir", "symlink"]), size: z.number() }),
  ),
  truncated: z.boolean(),
});
export const searchResultSchema = z.object({
  matches: z.array(z.object({ path: z.string(), line: z.number().int(), text: z.string() })),
  truncated: z.boolean(),
});
export const diffResultSchema = z.object({ diff: z.string(), changedFiles: z.array(z.string()) });
/** Answer of `POST /v1/workspaces/:id/changes`: the changed paths only. */
export const changesResultSchema = diffResultSchema.pick({ changedFiles: true });

export const runnerErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

/** A repository credential, passed per request and used host-side only (never stored by the runner). */
const repositoryTokenSchema = z.string().min(1).max(1024).regex(/^[\x21-\x7e]+$/);
const gitRefSchema = z.string().min(1).max(255).regex(/^(?!-)[^\u0000-\u0020\u007f~^:?*[\\]+$/);
const gitIdentitySchema = z.object({
  name: z.string().min(1).max(200).regex(/^[^<>\n\u0000]+$/),
  email: z.string().min(3).max(320).regex(/^[^<>\s]+@[^<>\s]+$/),
});

/**
 * `POST /v1/workspaces/:id/clone`: creates the workspace as a shallow clone of `url` at `ref`
 * on the new branch `branch` (from `branch` itself when `resumeBranch` and the remote has it),
 * through the per-project cache `cacheKey`; `files` are then written over the clone (they show
 * as changes). `token` authenticates the fetch host-side and is never written anywhere.
 */
export const cloneRequestSchema = z.object({
  url: z.string().min(1).max(2048),
  ref: gitRefSchema,
  branch: gitRefSchema,
  resumeBranch: z.boolean().optional(),
  cacheKey: workspaceIdSchema,
  token: repositoryTokenSchema.optional(),
  files: z.record(pathSchema, z.string()).optional(),
  network: z.boolean().optional(),
});
export type CloneRequest = z.infer<typeof cloneRequestSchema>;

/** Answer of the clone: the commit the workspace starts at and the branch it is on. */
export const cloneResultSchema = z.object({ id: z.string(), created: z.boolean(), commit: z.string(), branch: z.string() });
export type CloneResult = z.infer<typeof cloneResultSchema>;

/**
 * `POST /v1/workspaces/:id/publish`: commits the workspace's changes host-side (author and
 * committer as given, `message`) and pushes the workspace's branch to `url` with `token`; when
 * the branch moved meanwhile, the change is replayed onto it, and when it conflicts, pushed to
 * `fallbackBranch` instead (an error without one).
 */
export const publishRequestSchema = z.object({
  url: z.string().min(1).max(2048),
  message: z.string().min(1).max(100_000),
  author: gitIdentitySchema,
  committer: gitIdentitySchema,
  token: repositoryTokenSchema.optional(),
  fallbackBranch: gitRefSchema.optional(),
});
export type PublishRequest = z.infer<typeof publishRequestSchema>;

/**
 * Answer of the publish: the pushed commit (null: nothing changed, nothing pushed) and the branch
 * it is on; `replayedOnto`, the tip of a branch that moved meanwhile which the change was
 * replayed onto; `conflictedWith`, the branch the change conflicted with (it is then on `fallbackBranch`).
 */
export const publishResultSchema = z.object({
  commit: z.string().nullable(),
  pushed: z.boolean(),
  branch: z.string(),
  replayedOnto: z.string().nullable(),
  conflictedWith: z.string().nullable(),
});
export type PublishResult = z.infer<typeof publishResultSchema>;

/**
 * `POST /v1/workspaces/:id/export`: the part of the workspace's files and diff base that starts at
 * `cursor` (none: the first), at most `maxBytes` of content (default and most WORKSPACE_PART_BYTES).
 */
export const exportRequestSchema = z.object({ cursor: exportCursorSchema.optional(), maxBytes: z.number().int().min(1).max(WORKSPACE_PART_BYTES).optional() });
export type ExportRequest = z.infer<typeof exportRequestSchema>;

/**
 * `POST /v1/workspaces/:id/import`: one part of another runner's export (issue 16: a task moved to
 * a VM), written into the workspace, which is created with `network` when it does not exist.
 */
export const importRequestSchema = z.object({ chunks: z.array(workspaceChunkSchema), network: z.boolean().optional() });
export type ImportRequest = z.infer<typeof importRequestSchema>;
