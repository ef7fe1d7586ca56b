/**
 * Host-side git for workspaces made from a repository (issue 16, "Repositories"). Everything
 * here runs in the runner's own process tree, never in the sandbox:
 *
 * - a per-project cache of shallow fetches (`<repoCacheDir>/<cacheKey>/<sha256(url)[:24]>.git`,
 *   bare, outside every workspace), updated with `git fetch --depth 1` on each clone;
 * - the workspace's private git dir `<workspace>/git` (outside `files`, never mounted in the
 *   sandbox), borrowing the cache's objects (`objects/info/alternates`): the host commits and
 *   pushes from it with `files` as its work tree, so nothing a sandboxed command writes (hooks,
 *   `.git/config`) is ever run or read by the host's git;
 * - a plain `.git` inside `files` for the agent (`git status`, `git diff`, `git log` work
 *   offline), with `origin` set to the URL without any credential.
 *
 * The credential is passed per call and reaches git only through the child's environment
 * (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_0`/`GIT_CONFIG_VALUE_0` = `http.extraHeader: Authorization:
 * Basic base64("x-access-token:" + token)`, as GitHub takes fine-grained and App tokens): never
 * in arguments (visible in `ps`), a URL, a file or a log. Error messages are redacted.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { WorkspaceError } from "../workspace.ts";

/** Wall-clock limit of one git command, in ms (a fetch of a large repository included). */
export const GIT_COMMAND_TIMEOUT_MS = 300_000;
/** Most stderr kept for an error message, in characters. */
const MAX_STDERR_CHARS = 2000;

/** A failed git command; `message` is redacted and names what failed. */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitError";
  }
}

/** What {@link runGit} takes besides the arguments. */
export interface GitRun {
  /** The token to authenticate HTTP(S) requests with, passed in the environment only. */
  token?: string;
  /** Extra environment (author and committer identity). */
  env?: Record<string, string>;
  cwd?: string;
  /** Return stdout as it is (NUL-separated lists), not trimmed. */
  raw?: boolean;
}

/** The Authorization header git sends for `token` (HTTP Basic, user `x-access-token`). */
export function authorizationHeader(token: string): string {
  return `Authorization: Basic ${Buffer.from(`x-access-token:${token}`, "utf8").toString("base64")}`;
}

/** `text` with `secrets` (and their Basic-auth forms) replaced by `***`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of [secret, Buffer.from(`x-access-token:${secret}`, "utf8").toString("base64")]) out = out.split(form).join("***");
  }
  return out;
}

/**
 * Runs `git <args>` with no user or system configuration, no prompts and no hooks; returns its
 * stdout (trimmed). @throws GitError (redacted) on a non-zero exit, a timeout or a missing git.
 */
