/**
 * The local runner's HTTP service (contract: `protocol.ts`). The Worker reaches it over
 * loopback to run a task's workspace operations; commands run in bubblewrap (`sandbox.ts`),
 * file operations run here with workspace-confined path resolution (`paths.ts`).
 *
 * On disk: `<workspacesDir>/<id>/files` (the working copy, mounted at /workspace),
 * `<workspacesDir>/<id>/base` (the seeded originals, for diff) and `<id>/meta.json`;
 * `<workspacesDir>/.runner/` holds runner state (ids cannot start with a dot).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { promises as fsp } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { z } from "zod";
import {
  EXEC_DEFAULT_MAX_OUTPUT_BYTES,
  EXEC_DEFAULT_TIMEOUT_MS,
  WorkspaceError,
  type WorkspaceErrorCode,
} from "../workspace.ts";
import { changedWorkspaceFiles, diffWorkspace } from "./diff.ts";
import { listWorkspace, readWorkspaceFile, writeWorkspaceFile } from "./files.ts";
import {
  cloneRequestSchema,
  createRequestSchema,
  exportRequestSchema,
  importRequestSchema,
  publishRequestSchema,
  execRequestSchema,
  listRequestSchema,
  readRequestSchema,
  searchRequestSchema,
  workspaceIdSchema,
  writeRequestSchema,
} from "./protocol.ts";
import { createExecutor, type ExecProfile, type Executor, type IsolationInfo } from "./sandbox.ts";
import { cloneWorkspace, publishWorkspace, type RepoContext } from "./repo-workspace.ts";
import { searchWorkspace } from "./search.ts";
import { exportPart, importPart } from "./archive.ts";

/** Options of {@link startRunner}. */
export interface RunnerOptions {
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Interface to listen on (default 127.0.0.1: loopback only). */
  host?: string;
  /** Bearer secret every request must carry (SAM_RUNNER_SECRET). */
  secret: string;
  /** Directory holding one sub-directory per workspace (created if missing). */
  workspacesDir: string;
  /** Run commands unsandboxed when bubblewrap is unavailable (unsafe; warns once). */
  allowUnsandboxed?: boolean;
  /** Isolation probe result, for tests; probed with `detectIsolation()` when omitted. */
  isolation?: IsolationInfo;
  /** The commands' machine profile (default the sandbox's; a runner in VM mode passes `VM_PROFILE`). */
  profile?: ExecProfile;
  /** Where shallow repository fetches are cached per project (default `<workspacesDir>/../repo-cache`; outside every workspace). */
  repoCacheDir?: string;
  /** Accept `file://` repository URLs (tests and benches only; never in `npm start`). */
  allowFileRepositories?: boolean;
}

/** A started runner. */
export interface RunningRunner {
  /** Base URL, e.g. `http://127.0.0.1:8788`. */
  url: string;
  port: number;
  /** Kills running commands and stops listening; resolves when the server has closed. */
  close(): Promise<void>;
}

/** Largest request body accepted, in bytes. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

const STATUS: Record<WorkspaceErrorCode | "unauthorized", number> = {
  invalid_input: 400,
  path_outside_workspace: 400,
  is_directory: 400,
  unauthorized: 401,
  not_found: 404,
  workspace_unavailable: 404,
  sandbox_unavailable: 503,
  cancelled: 409,
  repository_error: 502,
};

const metaSchema = z.object({ network: z.boolean() });
type Meta = z.infer<typeof metaSchema>;

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

function errorCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

/** Reads the whole body (at most {@link MAX_BODY_BYTES}) and parses it as JSON; empty is `{}`. */
async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size <= MAX_BODY_BYTES) chunks.push(buf);
  }
  if (size > MAX_BODY_BYTES) throw new WorkspaceError("invalid_input", `request body over ${MAX_BODY_BYTES} bytes`);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new WorkspaceError("invalid_input", "request body is not valid JSON");
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detail = result.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`)
    .join("; ");
  throw new WorkspaceError("invalid_input", `invalid request: ${detail}`);
}

/**
 * Starts the runner. Takes {@link RunnerOptions}; returns the listening {@link RunningRunner}.
 * Throws if the secret is empty, the workspaces dir cannot be created, or listening fails.
 */
export async function startRunner(options: RunnerOptions): Promise<RunningRunner> {
  if (!options.secret) throw new Error("startRunner: a non-empty secret is required");
  const host = options.host ?? "127.0.0.1";
  const workspacesDir = path.resolve(options.workspacesDir);
  // 0700: files a sandboxed command marks setuid must not be reachable by other host users.
  await fsp.mkdir(workspacesDir, { recursive: true, mode: 0o700 });
  const executor = await createExecutor({
    stateDir: path.join(workspacesDir, ".runner"),
    allowUnsandboxed: options.allowUnsandboxed ?? false,
    isolation: options.isolation,
    profile: options.profile,
  });
  const secretHash = sha256(options.secret);
  const store = new WorkspaceStore(workspacesDir);
  const repo: RepoContext = {
    workspacesDir,
    repoCacheDir: path.resolve(options.repoCacheDir ?? path.join(path.dirname(workspacesDir), "repo-cache")),
    allowFileUrls: options.allowFileRepositories ?? false,
  };

  const server = http.createServer((req, res) => {
    handle(req, res, { executor, store, secretHash, repo }).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: "internal", message: "internal error" } });
      else res.destroy();
      console.error(`runner: internal error on ${req.method ?? "?"} ${routeOf(req.url)}: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        executor.killAll();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Route shape for logs: workspace ids are kept, query strings dropped. */
