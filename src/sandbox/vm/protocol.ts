/**
 * The connection between a VM's runner and its task's actor (issue 16), zod-parsed at both
 * ends. The runner (VM mode, `src/sandbox/runner/vm-agent.ts`) connects OUT to SAM's
 * `GET /vm/connect?task=<taskId>` (a WebSocket; the Worker hands it to that task's actor), so
 * the VM needs no inbound port.
 *
 * 1. The runner's first frame is `hello`: the one-time registration token from its user data
 *    (the first time), or its per-VM credential (every reconnect). The actor compares hashes
 *    (it stores only SHA-256 hashes), and answers `welcome` — carrying a new random credential
 *    when a token was presented — or closes the socket with {@link VM_REFUSED_CLOSE_CODE}. A
 *    token works once: presented again, it is refused.
 * 2. The actor then sends `request`s: one runner HTTP call each (`method`, a `/v1/...` path of
 *    the runner's own protocol, `src/sandbox/runner/protocol.ts`, and its JSON body); the runner
 *    makes it against its local service and answers `response` with the same `id`, the status
 *    and the body. `cancel` stops a request (a cancelled task kills its command).
 *
 * Frames that do not parse are ignored by both ends (the Agents SDK also sends its own frames).
 */
import { z } from "zod";

/** WebSocket close code for a refused hello (wrong, used or missing token or credential). */
export const VM_REFUSED_CLOSE_CODE = 4001;
/** Most bytes one frame may hold (a part of a moving workspace rides in one; see WORKSPACE_PART_BYTES): 24 MiB. */
export const VM_MAX_FRAME_BYTES = 24 * 1024 * 1024;

const secretSchema = z.string().regex(/^[A-Za-z0-9_-]{16,200}$/);

/** Frames from the VM's runner to the task actor. */
export const vmRunnerFrameSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), token: secretSchema.optional(), credential: secretSchema.optional(), version: z.number().int().default(1) }),
  z.object({ type: z.literal("response"), id: z.string().min(1).max(100), status: z.number().int(), body: z.string() }),
]);
/** A frame from a VM's runner; see {@link vmRunnerFrameSchema}. */
export type VmRunnerFrame = z.infer<typeof vmRunnerFrameSchema>;

/** Frames from the task actor to the VM's runner. */
export const vmActorFrameSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("welcome"), credential: secretSchema.optional() }),
  z.object({
    type: z.literal("request"),
    id: z.string().min(1).max(100),
    method: z.enum(["GET", "PUT", "POST", "DELETE"]),
    /** A path of the runner's HTTP protocol: `/v1/health` or `/v1/workspaces/<id>[/<op>]`. */
    path: z.string().regex(/^\/v1\/[A-Za-z0-9_/-]{1,200}$/),
    body: z.string().optional(),
  }),
  z.object({ type: z.literal("cancel"), id: z.string().min(1).max(100) }),
]);
/** A frame from the task actor; see {@link vmActorFrameSchema}. */
export type VmActorFrame = z.infer<typeof vmActorFrameSchema>;

const relPathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.startsWith("/") && p.split("/").every((s) => s !== "" && s !== "." && s !== ".." && !s.includes("\0")), "not a plain relative path");

/**
 * Most bytes one part of a moving workspace carries: 8 MiB, counting each slice's content (raw,
 * before base64), its path and its JSON (runner/archive.ts), and at most 5,000 slices; so a part's
 * body (base64 and JSON, about 11 MiB) stays well under VM_MAX_FRAME_BYTES and the VM runner's
 * 32 MiB body limit, and sits in the actor's memory (128 MB) with room to spare. Larger files
 * travel in slices.
 */
export const WORKSPACE_PART_BYTES = 8 * 1024 * 1024;

/**
 * A slice of one file of a moving workspace: `tree` (`files`, the working copy; `base`, the
 * seeded originals, the diff base), its relative `path`, the file's whole `size` in bytes and its
 * permission bits, and `data` (base64) to write at byte `offset`. A slice at offset 0 creates (or
 * truncates) the file.
 */
export const workspaceChunkSchema = z.object({
  tree: z.enum(["files", "base"]),
  path: relPathSchema,
  size: z.number().int().nonnegative(),
  /** The file's permission bits (e.g. 0o755 for a script), set when the file is created. */
  mode: z.number().int().min(0).max(0o777).optional(),
  offset: z.number().int().nonnegative(),
  data: z.string(),
});
/** `{tree, path, size, mode?, offset, data}`; see {@link workspaceChunkSchema}. */
export type WorkspaceChunk = z.infer<typeof workspaceChunkSchema>;

/** Where the next part of an export starts: the `index` of an entry in the export's sorted listing, and the byte `offset` in it. */
export const exportCursorSchema = z.object({ index: z.number().int().nonnegative(), offset: z.number().int().nonnegative() });
/** `{index, offset}`; see {@link exportCursorSchema}. */
export type ExportCursor = z.infer<typeof exportCursorSchema>;

/**
 * One part of a workspace's export (runner/archive.ts): its slices in order, the entries left out
 * so far (symlinks, special files, as workspace-relative paths), and the cursor of the next part
 * (null: this was the last).
 */
export const workspacePartSchema = z.object({
  chunks: z.array(workspaceChunkSchema),
  skipped: z.array(z.string()),
  next: exportCursorSchema.nullable(),
});
/** `{chunks, skipped, next}`; see {@link workspacePartSchema}. */
export type WorkspacePart = z.infer<typeof workspacePartSchema>;
