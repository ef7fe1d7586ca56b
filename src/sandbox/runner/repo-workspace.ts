/**
 * The runner's repository operations (routes `clone` and `publish` of `protocol.ts`): a
 * workspace made as a clone of a repository, and its changes committed and pushed, host-side
 * (git.ts). On disk, besides `files`, `base` and `meta.json` (server.ts): `git` (the private git
 * dir, never mounted in the sandbox) and `repo.json` ({@link RepoMeta}).
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { WorkspaceError } from "../workspace.ts";
import { writeWorkspaceFile } from "./files.ts";
import { checkoutWorkspace, checkRepositoryUrl, commitWorkspace, fetchIntoCache, GitError, withLock } from "./git.ts";
import { publishCommit } from "./git-replay.ts";
import type { CloneRequest, CloneResult, PublishRequest, PublishResult } from "./protocol.ts";

/** What the runner remembers of a cloned workspace (`<id>/repo.json`). */
const repoMetaSchema = z.object({ url: z.string(), branch: z.string(), baseCommit: z.string() });
/** `{url, branch, baseCommit}`: where it came from, its branch, the commit it was cloned at. */
export type RepoMeta = z.infer<typeof repoMetaSchema>;

/** Where the runner keeps workspaces and the repository cache, and what it allows. */
export interface RepoContext {
  workspacesDir: string;
  repoCacheDir: string;
  /** Accept `file://` repository URLs (tests and benches only). */
  allowFileUrls: boolean;
}

async function readRepoMeta(root: string): Promise<RepoMeta | null> {
  try {
    const parsed = repoMetaSchema.safeParse(JSON.parse(await fsp.readFile(path.join(root, "repo.json"), "utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A git failure as a WorkspaceError `repository_error` carrying git's (redacted) message. */
function asWorkspaceError(error: unknown, what: string): unknown {
  if (error instanceof GitError) return new WorkspaceError("repository_error", `${what}: ${error.message}`);
  return error;
}

/**
 * Creates workspace `id` as a clone (see `cloneRequestSchema`), unless it exists. Built in a temp
 * dir and renamed into place like a seeded workspace. Returns the result and whether it was new.
 * @throws WorkspaceError `invalid_input` (URL, seed paths) or `repository_error` (git failed:
 *   unreachable remote, refused credential, unknown ref — the message says which).
 */
export async function cloneWorkspace(ctx: RepoContext, id: string, req: CloneRequest): Promise<CloneResult> {
  checkRepositoryUrl(req.url, ctx.allowFileUrls);
  const root = path.join(ctx.workspacesDir, id);
  const existing = await readRepoMeta(root);
  if (existing) return { id, created: false, commit: existing.baseCommit, branch: existing.branch };
  const tmp = path.join(ctx.workspacesDir, `.tmp-${id}-${randomBytes(6).toString("hex")}`);
  try {
    const spec = { url: req.url, ref: req.ref, branch: req.branch, resumeBranch: req.resumeBranch ?? false, cacheKey: req.cacheKey, token: req.token };
    let fetched: Awaited<ReturnType<typeof fetchIntoCache>>;
    try {
      fetched = await fetchIntoCache(ctx.repoCacheDir, spec);
    } catch (error) {
      throw asWorkspaceError(error, `could not fetch ${req.url} at ${req.ref}`);
    }
    await fsp.mkdir(tmp, { mode: 0o700 });
    await Promise.all([fsp.mkdir(path.join(tmp, "files"), { mode: 0o755 }), fsp.mkdir(path.join(tmp, "base"), { mode: 0o755 })]);
    try {
      await checkoutWorkspace(tmp, fetched.cache, fetched.commit, req.branch, req.url);
    } catch (error) {
      throw asWorkspaceError(error, `could not check out ${req.url} at ${fetched.startedFrom}`);
    }
    for (const [rel, content] of Object.entries(req.files ?? {})) await writeWorkspaceFile(path.join(tmp, "files"), rel, content);
    const meta: RepoMeta = { url: req.url, branch: req.branch, baseCommit: fetched.commit };
    await fsp.writeFile(path.join(tmp, "repo.json"), JSON.stringify(meta));
    await fsp.writeFile(path.join(tmp, "meta.json"), JSON.stringify({ network: req.network ?? false }));
    try {
      await fsp.rename(tmp, root);
      return { id, created: true, commit: fetched.commit, branch: req.branch };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      const winner = await readRepoMeta(root);
      if (!winner) throw new WorkspaceError("invalid_input", `workspace ${id} exists and was not made from a repository`);
      return { id, created: false, commit: winner.baseCommit, branch: winner.branch };
    }
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/**
 * Commits workspace `id`'s changes and pushes its branch, replayed onto the branch's new tip when
 * it moved meanwhile, or to `fallbackBranch` when the change conflicts (git-replay.ts; see
 * `publishRequestSchema`).
 * @throws WorkspaceError `workspace_unavailable` (no such workspace), `invalid_input` (not made
 *   from a repository, another URL) or `repository_error` (git failed; the message says why).
 */
export async function publishWorkspace(ctx: RepoContext, id: string, req: PublishRequest): Promise<PublishResult> {
  checkRepositoryUrl(req.url, ctx.allowFileUrls);
  const root = path.join(ctx.workspacesDir, id);
  const meta = await readRepoMeta(root);
  if (!meta) {
    const exists = await fsp.stat(root).then(() => true, () => false);
    if (!exists) throw new WorkspaceError("workspace_unavailable", `workspace ${id} does not exist`);
    throw new WorkspaceError("invalid_input", `workspace ${id} was not made from a repository`);
  }
  if (meta.url !== req.url) throw new WorkspaceError("invalid_input", "the workspace was cloned from another repository url");
  try {
    // One publish of a workspace at a time (a finish resumed while an earlier request still runs waits for it).
    return await withLock(`publish ${root}`, async () => {
      const head = await commitWorkspace(root, { ...req, baseCommit: meta.baseCommit });
      if (head === null) return { commit: null, pushed: false, branch: meta.branch, replayedOnto: null, conflictedWith: null };
      const published = await publishCommit({ ...req, root, branch: meta.branch, baseCommit: meta.baseCommit, head });
      return { ...published, pushed: true };
    });
  } catch (error) {
    throw asWorkspaceError(error, `could not commit and push ${meta.branch} to ${req.url}`);
  }
}
