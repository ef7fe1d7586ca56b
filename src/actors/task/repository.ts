/**
 * A task's work on its project's repository (issue 16): the workspace made as a clone on the
 * task's branch, and on success with changes, the host-side commit and push and the pull request
 * opened through GitHub's REST API (`POST {GITHUB_API_BASE_URL}/repos/{owner}/{repo}/pulls`).
 *
 * Every step is journaled in the task's `repo_json` (`repository-rules.ts` `TaskRepoState`)
 * as soon as it is done, so a finish resumed after a crash redoes nothing: the runner's publish
 * is idempotent (no second commit), and an open pull request for the branch is looked up before
 * one is opened (no second pull request, also for a mission's shared branch). A failure to
 * push or open the pull request does not fail the task: it is `repo.error` and a transcript
 * message from `SAM`. The token is opened by the project actor for each call, given to the
 * runner and to GitHub, and never journaled, logged or put in a message.
 */
import { getAgentByName } from "agents";
import type { LeasedWorkspace } from "../../sandbox/open.ts";
import type { TranscriptEvent } from "../../shared/protocol.ts";
import { githubRepoOf } from "../../shared/repository.ts";
import { WorkspaceError } from "../../sandbox/workspace.ts";
import {
  commitAuthor,
  commitMessage,
  githubErrorText,
  parseRepoState,
  publishedNote,
  pullRequestContent,
  SAM_COMMITTER,
  taskBranch,
  transcriptUrl,
  type TaskRepoState,
} from "./repository-rules.ts";
import type { TaskRowStore } from "./row-store.ts";

/** GitHub's REST API version SAM speaks (the `X-GitHub-Api-Version` header). */
export const GITHUB_API_VERSION = "2022-11-28";
/** Default base of GitHub's REST API. */
const GITHUB_API_DEFAULT = "https://api.github.com";
/** Author of the transcript messages this module writes. */
export const REPOSITORY_NOTE_AUTHOR = "SAM";

/** What the module needs from its task actor. */
export interface TaskRepositoryHost {
  env: Env;
  store: TaskRowStore;
  /** Appends a transcript event (the task's journal). */
  append(event: { type: "message"; kind: "message"; from: string; text: string }): TranscriptEvent;
  /** Publishes events and the view to the project. */
  publish(events: TranscriptEvent[]): Promise<void>;
}

/** How a task ends, kept while its repository work runs (see `TaskRepoState.ending`). */
export type RepoEnding = NonNullable<TaskRepoState["ending"]>;

/** A pull request as SAM keeps it. */
type PullRequest = { number: number; url: string };

/** The task's repository work. One per task actor. */
export class TaskRepository {
  private readonly host: TaskRepositoryHost;

  constructor(host: TaskRepositoryHost) {
    this.host = host;
  }

  /** The journaled state, or null for a task without `repo`. */
  state(): TaskRepoState | null {
    return parseRepoState(this.host.store.mustRow().repo_json);
  }

  private save(change: Partial<TaskRepoState>): TaskRepoState {
    const next = { ...(this.state() ?? { request: {} }), ...change } as TaskRepoState;
    this.host.store.write(`UPDATE task SET repo_json = ?`, JSON.stringify(next));
    return next;
  }

  private async access(): Promise<{ url: string; defaultBranch: string; token: string | null }> {
    const row = this.host.store.mustRow();
    const project = await getAgentByName(this.host.env.ProjectAgent, row.project_id);
    const access = await project.repositoryAccess();
    if (!access) throw new Error("the project no longer names a repository");
    return access;
  }

  /**
   * Creates the workspace as a clone of the project's repository at the task's `ref` (the
   * default branch when absent) on its branch, with `seed` written over it. Journals the branch
   * and the commit it starts at. @throws Error when the clone fails (the message says why, e.g.
   * the credential was refused); `repo.error` then says it too.
   */
  async createWorkspace(workspace: LeasedWorkspace, seed: Record<string, string>): Promise<void> {
    const row = this.host.store.mustRow();
    const state = this.state();
    if (!state) return;
    const branch = taskBranch(row.id, row.mission_id, state.request);
    this.save({ branch });
    try {
      const access = await this.access();
      const result = await workspace.cloneRepository({
        url: access.url,
        ref: state.request.ref ?? access.defaultBranch,
        branch,
        resumeBranch: state.request.branch === "shared" && row.mission_id !== null,
        cacheKey: row.project_id,
        token: access.token ?? undefined,
        files: seed,
      });
      this.save({ baseCommit: result.commit });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.save({ error: message, done: true });
      throw new Error(`the repository could not be cloned: ${message}`);
    }
  }

  /** The ending journaled by a finish that did not complete (a crash while publishing), or null. */
  pendingEnding(): RepoEnding | null {
    const state = this.state();
    return state && !state.done ? state.ending : null;
  }

