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
 */
import { z } from "zod";
import { EXEC_MAX_TIMEOUT_MS } from "../workspace.ts";

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
