/**
 * The pure rules of work on a repository (issue 16): branch names, the commit message and
 * author, the pull request's title and body, the GitHub repository a URL names, the journaled
 * state and its view, and the shared schemas (repository URL, refs, a task's `repo`).
 */
import { describe, expect, it } from "vitest";
import {
  commitAuthor,
  commitMessage,
  COMMIT_SUBJECT_MAX_CHARS,
  githubErrorText,
  parseRepoState,
  pullRequestContent,
  repoViewOf,
  subjectLine,
  taskBranch,
  transcriptUrl,
} from "../../src/actors/task/repository-rules.ts";
import { githubRepoOf, refNameProblem, repositorySettingSchema, repositoryUrlProblem, taskRepoRequestSchema } from "../../src/shared/repository.ts";
import { taskRequestSchema } from "../../src/shared/task-spec.ts";
import { missionRequestSchema } from "../../src/shared/mission-plan.ts";

describe("branches", () => {
  it("is sam/<taskId>, or sam/<missionId> for a mission's task on the shared branch", () => {
    expect(taskBranch("tsk_1", null, {})).toBe("sam/tsk_1");
    expect(taskBranch("tsk_1", "msn_9", {})).toBe("sam/tsk_1");
    expect(taskBranch("tsk_1", "msn_9", { branch: "own" })).toBe("sam/tsk_1");
    expect(taskBranch("tsk_1", "msn_9", { branch: "shared" })).toBe("sam/msn_9");
    // "shared" outside a mission has no mission branch to share.
    expect(taskBranch("tsk_1", null, { branch: "shared" })).toBe("sam/tsk_1");
  });
});

describe("commits", () => {
  it("takes the summary's first line as the subject, at most 72 characters", () => {
    expect(commitMessage("tsk_1", "# Fix add\n\nIt subtracted.")).toBe("Fix add\n\n# Fix add\n\nIt subtracted.\n\nSAM task: tsk_1\n");
    const long = "x".repeat(100);
    const subject = commitMessage("tsk_1", long).split("\n")[0];
    expect(subject.length).toBe(COMMIT_SUBJECT_MAX_CHARS);
    expect(subject.endsWith("…")).toBe(true);
    expect(commitMessage("tsk_1", null).split("\n")[0]).toBe("SAM task tsk_1");
    expect(subjectLine("\n\n  ## Title  \nrest", "f")).toBe("Title");
  });

  it("names the person who started the task with a noreply address; SAM commits", () => {
    expect(commitAuthor("usr_01ABC", "Ada <Lovelace>")).toEqual({ name: "Ada Lovelace", email: "usr_01ABC@users.noreply.sam.invalid" });
    expect(commitAuthor("usr_01ABC", null)).toEqual({ name: "usr_01ABC", email: "usr_01ABC@users.noreply.sam.invalid" });
  });
});

describe("pull requests", () => {
  it("has the summary, the changed files and the transcript link in its body", () => {
    const { title, body } = pullRequestContent({ taskId: "tsk_1", summary: "Fix add\n\nDetails here.", changedFiles: ["src/a.ts", "b.md"], transcriptUrl: "https://sam.example/tasks/tsk_1" });
    expect(title).toBe("Fix add");
    expect(body).toContain("Details here.");
    expect(body).toContain("- `src/a.ts`\n- `b.md`");
    expect(body).toContain("Transcript: https://sam.example/tasks/tsk_1");
  });

  it("links the transcript at the origin, or as a path without one", () => {
    expect(transcriptUrl("https://sam.example/", "tsk_1")).toBe("https://sam.example/tasks/tsk_1");
    expect(transcriptUrl(undefined, "tsk_1")).toBe("/tasks/tsk_1");
  });

  it("reads owner and repo from the URL's last two segments", () => {
    expect(githubRepoOf("https://github.com/acme/widgets.git")).toEqual({ owner: "acme", repo: "widgets" });
    expect(githubRepoOf("http://127.0.0.1:9/git/acme/widgets")).toEqual({ owner: "acme", repo: "widgets" });
    expect(githubRepoOf("https://github.com/acme")).toBeNull();
  });

  it("says what GitHub answered, with a hint for a refused credential", () => {
    expect(githubErrorText(401, { message: "Bad credentials" })).toContain("401 Bad credentials (the repository credential was refused");
    expect(githubErrorText(422, { message: "Validation Failed" })).toBe("GitHub answered 422 Validation Failed");
  });
});

describe("state and view", () => {
  it("shows branch, commit, pull request and error; null without repo", () => {
    expect(repoViewOf(parseRepoState(null))).toBeNull();
    expect(repoViewOf(parseRepoState("not json"))).toBeNull();
    const state = parseRepoState(JSON.stringify({ request: {}, branch: "sam/tsk_1", commit: "abc", pullRequest: { number: 3, url: "u" } }));
    expect(repoViewOf(state)).toEqual({ branch: "sam/tsk_1", commit: "abc", pullRequest: { number: 3, url: "u" }, error: null });
    expect(state?.done).toBe(false);
  });
});

describe("schemas", () => {
  it("accepts http(s) repository URLs naming owner/repo, without credentials", () => {
    expect(repositoryUrlProblem("https://github.com/acme/widgets")).toBeNull();
    expect(repositoryUrlProblem("https://x:y@github.com/acme/widgets")).toContain("user name or password");
    expect(repositoryUrlProblem("https://token@github.com/acme/widgets")).toContain("user name or password");
    expect(repositoryUrlProblem("git@github.com:acme/widgets.git")).not.toBeNull();
    expect(repositoryUrlProblem("https://github.com/acme/widgets?x=1")).toContain("query");
    expect(repositorySettingSchema.parse({ url: "https://github.com/a/b" })).toEqual({ url: "https://github.com/a/b", defaultBranch: "main" });
  });

  it("checks refs as git does", () => {
    for (const ok of ["main", "release/1.2", "v1.0.0", "0123abcd"]) expect(refNameProblem(ok)).toBeNull();
    for (const bad of ["", "-x", "a..b", "a b", "a~1", "x.lock", "a//b", "a/", ".hidden", "@{u}", "a\\b"]) expect(refNameProblem(bad), bad).not.toBeNull();
  });

  it("takes repo on tasks and mission tasks, strictly", () => {
    expect(taskRequestSchema.parse({ prompt: "p", repo: { ref: "main" } }).repo).toEqual({ ref: "main" });
    expect(taskRepoRequestSchema.safeParse({ branch: "mine" }).success).toBe(false);
    expect(taskRepoRequestSchema.safeParse({ url: "https://x/y/z" }).success).toBe(false);
    const mission = missionRequestSchema.parse({ goal: "g", tasks: [{ key: "a", prompt: "p", repo: { branch: "shared" } }] });
    expect(mission.tasks[0].repo).toEqual({ branch: "shared" });
  });
});