  /**
   * Finishes the task's repository work before the task ends: on `succeeded`, commits and pushes
   * its changes and opens (or finds) the pull request; on any other ending, nothing. Journals
   * `ending` first, and each step when done. Never throws for a git or GitHub failure: it is
   * `repo.error` and a transcript message.
   */
  async finish(workspace: LeasedWorkspace, ending: RepoEnding, changedFiles: readonly string[]): Promise<void> {
    let state = this.state();
    if (!state || state.done) return;
    if (ending.status !== "succeeded" || state.baseCommit === null) {
      this.save({ done: true });
      return;
    }
    state = this.save({ ending });
    const row = this.host.store.mustRow();
    const notes: TranscriptEvent[] = [];
    try {
      const access = await this.access();
      if (!state.published) {
        const author = commitAuthor(row.user_id, await this.userName(row.user_id));
        const pushed = await workspace.publishRepository({
          url: access.url,
          message: commitMessage(row.id, ending.summary),
          author,
          committer: SAM_COMMITTER,
          token: access.token ?? undefined,
          // A shared mission branch may have moved on; a change that conflicts with it goes to the task's own branch.
          fallbackBranch: state.branch === taskBranch(row.id, null, state.request) ? undefined : taskBranch(row.id, null, state.request),
        });
        // A change that conflicted with the shared branch asks to be merged into it, not into the default branch.
        state = this.save({ commit: pushed.commit, published: true, branch: pushed.branch, pullRequestBase: pushed.conflictedWith });
        if (pushed.commit === null) {
          this.save({ done: true });
          return;
        }
        notes.push(this.host.append({ type: "message", kind: "message", from: REPOSITORY_NOTE_AUTHOR, text: publishedNote(pushed.branch, pushed.commit, pushed) }));
      }
      if (!state.pullRequest && state.commit) {
        if (!access.token) throw new Error("the project's repository has no credential: a pull request needs one (PUT .../repository-credential)");
        const content = pullRequestContent({ taskId: row.id, summary: ending.summary, changedFiles, transcriptUrl: transcriptUrl(this.host.env.SAM_PUBLIC_URL, row.id) });
        const pr = await this.openPullRequest(access.url, access.token, state.branch ?? "", state.pullRequestBase ?? access.defaultBranch, content);
        this.save({ pullRequest: pr });
        notes.push(this.host.append({ type: "message", kind: "message", from: REPOSITORY_NOTE_AUTHOR, text: `Pull request #${pr.number}: ${pr.url}` }));
      }
      this.save({ done: true });
    } catch (error) {
      const message = error instanceof WorkspaceError || error instanceof Error ? error.message : String(error);
      this.save({ error: message, done: true });
      notes.push(this.host.append({ type: "message", kind: "message", from: REPOSITORY_NOTE_AUTHOR, text: `The branch or pull request failed: ${message}` }));
    } finally {
      if (notes.length > 0) await this.host.publish(notes);
    }
  }

  /** The display name of the person who started the task (D1 `users`), or null. */
  private async userName(userId: string): Promise<string | null> {
    try {
      const row = await this.host.env.DB.prepare(`SELECT name FROM users WHERE id = ?`).bind(userId).first<{ name: string }>();
      return row?.name ?? null;
    } catch {
      return null;
    }
  }

  /**
   * The open pull request of `head` into `base`, found (`GET .../pulls?head=owner:branch&state=open`)
   * or opened (`POST .../pulls`). @throws Error with GitHub's answer in words.
   */
  private async openPullRequest(url: string, token: string, head: string, base: string, content: { title: string; body: string }): Promise<PullRequest> {
    const repo = githubRepoOf(url);
    if (!repo) throw new Error(`cannot tell the GitHub owner and repository from ${url}`);
    const api = `${(this.host.env.GITHUB_API_BASE_URL ?? GITHUB_API_DEFAULT).replace(/\/+$/, "")}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}/pulls`;
    const headers = {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${token}`,
      "x-github-api-version": GITHUB_API_VERSION,
      "user-agent": "SAM",
    };
    const found = await fetch(`${api}?state=open&head=${encodeURIComponent(`${repo.owner}:${head}`)}`, { headers });
    const list = (await found.json().catch(() => null)) as unknown;
    if (!found.ok) throw new Error(githubErrorText(found.status, list));
    const existing = Array.isArray(list) ? (list as { number?: unknown; html_url?: unknown }[]).find((p) => typeof p.number === "number" && typeof p.html_url === "string") : undefined;
    if (existing) return { number: existing.number as number, url: existing.html_url as string };
    const opened = await fetch(api, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ title: content.title, head, base, body: content.body }),
    });
    const answer = (await opened.json().catch(() => null)) as { number?: unknown; html_url?: unknown } | null;
    if (!opened.ok || typeof answer?.number !== "number" || typeof answer.html_url !== "string") throw new Error(githubErrorText(opened.status, answer));
    return { number: answer.number, url: answer.html_url };
  }
}
