/**
 * Repositories end to end (issue 16) against the started stack: a project names a repository
 * served by a local git HTTP server (the real `git http-backend`, requiring the token) and a
 * fine-grained token; a scripted task clones it (host-side, in the runner), changes files in its
 * bubblewrap workspace, and ends with its branch `sam/<taskId>` pushed (checked in the bare
 * repository with git) and a pull request opened through the fake GitHub REST API (which checks
 * the token and that the branch exists) whose body has the summary, the changed files and the
 * transcript link. A wrong credential gives a clear error in `repo.error`. Three tasks of one
 * mission share its branch `sam/<missionId>`: they clone together (each waits on a question until
 * all three have), then each pushes; a change to other lines is replayed onto what was pushed
 * meanwhile, and one that conflicts goes to its task's own branch with its own pull request.
 * A crash in the middle of the push (the git server got it and takes it after SAM died), or while
 * the pull request is being opened (GitHub got the request), resumes after the restart with one
 * commit and one pull request. A project whose credential is SAM's GitHub App
 * installation gets its minted token for the clone, the push and the pull request.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MissionView, TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github.ts";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http.ts";
import { pollUntil } from "../support/poll.ts";
import { call, startStack, type Stack } from "./stack.ts";

const TOKEN = "github_pat_11E2E0000000000000000000secretValue4321";
let stack: Stack | undefined;
let gitServer: GitHttpServer;
let github: FakeGitHub;
/** SAM's GitHub App here: the fake GitHub holds its public key and mints TOKEN for installation APP_INSTALLATION. */
const appKeys = generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
const APP_INSTALLATION = 5150;
/** The stack's environment (GitHub's API and the App), the same at every start. */
const stackEnv = (): Record<string, string> => ({ GITHUB_API_BASE_URL: github.url, GITHUB_APP_ID: "31337", GITHUB_APP_PRIVATE_KEY: appKeys.privateKey });
/** What the fake GitHub awaits before creating a pull request for `head` (the crash test holds it). */
let holdPullRequest: (head: string) => Promise<void> = async () => {};

beforeAll(async () => {
  gitServer = await startGitHttpServer(TOKEN);
  github = await startFakeGitHub("e2e-client", "e2e-secret", {
    pulls: {
      token: TOKEN,
      branchExists: (owner, repo, branch) => {
        try {
          gitServer.git(owner, repo, ["rev-parse", "--verify", `refs/heads/${branch}`]);
          return true;
        } catch {
          return false;
        }
      },
      beforeCreate: (head) => holdPullRequest(head),
    },
    app: { appId: "31337", publicKeyPem: appKeys.publicKey, installations: { [APP_INSTALLATION]: { token: TOKEN, repositories: ["acme/appy"] } } },
  });
  stack = await startStack({ env: stackEnv() });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await github?.close();
  await gitServer?.close();
});

/** A project naming `url` as its repository, with `token` as its credential. */
async function projectWithRepository(s: Stack, name: string, url: string, token: string): Promise<string> {
  const project = await call<{ id: string }>(s, "/api/projects", { json: { name } });
  await call(s, `/api/projects/${project.id}`, { method: "PATCH", json: { repository: { url, defaultBranch: "main" } } });
  await call(s, `/api/projects/${project.id}/repository-credential`, { method: "PUT", json: { token } });
  return project.id;
}

/** Polls the task until it ended; returns its view. */
function waitForEnd(s: Stack, taskId: string): Promise<TaskView> {
  return pollUntil(
    `task ${taskId} to end`,
    () => call<TaskView>(s, `/api/tasks/${taskId}`),
    (t) => ["succeeded", "failed", "cancelled"].includes(t.status),
    { timeoutMs: 60_000, intervalMs: 200, show: (t) => ({ status: t.status, repo: t.repo, error: t.error }) },
  );
}