function routeOf(url: string | undefined): string {
  return (url ?? "").split("?")[0].slice(0, 200);
}

interface Context {
  executor: Executor;
  store: WorkspaceStore;
  secretHash: Buffer;
  repo: RepoContext;
}

function authorized(req: http.IncomingMessage, secretHash: Buffer): boolean {
  const header = req.headers.authorization ?? "";
  const match = /^Bearer (.+)$/.exec(header);
  return match !== null && timingSafeEqual(sha256(match[1]), secretHash);
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, ctx: Context): Promise<void> {
  try {
    if (!authorized(req, ctx.secretHash)) {
      req.resume();
      throw new HttpError(401, "unauthorized", "missing or wrong bearer secret");
    }
    const segments = routeOf(req.url).split("/").filter((s) => s !== "");
    const method = req.method ?? "GET";
    const body = await readJson(req);
    // A client that hangs up before the answer (a cancelled task) stops its command.
    const hangUp = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) hangUp.abort();
    });
    const [status, result] = await route(method, segments, body, ctx, hangUp.signal);
    sendJson(res, status, result);
  } catch (err) {
    if (err instanceof HttpError) return sendJson(res, err.status, { error: { code: err.code, message: err.message } });
    if (err instanceof WorkspaceError) {
      return sendJson(res, STATUS[err.code] ?? 400, { error: { code: err.code, message: err.message } });
    }
    throw err;
  }
}

async function route(method: string, seg: string[], body: unknown, ctx: Context, signal: AbortSignal): Promise<[number, unknown]> {
  if (seg[0] !== "v1") throw new HttpError(404, "not_found", "no such route");
  if (seg.length === 2 && seg[1] === "health" && method === "GET") {
    return [200, { ok: true, isolation: ctx.executor.isolation }];
  }
  if (seg[1] !== "workspaces" || seg.length < 3 || seg.length > 4) throw new HttpError(404, "not_found", "no such route");
  // Valid ids need no escaping, so the raw segment is checked as is.
  const id = workspaceIdSchema.safeParse(seg[2]);
  if (!id.success) throw new WorkspaceError("invalid_input", "invalid workspace id");
  const ws = ctx.store.paths(id.data);

  if (seg.length === 3) {
    if (method === "PUT") {
      const created = await ctx.store.create(id.data, parse(createRequestSchema, body));
      return [created ? 201 : 200, { id: id.data, created }];
    }
    if (method === "DELETE") return [200, { deleted: await ctx.store.remove(id.data) }];
    throw new HttpError(404, "not_found", "no such route");
  }
  if (method !== "POST") throw new HttpError(404, "not_found", "no such route");
  const op = seg[3];
  switch (op) {
    case "clone": {
      const result = await cloneWorkspace(ctx.repo, id.data, parse(cloneRequestSchema, body));
      return [result.created ? 201 : 200, result];
    }
    case "publish":
      return [200, await publishWorkspace(ctx.repo, id.data, parse(publishRequestSchema, body))];
    case "exec": {
      const req = parse(execRequestSchema, body);
      const meta = await ctx.store.meta(id.data);
      return [
        200,
        await ctx.executor.run({
          filesDir: ws.files,
          command: req.command,
          network: meta.network,
          timeoutMs: req.timeoutMs ?? EXEC_DEFAULT_TIMEOUT_MS,
          maxOutputBytes: req.maxOutputBytes ?? EXEC_DEFAULT_MAX_OUTPUT_BYTES,
          signal,
        }),
      ];
    }
    case "read": {
      const req = parse(readRequestSchema, body);
      await ctx.store.meta(id.data);
      return [200, { content: await readWorkspaceFile(ws.files, req.path) }];
    }
    case "write": {
      const req = parse(writeRequestSchema, body);
      await ctx.store.meta(id.data);
      return [200, await writeWorkspaceFile(ws.files, req.path, req.content)];
    }
    case "list": {
      const req = parse(listRequestSchema, body);
      await ctx.store.meta(id.data);
      return [200, await listWorkspace(ws.files, req.path)];
    }
    case "search": {
      const req = parse(searchRequestSchema, body);
      await ctx.store.meta(id.data);
      return [200, await searchWorkspace(ws.files, req.pattern, req.path)];
    }
    case "diff": {
      parse(z.object({}), body);
      await ctx.store.meta(id.data);
      return [200, await diffWorkspace(ws.base, ws.files)];
    }
    case "changes": {
      parse(z.object({}), body);
      await ctx.store.meta(id.data);
      return [200, { changedFiles: await changedWorkspaceFiles(ws.base, ws.files) }];
    }
    // Moving a workspace to another runner (issue 16, archive.ts).
    case "export": {
      const req = parse(exportRequestSchema, body);
      await ctx.store.meta(id.data);
      return [200, await exportPart(ws.files, ws.base, req.cursor, req.maxBytes)];
    }
    case "import": {
      const req = parse(importRequestSchema, body);
      const created = await ctx.store.create(id.data, { network: req.network });
      // Written even when the workspace existed: a move interrupted halfway starts again from its first part.
      await importPart(ws.files, ws.base, req.chunks);
      return [created ? 201 : 200, { id: id.data, created }];
    }
    default:
      throw new HttpError(404, "not_found", "no such route");
  }
}