export function runGit(args: readonly string[], options: GitRun = {}): Promise<string> {
  const env: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin",
    HOME: "/nonexistent",
    LANG: "C.UTF-8",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "/bin/false",
    ...options.env,
  };
  if (options.token) {
    env.GIT_CONFIG_COUNT = "1";
    env.GIT_CONFIG_KEY_0 = "http.extraHeader";
    env.GIT_CONFIG_VALUE_0 = authorizationHeader(options.token);
  }
  const fullArgs = ["-c", "core.hooksPath=/dev/null", "-c", "safe.directory=*", "-c", "advice.detachedHead=false", ...args];
  return new Promise((resolve, reject) => {
    const child = spawn("git", fullArgs, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => {
      if (stderr.length < MAX_STDERR_CHARS) stderr += c.toString("utf8");
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), GIT_COMMAND_TIMEOUT_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new GitError(`git could not run: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        const text = Buffer.concat(out).toString("utf8");
        return resolve(options.raw ? text : text.trim());
      }
      const what = signal ? `was killed (${signal})` : `exited ${code}`;
      reject(new GitError(redact(`git ${subcommand(args)} ${what}: ${stderr.trim().slice(0, MAX_STDERR_CHARS)}`, [options.token])));
    });
  });
}

/** The git subcommand of `args` (after `--git-dir X`, `--work-tree X`, `-c X` and other options), for messages. */
function subcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--git-dir" || args[i] === "--work-tree" || args[i] === "-c") i++;
    else if (!args[i].startsWith("-")) return args[i];
  }
  return "";
}

/** One key's queue: a project's fetches into one cache directory, or one workspace's publishes, run one at a time. */
const cacheLocks = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier `withLock` call of `key` in this process settled; returns (or throws) what `fn` does. */
export async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = cacheLocks.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(fn);
  cacheLocks.set(key, next);
  try {
    return await next;
  } finally {
    if (cacheLocks.get(key) === next) cacheLocks.delete(key);
  }
}

/** What to clone: the repository, where to start and the branch to create. */
export interface CloneSpec {
  url: string;
  /** Branch, tag or commit to start from. */
  ref: string;
  /** The new branch (`sam/<taskId>`); also where to start when `resumeBranch` and it exists. */
  branch: string;
  /** Start from `branch` on the remote when it exists there (a mission's shared branch). */
  resumeBranch: boolean;
  /** Cache directory name: the project id. */
  cacheKey: string;
  token?: string;
}

/** The cache's bare repository for `url` under `cacheKey`. */
export function cachePath(repoCacheDir: string, cacheKey: string, url: string): string {
  const digest = createHash("sha256").update(url, "utf8").digest("hex").slice(0, 24);
  return path.join(repoCacheDir, cacheKey, `${digest}.git`);
}

/**
 * Updates the cache with a shallow fetch of `ref` (and of `branch` first, when `resumeBranch`)
 * and returns the commit to start from and the cache's path. @throws GitError (for example the
 * remote refused the credential, or the ref does not exist).
 */
export async function fetchIntoCache(repoCacheDir: string, spec: CloneSpec): Promise<{ cache: string; commit: string; startedFrom: string }> {
  const cache = cachePath(repoCacheDir, spec.cacheKey, spec.url);
  return withLock(cache, async () => {
    try {
      await fsp.access(path.join(cache, "HEAD"));
    } catch {
      await fsp.mkdir(path.dirname(cache), { recursive: true, mode: 0o700 });
      await runGit(["init", "-q", "--bare", cache]);
    }
    const fetch = async (ref: string): Promise<string> => {
      await runGit(["--git-dir", cache, "fetch", "-q", "--depth", "1", "--no-tags", "--", spec.url, ref], { token: spec.token });
      return runGit(["--git-dir", cache, "rev-parse", "--verify", "FETCH_HEAD^{commit}"]);
    };
    if (spec.resumeBranch) {
      try {
        return { cache, commit: await fetch(`refs/heads/${spec.branch}`), startedFrom: spec.branch };
      } catch (error) {
        if (!(error instanceof GitError) || !/couldn't find remote ref|not our ref/i.test(error.message)) throw error;
      }
    }
    return { cache, commit: await fetch(spec.ref), startedFrom: spec.ref };
  });
}

/**
 * Makes `root` (a new workspace directory holding `files` and `base`) a checkout of `commit`
 * from `cache` on `branch`: the private git dir `root/git`, the work tree in `root/files`, the
 * diff base `root/base` as a copy of it, and the agent's `files/.git` with `origin` = `url`.
 */
export async function checkoutWorkspace(root: string, cache: string, commit: string, branch: string, url: string): Promise<void> {
  const gitDir = path.join(root, "git");
  const files = path.join(root, "files");
  const base = path.join(root, "base");
  await runGit(["init", "-q", "--bare", gitDir]);
  await fsp.writeFile(path.join(gitDir, "objects", "info", "alternates"), `${path.join(cache, "objects")}\n`);
  try {
    await fsp.copyFile(path.join(cache, "shallow"), path.join(gitDir, "shallow"));
  } catch {
    // A repository with one commit has no shallow file.
  }
  const git = (...args: string[]) => runGit(["--git-dir", gitDir, "--work-tree", files, ...args]);
  await git("config", "core.bare", "false");
  await git("update-ref", `refs/heads/${branch}`, commit);
  await git("symbolic-ref", "HEAD", `refs/heads/${branch}`);
  await git("checkout", "-q", "-f", branch);
  // The diff base: the cloned tree, so the diff shows only the task's changes.
  await git("checkout-index", "-a", "-f", `--prefix=${base}/`);
  // The agent's own repository: the same commit, the plain URL as origin, no credential.
  const agentGit = path.join(files, ".git");
  await runGit(["init", "-q", "--initial-branch", branch, files]);
  await runGit(["--git-dir", agentGit, "fetch", "-q", "--depth", "1", "--no-tags", "--update-head-ok", gitDir, `refs/heads/${branch}:refs/heads/${branch}`]);
  await runGit(["--git-dir", agentGit, "--work-tree", files, "reset", "-q", "--mixed", branch]);
  await runGit(["--git-dir", agentGit, "remote", "add", "origin", url]);
}

/** Who a commit names: `{name, email}`. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** What {@link commitWorkspace} takes. */
export interface CommitSpec {
  message: string;
  author: GitIdentity;
  committer: GitIdentity;
  /** The commit the workspace was cloned at. */
  baseCommit: string;
}

/**
 * Commits every change of the work tree host-side, unless the branch already holds a commit of
 * this workspace's changes (idempotent after a crash). Returns the workspace's commit, or null
 * when nothing changed since `baseCommit`.
 * @throws GitError when staging or committing fails.
 */
export async function commitWorkspace(root: string, spec: CommitSpec): Promise<string | null> {
  const gitDir = path.join(root, "git");
  const files = path.join(root, "files");
  const git = (args: string[], run: GitRun = {}) => runGit(["--git-dir", gitDir, "--work-tree", files, ...args], run);
  await git(["add", "-A", "--", "."]);
  const staged = await git(["diff", "--cached", "--name-only", "-z"]);
  if (staged !== "") {
    await git(["commit", "-q", "--no-verify", "-m", spec.message], {
      env: {
        GIT_AUTHOR_NAME: spec.author.name,
        GIT_AUTHOR_EMAIL: spec.author.email,
        GIT_COMMITTER_NAME: spec.committer.name,
        GIT_COMMITTER_EMAIL: spec.committer.email,
      },
    });
  }
  const head = await git(["rev-parse", "--verify", "HEAD^{commit}"]);
  return head === spec.baseCommit ? null : head;
}

/** Pushes `commit` from the workspace's private git dir to `branch` of `url`. @throws GitError (a refusal: wrong credential, or the branch moved). */
export async function pushCommit(root: string, url: string, commit: string, branch: string, token?: string): Promise<void> {
  await runGit(["--git-dir", path.join(root, "git"), "push", "-q", "--", url, `${commit}:refs/heads/${branch}`], { token });
}

/** Throws WorkspaceError `invalid_input` when `url` is not a repository URL the runner fetches. */
export function checkRepositoryUrl(url: string, allowFileUrls: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new WorkspaceError("invalid_input", "repository url is not a URL");
  }
  const ok = parsed.protocol === "https:" || parsed.protocol === "http:" || (allowFileUrls && parsed.protocol === "file:");
  if (!ok) throw new WorkspaceError("invalid_input", `repository url scheme ${parsed.protocol} is not allowed`);
  if (parsed.username || parsed.password) throw new WorkspaceError("invalid_input", "repository url may not carry credentials");
}