describe("a task on a repository", () => {
  it("ends with its branch pushed and a pull request opened, shown in its view", async () => {
    const s = stack!;
    const url = await gitServer.createRepo("acme", "calc", { "README.md": "# calc\n", "src/add.sh": "add() { echo $(( $1 - $2 )); }\n" });
    const projectId = await projectWithRepository(s, "calc", url, TOKEN);

    // Members read the repository and the credential's last four characters, never the token.
    const shown = await call<{ repository: { url: string; defaultBranch: string; credential: { kind: string; last4: string } | null } }>(s, `/api/projects/${projectId}`);
    expect(shown.repository).toEqual({ url, defaultBranch: "main", credential: { kind: "github-token", last4: TOKEN.slice(-4) } });
    expect(JSON.stringify(shown)).not.toContain(TOKEN);

    const script = [
      { toolCalls: [{ toolName: "bash", input: { command: "sed -i 's/- \\$2/+ $2/' src/add.sh && echo 'add 2 3 # 5' > EXAMPLES.md && git status --short" } }] },
      { text: "Fix add() to add instead of subtract\n\nadd() subtracted its second argument; it now adds, and EXAMPLES.md shows a call." },
    ];
    const task = await call<TaskView>(s, `/api/projects/${projectId}/tasks`, { json: { prompt: "fix add", script, repo: {} } });
    // The view names the branch from the start.
    expect((await call<TaskView>(s, `/api/tasks/${task.id}`)).repo?.branch).toBe(`sam/${task.id}`);
    const ended = await waitForEnd(s, task.id);
    expect(ended.status).toBe("succeeded");
    expect(ended.changedFiles).toEqual(["EXAMPLES.md", "src/add.sh"]);
    expect(ended.repo?.error).toBeNull();
    expect(ended.repo?.branch).toBe(`sam/${task.id}`);
    expect(ended.repo?.pullRequest?.number).toBe(1);
    expect(ended.repo?.pullRequest?.url).toMatch(/\/acme\/calc\/pull\/1$/);

    // The branch holds the right files, committed by SAM for the person who started it.
    const branch = `sam/${task.id}`;
    expect(gitServer.git("acme", "calc", ["rev-parse", branch]).trim()).toBe(ended.repo?.commit);
    expect(gitServer.git("acme", "calc", ["show", `${branch}:src/add.sh`])).toBe("add() { echo $(( $1 + $2 )); }\n");
    expect(gitServer.git("acme", "calc", ["show", `${branch}:EXAMPLES.md`])).toBe("add 2 3 # 5\n");
    expect(gitServer.git("acme", "calc", ["diff", "--name-only", "main", branch]).trim().split("\n")).toEqual(["EXAMPLES.md", "src/add.sh"]);
    const [subject, committer] = gitServer.git("acme", "calc", ["log", "-1", "--format=%s%n%cn", branch]).trim().split("\n");
    expect(subject).toBe("Fix add() to add instead of subtract");
    expect(committer).toBe("SAM");
    // The main branch is untouched.
    expect(gitServer.git("acme", "calc", ["show", "main:src/add.sh"])).toBe("add() { echo $(( $1 - $2 )); }\n");

    // The fake GitHub got the pull request with the token, the summary, the files and the transcript link.
    const post = github.pullRequests.find((r) => r.method === "POST" && r.path === "/repos/acme/calc/pulls");
    expect(post).toBeDefined();
    expect(post?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(post?.headers.accept).toBe("application/vnd.github+json");
    expect(post?.headers["x-github-api-version"]).toBe("2022-11-28");
    const body = post?.body as { title: string; head: string; base: string; body: string };
    expect(body.title).toBe("Fix add() to add instead of subtract");
    expect(body.head).toBe(branch);
    expect(body.base).toBe("main");
    expect(body.body).toContain("add() subtracted its second argument");
    expect(body.body).toContain("`src/add.sh`");
    expect(body.body).toContain("`EXAMPLES.md`");
    expect(body.body).toContain(`${s.url}/tasks/${task.id}`);

    // The transcript says what was pushed and opened, and never holds the token.
    const { events } = await call<{ events: TranscriptEvent[] }>(s, `/api/tasks/${task.id}/transcript`);
    const notes = events.flatMap((e) => (e.type === "message" && e.from === "SAM" ? [e.text] : []));
    expect(notes.some((n) => n.startsWith(`Pushed branch ${branch}`))).toBe(true);
    expect(notes.some((n) => n.includes("Pull request #1"))).toBe(true);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    // The workspace's `git status` saw the changes (its own .git, without the credential).
    const status = events.find((e) => e.type === "tool_result");
    expect(JSON.stringify(status)).toContain("M src/add.sh");
    expect(s.output()).not.toContain(TOKEN);
  }, 90_000);

  it("a wrong credential gives a clear error in repo.error", async () => {
    const s = stack!;
    const url = await gitServer.createRepo("acme", "wrong", { "a.txt": "a\n" });
    const projectId = await projectWithRepository(s, "wrong", url, "github_pat_not_the_right_one_0000");
    const script = [{ toolCalls: [{ toolName: "bash", input: { command: "echo b > a.txt" } }] }, { text: "changed a" }];
    const task = await call<TaskView>(s, `/api/projects/${projectId}/tasks`, { json: { prompt: "change a", script, repo: {} } });
    const ended = await waitForEnd(s, task.id);
    expect(ended.status).toBe("failed");
    expect(ended.repo?.error).toMatch(/could not fetch .*\/acme\/wrong\.git at main/);
    expect(ended.repo?.error).toMatch(/401|Authentication failed|could not read Username/i);
    expect(ended.error).toContain("the repository could not be cloned");
    expect(JSON.stringify(ended)).not.toContain("not_the_right_one");
    expect(() => gitServer.git("acme", "wrong", ["rev-parse", "--verify", `refs/heads/sam/${task.id}`])).toThrow();
  }, 60_000);

  it("a task with repo in a project without a repository is refused with 400", async () => {
    const s = stack!;
    const project = await call<{ id: string }>(s, "/api/projects", { json: { name: "no repo" } });
    const refused = await call<{ error: { code: string; message: string } }>(
      s,
      `/api/projects/${project.id}/tasks`,
      { json: { prompt: "x", script: [{ text: "done" }], repo: {} } },
      [400],
    );
    expect(refused.error.code).toBe("invalid_input");
    expect(refused.error.message).toContain("the project names no repository");
  });
});

describe("a repository whose credential is SAM's GitHub App installation", () => {
  it("clones, pushes and opens the pull request with the installation's minted token", async () => {
    const s = stack!;
    const url = await gitServer.createRepo("acme", "appy", { "a.txt": "a\n" });
    const project = await call<{ id: string }>(s, "/api/projects", { json: { name: "appy" } });
    await call(s, `/api/projects/${project.id}`, { method: "PATCH", json: { repository: { url, defaultBranch: "main" } } });
    const before = github.installationTokens.length;
    const set = await call<{ repository: { credential: unknown } }>(s, `/api/projects/${project.id}/repository-credential`, { method: "PUT", json: { installationId: APP_INSTALLATION } });
    expect(set.repository.credential).toEqual({ kind: "github-app", installationId: APP_INSTALLATION });
    const script = [{ toolCalls: [{ toolName: "bash", input: { command: "echo b > a.txt" } }] }, { text: "Make a b\n\nIt was a." }];
    const task = await call<TaskView>(s, `/api/projects/${project.id}/tasks`, { json: { prompt: "make a b", script, repo: {} } });
    const ended = await waitForEnd(s, task.id);
    expect(ended.status).toBe("succeeded");
    expect(ended.repo?.error).toBeNull();
    // The git server and the pulls API take only TOKEN: the installation's token did the clone, the push and the pull request.
    expect(gitServer.git("acme", "appy", ["show", `sam/${task.id}:a.txt`])).toBe("b\n");
    const post = github.pullRequests.find((r) => r.method === "POST" && r.path === "/repos/acme/appy/pulls");
    expect(post?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(ended.repo?.pullRequest?.url).toMatch(/\/acme\/appy\/pull\/\d+$/);
    // Each token was narrowed to the project's repository, contents and pull requests.
    const mints = github.installationTokens.slice(before);
    expect(mints.length).toBeGreaterThan(0);
    for (const mint of mints) expect(mint).toEqual({ installationId: APP_INSTALLATION, repositories: ["appy"], permissions: { contents: "write", pull_requests: "write" } });
    // Never shown or logged.
    const { events } = await call<{ events: TranscriptEvent[] }>(s, `/api/tasks/${task.id}/transcript`);
    expect(JSON.stringify(events)).not.toContain(TOKEN);
    expect(s.output()).not.toContain(TOKEN);
    expect(s.output()).not.toContain("PRIVATE KEY");
  }, 90_000);

  it("an installation that is not the App's on the project's repository is refused with 400, naming what GitHub says", async () => {
    const s = stack!;
    const project = await call<{ id: string }>(s, "/api/projects", { json: { name: "appless" } });
    await call(s, `/api/projects/${project.id}`, { method: "PATCH", json: { repository: { url: "https://github.com/acme/appless", defaultBranch: "main" } } });
    const refused = await call<{ error: { code: string; message: string } }>(s, `/api/projects/${project.id}/repository-credential`, { method: "PUT", json: { installationId: APP_INSTALLATION } }, [400]);
    expect(refused.error).toEqual({ code: "invalid_input", message: "SAM's GitHub App (App 31337) is not installed on acme/appless" });
  });
});

describe("a mission's tasks on one shared branch", () => {
  it("publishes each task's change on the branch others moved meanwhile; a conflicting one goes to its own branch, nothing lost", async () => {
    const s = stack!;
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
    const url = await gitServer.createRepo("acme", "team", { "a.txt": lines(10), "b.txt": lines(10) });
    const projectId = await projectWithRepository(s, "team", url, TOKEN);
    // Each task clones, then waits on a question (a barrier: all three start from the same commit), then edits.
    const task = (key: string, command: string) => ({
      key,
      prompt: `edit as ${key}`,
      repo: { branch: "shared" },
      script: [{ toolCalls: [{ toolName: "ask_human", input: { question: `may ${key} go?` } }] }, { toolCalls: [{ toolName: "bash", input: { command } }] }, { text: `Edit by ${key}\n\n${key} changed a line.` }],
    });
    const created = await call<{ id: string }>(s, `/api/projects/${projectId}/missions`, {
      json: {
        goal: "three edits on one branch",
        tasks: [task("a", "sed -i 's/^line 2$/line 2 by a/' a.txt"), task("b", "sed -i 's/^line 9$/line 9 by b/' b.txt"), task("c", "sed -i 's/^line 2$/line 2 by c/' a.txt")],
      },
    });
    const started = await pollUntil(
      "the mission's three tasks to start",
      () => call<MissionView>(s, `/api/missions/${created.id}`),
      (m) => m.tasks.length === 3 && m.tasks.every((t) => t.taskId !== null),
      { timeoutMs: 60_000, intervalMs: 200, show: (m) => m.tasks.map((t) => [t.key, t.status]) },
    );
    const ids = Object.fromEntries(started.tasks.map((t) => [t.key, t.taskId as string]));
    await pollUntil(
      "the three tasks to wait on their questions",
      () => Promise.all(Object.values(ids).map((id) => call<TaskView>(s, `/api/tasks/${id}`))),
      (views) => views.every((v) => v.status === "waiting"),
      { timeoutMs: 60_000, intervalMs: 200, show: (views) => views.map((v) => v.status) },
    );
    for (const key of ["a", "b", "c"]) await call(s, `/api/tasks/${ids[key]}/answer`, { json: { text: "go" } });
    const ended = await pollUntil(
      "the mission to end",
      () => call<MissionView>(s, `/api/missions/${created.id}`),
      (m) => ["succeeded", "failed", "cancelled"].includes(m.status),
      { timeoutMs: 90_000, intervalMs: 200, show: (m) => [m.status, m.tasks.map((t) => [t.key, t.status])] },
    );
    expect(ended.status).toBe("succeeded");

    const shared = `sam/${created.id}`;
    const views = Object.fromEntries(await Promise.all(["a", "b", "c"].map(async (key) => [key, await call<TaskView>(s, `/api/tasks/${ids[key]}`)] as const)));
    for (const view of Object.values(views)) expect(view.repo?.error, view.repo?.error ?? "").toBeNull();
    // b changed other lines: it is on the shared branch whatever the order of the pushes.
    expect(views.b.repo?.branch).toBe(shared);
    expect(gitServer.git("acme", "team", ["show", `${shared}:b.txt`])).toContain("line 9 by b\n");
    // a and c changed the same line: the first to push is on the shared branch, the other on its own.
    const winner = gitServer.git("acme", "team", ["show", `${shared}:a.txt`]).includes("line 2 by a\n") ? "a" : "c";
    const loser = winner === "a" ? "c" : "a";
    expect(gitServer.git("acme", "team", ["show", `${shared}:a.txt`])).toContain(`line 2 by ${winner}\n`);
    expect(views[winner].repo?.branch).toBe(shared);
    expect(views[loser].repo?.branch).toBe(`sam/${ids[loser]}`);
    expect(gitServer.git("acme", "team", ["show", `sam/${ids[loser]}:a.txt`])).toContain(`line 2 by ${loser}\n`);
    expect(gitServer.git("acme", "team", ["rev-parse", `sam/${ids[loser]}`]).trim()).toBe(views[loser].repo?.commit);
    // The shared branch holds the two commits in a line, each replayed or pushed as made.
    expect(gitServer.git("acme", "team", ["rev-list", "--count", `main..${shared}`]).trim()).toBe("2");
    const { events } = await call<{ events: TranscriptEvent[] }>(s, `/api/tasks/${ids[loser]}/transcript`);
    const notes = events.flatMap((e) => (e.type === "message" && e.from === "SAM" ? [e.text] : []));
    expect(notes.some((n) => n.includes(`conflicts with what was pushed to ${shared} meanwhile`) && n.includes(`sam/${ids[loser]}`))).toBe(true);
    // The conflicting change has its own pull request, into the shared branch it could not join.
    const loserPull = github.pullRequests.find((r) => r.method === "POST" && (r.body as { head?: string } | undefined)?.head === `sam/${ids[loser]}`);
    expect((loserPull?.body as { base?: string } | undefined)?.base).toBe(shared);
    expect(views[loser].repo?.pullRequest?.number).toEqual(expect.any(Number));
  }, 180_000);
});

/**
 * Starts the crashed stack again over its state and checks that task `taskId` on `acme/<repo>`
 * ends as if it had never crashed: succeeded without `repo.error`, its branch holding `commit`
 * alone above main, one pull request asked for, one "Pushed branch" and one "Pull request" note.
 * Returns the ended task's view.
 */
async function expectResumedOnce(repo: string, taskId: string, commit: string): Promise<TaskView> {
  const branch = `sam/${taskId}`;
  stack = await startStack({ stateDir: stack!.stateDir, token: stack!.token, env: stackEnv() });
  const ended = await waitForEnd(stack, taskId);
  expect(ended.status).toBe("succeeded");
  expect(ended.repo?.error).toBeNull();
  expect(ended.repo?.commit).toBe(commit);
  expect(gitServer.git("acme", repo, ["rev-parse", branch]).trim()).toBe(commit);
  expect(gitServer.git("acme", repo, ["rev-list", "--count", `main..${branch}`]).trim()).toBe("1");
  expect(github.pullRequests.filter((r) => r.method === "POST" && (r.body as { head?: string } | null)?.head === branch)).toHaveLength(1);
  const { events } = await call<{ events: TranscriptEvent[] }>(stack, `/api/tasks/${taskId}/transcript`);
  const notes = events.flatMap((e) => (e.type === "message" && e.from === "SAM" ? [e.text] : []));
  expect(notes.filter((n) => n.startsWith(`Pushed branch ${branch}`))).toHaveLength(1);
  expect(notes.filter((n) => n.startsWith("Pull request #"))).toHaveLength(1);
  return ended;
}

describe("a crash in the middle of the push", () => {
  it("resumes after the restart: the same single commit on the branch, and one pull request", async () => {
    const url = await gitServer.createRepo("acme", "pushy", { "a.txt": "a\n" });
    const projectId = await projectWithRepository(stack!, "pushy", url, TOKEN);
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = false;
    gitServer.holdPush = async (path) => {
      if (!path.includes("/acme/pushy.git/")) return;
      held = true;
      await released;
    };
    try {
      const script = [{ toolCalls: [{ toolName: "bash", input: { command: "echo c > a.txt" } }] }, { text: "Change a to c\n\na is c now." }];
      const task = await call<TaskView>(stack!, `/api/projects/${projectId}/tasks`, { json: { prompt: "change a", script, repo: {} } });
      const branch = `sam/${task.id}`;
      await pollUntil("the git server to hold the push", () => held, (h) => h, { timeoutMs: 60_000 });
      await stack!.crash();
      // The git server had the whole push: it takes it now, after SAM died.
      release();
      gitServer.holdPush = null;
      const landed = await pollUntil(
        "the held push to land",
        () => {
          try {
            return gitServer.git("acme", "pushy", ["rev-parse", "--verify", `refs/heads/${branch}`]).trim();
          } catch {
            return "";
          }
        },
        (commit) => commit !== "",
        { timeoutMs: 10_000 },
      );

      await expectResumedOnce("pushy", task.id, landed);
      expect(gitServer.git("acme", "pushy", ["show", `${branch}:a.txt`])).toBe("c\n");
    } finally {
      gitServer.holdPush = null;
      release();
    }
  }, 180_000);
});

describe("a crash while the pull request is being opened", () => {
  it("resumes after the restart with one commit and one pull request", async () => {
    const url = await gitServer.createRepo("acme", "crashy", { "a.txt": "a\n" });
    const projectId = await projectWithRepository(stack!, "crashy", url, TOKEN);
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let heldHead: string | null = null;
    holdPullRequest = async (head) => {
      heldHead = head;
      await released;
    };
    const script = [{ toolCalls: [{ toolName: "bash", input: { command: "echo b > a.txt" } }] }, { text: "Change a\n\na is b now." }];
    const task = await call<TaskView>(stack!, `/api/projects/${projectId}/tasks`, { json: { prompt: "change a", script, repo: {} } });
    const branch = `sam/${task.id}`;
    await pollUntil("GitHub to hold the pull request", () => heldHead, (head) => head === branch, { timeoutMs: 60_000 });
    // The branch was pushed before the crash; GitHub has the request and makes the pull request after SAM died.
    const pushed = gitServer.git("acme", "crashy", ["rev-parse", branch]).trim();
    await stack!.crash();
    release();
    holdPullRequest = async () => {};
    await pollUntil(
      "GitHub to make the held pull request",
      async () => (await (await fetch(`${github.url}/repos/acme/crashy/pulls?state=open&head=acme:${branch}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as unknown[],
      (open) => open.length === 1,
      { timeoutMs: 5_000 },
    );

    // The same commit (no second one), and the pull request GitHub made, found rather than opened again.
    const ended = await expectResumedOnce("crashy", task.id, pushed);
    expect(ended.repo?.pullRequest?.url).toMatch(/\/acme\/crashy\/pull\/\d+$/);
  }, 180_000);
});
