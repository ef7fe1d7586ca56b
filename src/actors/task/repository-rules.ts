/**
 * The pure rules of a task's work on a repository (issue 16): its branch, the commit's message
 * and identities, the pull request's title and body, the GitHub repository a URL names, and the
 * state the task journals (`repo_json`) with the view it shows. No I/O.
 */
import { z } from "zod";
import { taskFailureSchema } from "../../shared/protocol.ts";
import type { TaskRepoRequest, TaskRepoView } from "../../shared/repository.ts";

/** Longest first line of a commit message (git's and GitHub's convention: 72 characters). */
export const COMMIT_SUBJECT_MAX_CHARS = 72;
/** The committer of every commit SAM makes. */
export const SAM_COMMITTER = { name: "SAM", email: "sam@users.noreply.sam.invalid" } as const;

/**
 * The branch a task works on: `sam/<missionId>` for a mission's task with `branch: "shared"`,
 * else `sam/<taskId>`.
 */
export function taskBranch(taskId: string, missionId: string | null, request: TaskRepoRequest): string {
  return request.branch === "shared" && missionId ? `sam/${missionId}` : `sam/${taskId}`;
}

/** A noreply email for a SAM user (`<userId>@users.noreply.sam.invalid`: never a real mailbox, RFC 2606). */
export function noreplyEmail(userId: string): string {
  return `${userId.replace(/[^A-Za-z0-9_.-]/g, "_")}@users.noreply.sam.invalid`;
}

/** The author of a task's commit: the person who started it (their name, else their id) and their noreply email. */
export function commitAuthor(userId: string, name: string | null): { name: string; email: string } {
  const clean = (name ?? "").replace(/[<>\n\r\u0000]/g, "").trim();
  return { name: clean || userId, email: noreplyEmail(userId) };
}

/**
 * The first line of `text` fit for a commit subject or PR title: the first non-empty line,
 * Markdown heading marks dropped, cut to {@link COMMIT_SUBJECT_MAX_CHARS} with "…".
 */
export function subjectLine(text: string, fallback: string): string {
  const line =
    text
      .split("\n")
      .map((l) => l.trim().replace(/^#+\s*/, "").trim())
      .find((l) => l !== "") ?? "";
  const subject = line || fallback;
  return subject.length <= COMMIT_SUBJECT_MAX_CHARS ? subject : `${subject.slice(0, COMMIT_SUBJECT_MAX_CHARS - 1).trimEnd()}…`;
}

/** The commit message: the summary's first line as the subject, then the summary and the task id. */
export function commitMessage(taskId: string, summary: string | null): string {
  const text = (summary ?? "").trim();
  const subject = subjectLine(text, `SAM task ${taskId}`);
  const body = text && text !== subject ? `\n\n${text}` : "";
  return `${subject}${body}\n\nSAM task: ${taskId}\n`;
}

/** The pull request's title (the summary's first line) and body (summary, changed files, transcript link). */
export function pullRequestContent(input: { taskId: string; summary: string | null; changedFiles: readonly string[]; transcriptUrl: string }): { title: string; body: string } {
  const summary = (input.summary ?? "").trim();
  const files = input.changedFiles.length ? input.changedFiles.map((f) => `- \`${f}\``).join("\n") : "- (none listed)";
  const body = [
    "## Summary",
    "",
    summary || "(no summary)",
    "",
    "## Changed files",
    "",
    files,
    "",
    `Transcript: ${input.transcriptUrl}`,
    "",
    `_Opened by SAM for task ${input.taskId}._`,
  ].join("\n");
  return { title: subjectLine(summary, `SAM task ${input.taskId}`), body };
}

/** The link to a task's transcript: `<origin>/tasks/<taskId>` (a relative path without an origin). */
export function transcriptUrl(origin: string | undefined, taskId: string): string {
  return `${(origin ?? "").replace(/\/+$/, "")}/tasks/${taskId}`;
}


/**
 * What a task journals about its repository (`repo_json`): what it asked for, then each step as
 * it is done, so that a finish resumed after a crash redoes nothing (no second commit, no second
 * pull request). `ending` holds the task's outcome while publishing runs (a resumed loop
 * finishes with it instead of asking the model again).
 */
export const taskRepoStateSchema = z.object({
  request: z.object({ ref: z.string().optional(), branch: z.enum(["shared", "own"]).optional() }),
  branch: z.string().nullable().default(null),
  baseCommit: z.string().nullable().default(null),
  commit: z.string().nullable().default(null),
  /** True once the branch was pushed (or there was nothing to push). */
  published: z.boolean().default(false),
  pullRequest: z.object({ number: z.number().int(), url: z.string() }).nullable().default(null),
  /** The branch the pull request goes into when not the default branch: the shared mission branch a conflicting change could not join. */
  pullRequestBase: z.string().nullable().default(null),
  error: z.string().nullable().default(null),
  /** True once every step is done or failed: nothing more to do. */
  done: z.boolean().default(false),
  ending: z
    .object({ status: z.enum(["succeeded", "failed"]), summary: z.string().nullable(), failure: taskFailureSchema.nullable() })
    .nullable()
    .default(null),
});
/** See {@link taskRepoStateSchema}. */
export type TaskRepoState = z.infer<typeof taskRepoStateSchema>;

/** Parses a stored `repo_json` (null: the task has no `repo`); unreadable JSON counts as none. */
export function parseRepoState(json: string | null): TaskRepoState | null {
  if (!json) return null;
  try {
    const parsed = taskRepoStateSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The view's `repo` from the stored state: null for a task without `repo`. */
export function repoViewOf(state: TaskRepoState | null): TaskRepoView | null {
  if (!state) return null;
  return { branch: state.branch ?? "", commit: state.commit, pullRequest: state.pullRequest, error: state.error };
}

/** A GitHub REST error answer in words: its status and `message` (e.g. "401 Bad credentials"). */
export function githubErrorText(status: number, body: unknown): string {
  const message = typeof body === "object" && body !== null && "message" in body && typeof body.message === "string" ? body.message : "";
  const hint = status === 401 ? " (the repository credential was refused: set a valid token with PUT .../repository-credential)" : "";
  return `GitHub answered ${status}${message ? ` ${message}` : ""}${hint}`;
}

/**
 * The transcript's words for a publish: the branch and commit, and, when the branch had moved,
 * that the change went on top of another task's push, or to the task's own branch for a conflict.
 */
export function publishedNote(branch: string, commit: string, how: { replayedOnto: string | null; conflictedWith: string | null }): string {
  if (how.conflictedWith) {
    return `This task's change conflicts with what was pushed to ${how.conflictedWith} meanwhile, so it was pushed to its own branch ${branch} instead (commit ${commit.slice(0, 12)}).`;
  }
  const onTop = how.replayedOnto ? `, on top of ${how.replayedOnto.slice(0, 12)} pushed meanwhile` : "";
  return `Pushed branch ${branch} (commit ${commit.slice(0, 12)}${onTop}).`;
}