/** Workspace directories on disk. Ids are validated by the caller. */
class WorkspaceStore {
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  paths(id: string): { root: string; files: string; base: string; meta: string } {
    const root = path.join(this.dir, id);
    return { root, files: path.join(root, "files"), base: path.join(root, "base"), meta: path.join(root, "meta.json") };
  }

  /** Returns the workspace's settings; throws `workspace_unavailable` if it does not exist. */
  async meta(id: string): Promise<Meta> {
    const p = this.paths(id);
    try {
      const [text, st] = await Promise.all([fsp.readFile(p.meta, "utf8"), fsp.stat(p.files)]);
      const meta = metaSchema.safeParse(JSON.parse(text));
      if (st.isDirectory() && meta.success) return meta.data;
    } catch {
      // fall through
    }
    throw new WorkspaceError("workspace_unavailable", `workspace ${id} does not exist`);
  }

  /**
   * Creates and seeds the workspace unless it exists. Built in a temp dir and renamed into
   * place, so concurrent creators and commands never see a half-seeded workspace.
   * Returns true when created; throws WorkspaceError for bad seed paths.
   */
  async create(id: string, req: z.infer<typeof createRequestSchema>): Promise<boolean> {
    const p = this.paths(id);
    if (await exists(p.root)) return false;
    const tmp = path.join(this.dir, `.tmp-${id}-${randomBytes(6).toString("hex")}`);
    try {
      await fsp.mkdir(tmp, { mode: 0o700 });
      const files = path.join(tmp, "files");
      const base = path.join(tmp, "base");
      await Promise.all([fsp.mkdir(files, { mode: 0o755 }), fsp.mkdir(base, { mode: 0o755 })]);
      for (const [rel, content] of Object.entries(req.files ?? {})) {
        await writeWorkspaceFile(files, rel, content);
        await writeWorkspaceFile(base, rel, content);
      }
      const meta: Meta = { network: req.network ?? false };
      await fsp.writeFile(path.join(tmp, "meta.json"), JSON.stringify(meta));
      try {
        await fsp.rename(tmp, p.root);
        return true;
      } catch (err) {
        if (errorCode(err) === "ENOTEMPTY" || errorCode(err) === "EEXIST") return false;
        throw err;
      }
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }

  /** Deletes the workspace; returns whether it existed. */
  async remove(id: string): Promise<boolean> {
    const p = this.paths(id);
    const trash = path.join(this.dir, `.trash-${id}-${randomBytes(6).toString("hex")}`);
    try {
      await fsp.rename(p.root, trash);
    } catch (err) {
      if (errorCode(err) === "ENOENT") return false;
      throw err;
    }
    await fsp.rm(trash, { recursive: true, force: true });
    return true;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}
