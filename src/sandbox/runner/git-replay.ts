/**
 * Replaying a workspace's commit onto a branch that moved on while the task ran (issue 16's
 * shared mission branch: several tasks of one mission clone `sam/<missionId>`, each commits, and
 * every push after the first is refused as not a fast-forward). Host-side, in the workspace's
 * private git dir, never touching the work tree:
 *
 * 1. fetch the branch's new tip (`--depth 1`: only its tree is needed);
 * 2. take the task's change as a binary patch with full blob ids (`git diff --binary --full-index base head`);
 * 3. when no path the change touches differs between the tip and the workspace's commit, the tip
 *    already holds it (a publish resumed after its push went through): nothing to push;
 * 4. else, in a scratch index holding the tip's tree, merge it three ways (`git apply --cached
 *    --3way`: the base blobs are in the project's cache the private git dir borrows from), so a
 *    change to other lines of a file merges and a change to lines another task changed too is a
 *    conflict (as is any patch git cannot apply: a file where the tip has a directory, a type
 *    change); a merge that changes nothing of the tip means it holds the change already; else the
 *    result is written as a commit on top of the tip, with the task's message and identities.
 *
 * Merging from the patch's recorded blobs keeps this working on the shallow clones SAM makes
 * (git 2.39's `merge-tree` cannot be given a merge base, and a shallow history has none). `publishCommit` pushes, replays when refused as stale (up
 * to MAX_REPLAYS times: other tasks may push in between), and when the change conflicts pushes it
 * to the task's own branch instead, so a task's work is never left unpublished.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { GitError, pushCommit, runGit, type GitIdentity } from "./git.ts";

/** What {@link replayOntoBranch} takes: the workspace's change, where it goes, who it is by. */
export interface ReplaySpec {
  /** The workspace root (`<root>/git` is its private git dir; scratch files go in `<root>`). */
  root: string;
  url: string;
  branch: string;
  token?: string;
  /** The commit the workspace was cloned at, and the workspace's commit on top of it. */
  baseCommit: string;
  head: string;
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
}

/**
 * The outcome: `replayed` (a new commit on top of `tip`, to push), `already` (the tip holds the
 * change: nothing to push), or `conflict` (the change does not apply on the tip).
 */
export type ReplayResult = { kind: "replayed"; commit: string; tip: string } | { kind: "already"; tip: string } | { kind: "conflict"; tip: string };

/**
 * Whether `error` is a push the remote refused because the branch moved: not a fast-forward, or
 * another push updating (or creating) the same branch at that moment (`cannot lock ref`; not a
 * branch name that clashes with another for good, `'refs/heads/x' exists; cannot create`).
 */
export function isStalePush(error: unknown): boolean {
  if (!(error instanceof GitError) || /exists; cannot create/i.test(error.message)) return false;
  return /\[rejected\]|non-fast-forward|fetch first|cannot lock ref|failed to update ref/i.test(error.message);
}

/**
 * Whether `error` is `git apply --3way` refusing the change on the tip: any exit of git apply
 * (a merge conflict, a patch that does not apply, a file where the tip has a directory, a type
 * change) as opposed to git not running or being killed at its deadline.
 */
function isConflict(error: unknown): boolean {
  return error instanceof GitError && /^git apply exited \d+:/.test(error.message);
}

/**
 * Replays `spec.head`'s change onto the remote branch's current tip (steps above).
 * @throws GitError when fetching the tip, reading or writing objects fails.
 */
export async function replayOntoBranch(spec: ReplaySpec): Promise<ReplayResult> {
  const gitDir = path.join(spec.root, "git");
  // Scratch files of this replay alone (outside `files`, never seen by the sandbox).
  const scratchId = randomBytes(6).toString("hex");
  const patch = path.join(spec.root, `replay-${scratchId}.patch`);
  const index = path.join(spec.root, `replay-${scratchId}.index`);
  // An empty work tree of its own: `git apply --cached --3way` writes a file it merged (an add/add)
  // to the work tree too, which without one is the runner's working directory.
  const tree = path.join(spec.root, `replay-${scratchId}.tree`);
  await fsp.mkdir(tree);
  const git = (args: string[], env: Record<string, string> = {}) => runGit(["--git-dir", gitDir, "--work-tree", tree, ...args], { env, token: spec.token, cwd: tree });
  const gitRaw = (args: string[]) => runGit(["--git-dir", gitDir, "--work-tree", tree, ...args], { token: spec.token, cwd: tree, raw: true });
  const scratch = { GIT_INDEX_FILE: index };
  try {
    await git(["fetch", "-q", "--depth", "1", "--no-tags", "--", spec.url, `+refs/heads/${spec.branch}:refs/sam/replay-tip`]);
    const tip = await git(["rev-parse", "--verify", "refs/sam/replay-tip^{commit}"]);
    await git(["diff", "--binary", "--full-index", "--no-renames", `--output=${patch}`, spec.baseCommit, spec.head]);
    const changed = (from: string, to: string) => gitRaw(["diff", "--name-only", "-z", "--no-renames", from, to]).then((out) => out.split("\0").filter((p) => p !== ""));
    const paths = await changed(spec.baseCommit, spec.head);
    const differing = new Set(await changed(tip, spec.head));
    if (!paths.some((p) => differing.has(p))) return { kind: "already", tip };
    await git(["read-tree", tip], scratch);
    try {
      await git(["apply", "--cached", "--3way", patch], scratch);
    } catch (error) {
      if (isConflict(error)) return { kind: "conflict", tip };
      throw error;
    }
    const merged = await git(["write-tree"], scratch);
    if (merged === (await git(["rev-parse", "--verify", `${tip}^{tree}`]))) return { kind: "already", tip };
    const commit = await git(["commit-tree", merged, "-p", tip, "-m", spec.message], {
      GIT_AUTHOR_NAME: spec.author.name,
      GIT_AUTHOR_EMAIL: spec.author.email,
      GIT_COMMITTER_NAME: spec.committer.name,
      GIT_COMMITTER_EMAIL: spec.committer.email,
    });
    return { kind: "replayed", commit, tip };
  } finally {
    await Promise.all([fsp.rm(patch, { force: true }), fsp.rm(index, { force: true }), fsp.rm(tree, { recursive: true, force: true })]);
  }
}

/** How many times a refused push is replayed and tried again before the refusal is final. */
export const MAX_REPLAYS = 5;

/** What {@link publishCommit} takes: a replay's spec, and where a conflicting change goes instead. */
export interface PublishCommitSpec extends ReplaySpec {
  /** The branch to push to when the change conflicts with `branch` (the task's own `sam/<taskId>`); none: a conflict is an error. */
  fallbackBranch?: string;
}

/**
 * Where the workspace's change was published: `commit` on `branch`; `replayedOnto`, the tip it
 * was replayed onto (null when pushed as made); `conflictedWith`, the branch it could not join
 * (null unless it went to the fallback branch).
 */
export interface PublishedCommit {
  commit: string;
  branch: string;
  replayedOnto: string | null;
  conflictedWith: string | null;
}

/**
 * Pushes `spec.head` to `spec.branch`; when refused because the branch moved, replays it onto
 * the new tip and pushes that (see the module's comment).
 * @throws GitError for any other refusal, a conflict without `fallbackBranch`, or a branch that
 *   kept moving over MAX_REPLAYS tries.
 */
export async function publishCommit(spec: PublishCommitSpec): Promise<PublishedCommit> {
  let candidate = spec.head;
  let replayedOnto: string | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      await pushCommit(spec.root, spec.url, candidate, spec.branch, spec.token);
      return { commit: candidate, branch: spec.branch, replayedOnto, conflictedWith: null };
    } catch (error) {
      if (!isStalePush(error) || attempt >= MAX_REPLAYS) throw error;
    }
    let replay: ReplayResult;
    try {
      replay = await replayOntoBranch(spec);
    } catch (error) {
      // The branch's creation by another push was not finished when we looked: push again.
      if (error instanceof GitError && /couldn't find remote ref/i.test(error.message)) continue;
      throw error;
    }
    if (replay.kind === "already") return { commit: replay.tip, branch: spec.branch, replayedOnto: null, conflictedWith: null };
    if (replay.kind === "conflict") {
      if (!spec.fallbackBranch) throw new GitError(`the change conflicts with what was pushed to ${spec.branch} meanwhile (now at ${replay.tip.slice(0, 12)})`);
      await pushCommit(spec.root, spec.url, spec.head, spec.fallbackBranch, spec.token);
      return { commit: spec.head, branch: spec.fallbackBranch, replayedOnto: null, conflictedWith: spec.branch };
    }
    candidate = replay.commit;
    replayedOnto = replay.tip;
  }
}
