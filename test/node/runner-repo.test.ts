/**
 * The runner's host-side repository operations (issue 16) over real HTTP with real bubblewrap
 * and real git: a workspace cloned from a bare repository over `file://` and over smart HTTP
 * (`git http-backend`, test/support/git-http.ts, which requires the token), the credential
 * never in the workspace (its `.git` included) nor in `git remote -v` run in the sandbox, the
 * diff base being the cloned tree, the per-project cache, and the host-side commit and push.
 */
import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitError } from "../../src/sandbox/runner/git.ts";
import { isStalePush } from "../../src/sandbox/runner/git-replay.ts";
import { startGitHttpServer, type GitHttpServer } from "../support/git-http.ts";
import { startTestRunner, type TestRunner } from "./runner-helpers.ts";

let t: TestRunner;
let gitServer: GitHttpServer;
const TOKEN = "github_pat_11AAAAAAA0secretTOKENvalue9876";
const AUTHOR = { name: "Ada Lovelace", email: "usr_ada@users.noreply.sam.invalid" };
const COMMITTER = { name: "SAM", email: "sam@users.noreply.sam.invalid" };

/** Every file under `dir` (dotfiles and `.git` included) whose bytes contain `needle`. */
async function filesContaining(dir: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && (await fsp.readFile(p)).includes(needle)) hits.push(p);
    }
  };
  await walk(dir);
  return hits;
}

beforeAll(async () => {
  t = await startTestRunner({ allowFileRepositories: true });
  gitServer = await startGitHttpServer(TOKEN);
});

afterAll(async () => {
  await t?.stop();
  await gitServer?.close();
});

describe("clone over file://", () => {
  it("makes the workspace a checkout of the ref on the new branch, with the clone as the diff base", async () => {
    await gitServer.createRepo("acme", "local", { "README.md": "# local\n", "src/a.txt": "one\n" });
    const url = pathToFileURL(path.join(gitServer.root, "acme", "local.git")).href;
    const created = await t.call("POST", "/v1/workspaces/ws_file/clone", { url, ref: "main", branch: "sam/tsk_file", cacheKey: "prj_file" });
    expect(created.status).toBe(201);
    const result = created.json as { commit: string; branch: string; created: boolean };
    expect(result.branch).toBe("sam/tsk_file");
    expect(result.commit).toBe(gitServer.git("acme", "local", ["rev-parse", "main"]).trim());

    const shown = await t.exec("ws_file", "cat src/a.txt && git branch --show-current && git status --porcelain && git log --oneline | wc -l");
    expect(shown.exitCode).toBe(0);
    expect(shown.output).toBe("one\nsam/tsk_file\n1\n");

    // Nothing changed yet: the diff base is the cloned tree.
    expect((await t.call("POST", "/v1/workspaces/ws_file/changes", {})).json).toEqual({ changedFiles: [] });
    await t.exec("ws_file", "echo two >> src/a.txt && echo new > b.txt");
    expect((await t.call("POST", "/v1/workspaces/ws_file/changes", {})).json).toEqual({ changedFiles: ["b.txt", "src/a.txt"] });

    // A second clone of the same id keeps the workspace.
    const again = await t.call("POST", "/v1/workspaces/ws_file/clone", { url, ref: "main", branch: "sam/tsk_file", cacheKey: "prj_file" });
    expect(again.status).toBe(200);
    expect((await t.exec("ws_file", "cat b.txt")).output).toBe("new\n");
  });

  it("refuses file:// URLs unless the runner allows them", async () => {
    const strict = await startTestRunner();
    try {
      const res = await strict.call("POST", "/v1/workspaces/ws_x/clone", { url: "file:///etc", ref: "main", branch: "sam/x", cacheKey: "prj_x" });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.json)).toContain("file: is not allowed");
    } finally {
      await strict.stop();
    }
  });
});

describe("clone, commit and push over HTTP with a token", () => {
  let url: string;

  beforeAll(async () => {
    url = await gitServer.createRepo("acme", "widgets", { "README.md": "# widgets\n", "lib/add.js": "export const add = (a, b) => a - b;\n" });
  });

  it("clones with the token host-side; the token is nowhere in the workspace, its .git or its remotes", async () => {
    const before = gitServer.requests.length;
    const res = await t.call("POST", "/v1/workspaces/ws_http/clone", { url, ref: "main", branch: "sam/tsk_http", cacheKey: "prj_http", token: TOKEN });
    expect(res.status).toBe(201);
    // The server saw authorised requests: the token was used.
    expect(gitServer.requests.slice(before).some((r) => r.authorized)).toBe(true);
    expect(gitServer.requests.slice(before).every((r) => r.authorized)).toBe(true);

    const root = path.join(t.workspacesDir, "ws_http");
    const basic = Buffer.from(`x-access-token:${TOKEN}`).toString("base64");
    expect(await filesContaining(path.join(root, "files"), TOKEN)).toEqual([]);
    expect(await filesContaining(path.join(root, "files"), basic)).toEqual([]);
    // Nor in the runner's own copies (the private git dir, the cache).
    expect(await filesContaining(root, TOKEN)).toEqual([]);
    expect(await filesContaining(path.join(t.tmp, "repo-cache"), TOKEN)).toEqual([]);
    expect(await filesContaining(path.join(t.tmp, "repo-cache"), basic)).toEqual([]);

    const remotes = await t.exec("ws_http", "git remote -v; git config --list --show-origin; env");
    expect(remotes.exitCode).toBe(0);
    expect(remotes.output).toContain(`origin\t${url} (fetch)`);
    expect(remotes.output).not.toContain(TOKEN);
    expect(remotes.output).not.toContain(basic);
    // The sandbox still has no network: a fetch from inside fails.
    const fetched = await t.exec("ws_http", "git fetch origin 2>&1");
    expect(fetched.exitCode).not.toBe(0);
  });

  it("commits host-side (author and committer as given) and pushes the branch; idempotent", async () => {
    await t.exec("ws_http", "sed -i 's/a - b/a + b/' lib/add.js && mkdir -p test && echo 'ok' > test/add.txt");
    // A hook planted by a sandboxed command must not run on the host.
    await t.exec("ws_http", "mkdir -p .git/hooks && printf '#!/bin/sh\\ntouch /tmp/sam-hook-ran\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit");
    const body = { url, message: "Fix add\n\nadd subtracted", author: AUTHOR, committer: COMMITTER, token: TOKEN };
    const res = await t.call("POST", "/v1/workspaces/ws_http/publish", body);
    expect(res.status).toBe(200);
    const pushed = res.json as { commit: string; pushed: boolean; branch: string };
    expect(pushed.pushed).toBe(true);
    expect(pushed.branch).toBe("sam/tsk_http");
    expect(gitServer.git("acme", "widgets", ["rev-parse", "refs/heads/sam/tsk_http"]).trim()).toBe(pushed.commit);
    expect(gitServer.git("acme", "widgets", ["show", "sam/tsk_http:lib/add.js"])).toBe("export const add = (a, b) => a + b;\n");
    expect(gitServer.git("acme", "widgets", ["diff", "--name-only", "main", "sam/tsk_http"]).trim().split("\n")).toEqual(["lib/add.js", "test/add.txt"]);
    expect(gitServer.git("acme", "widgets", ["log", "-1", "--format=%an <%ae>|%cn <%ce>|%s", "sam/tsk_http"]).trim()).toBe(
      `${AUTHOR.name} <${AUTHOR.email}>|${COMMITTER.name} <${COMMITTER.email}>|Fix add`,
    );
    await expect(fsp.access("/tmp/sam-hook-ran")).rejects.toThrow();

    const again = await t.call("POST", "/v1/workspaces/ws_http/publish", body);
    expect(again.status).toBe(200);
    expect((again.json as { commit: string }).commit).toBe(pushed.commit);
    expect(gitServer.git("acme", "widgets", ["rev-list", "--count", "sam/tsk_http"]).trim()).toBe("2");
  });

  it("a workspace without changes pushes nothing", async () => {
    await t.call("POST", "/v1/workspaces/ws_same/clone", { url, ref: "main", branch: "sam/tsk_same", cacheKey: "prj_http", token: TOKEN });
    const res = await t.call("POST", "/v1/workspaces/ws_same/publish", { url, message: "nothing", author: AUTHOR, committer: COMMITTER, token: TOKEN });
    expect(res.json).toEqual({ commit: null, pushed: false, branch: "sam/tsk_same", replayedOnto: null, conflictedWith: null });
    expect(() => gitServer.git("acme", "widgets", ["rev-parse", "--verify", "refs/heads/sam/tsk_same"])).toThrow();
  });

  it("a wrong token gives a clear error that does not contain it", async () => {
    const wrong = "github_pat_WRONGwrongWRONG";
    const res = await t.call("POST", "/v1/workspaces/ws_wrong/clone", { url, ref: "main", branch: "sam/tsk_wrong", cacheKey: "prj_wrong", token: wrong });
    expect(res.status).toBe(502);
    const error = (res.json as { error: { code: string; message: string } }).error;
    expect(error.code).toBe("repository_error");
    expect(error.message).toMatch(/could not fetch .*widgets\.git at main/);
    expect(error.message).toMatch(/401|Authentication failed|could not read Username/i);
    expect(error.message).not.toContain(wrong);
    // Nothing half-made is left.
    expect((await t.call("POST", "/v1/workspaces/ws_wrong/changes", {})).status).toBe(404);
  });

  it("an unknown ref is named in the error", async () => {
    const res = await t.call("POST", "/v1/workspaces/ws_noref/clone", { url, ref: "no-such-branch", branch: "sam/tsk_noref", cacheKey: "prj_http", token: TOKEN });
    expect(res.status).toBe(502);
    expect(JSON.stringify(res.json)).toContain("no-such-branch");
  });

  it("a shared branch is resumed from the remote when it exists there", async () => {
    const res = await t.call("POST", "/v1/workspaces/ws_resume/clone", { url, ref: "main", branch: "sam/tsk_http", resumeBranch: true, cacheKey: "prj_http", token: TOKEN });
    expect(res.status).toBe(201);
    expect((await t.exec("ws_resume", "cat lib/add.js")).output).toBe("export const add = (a, b) => a + b;\n");
    expect((await t.call("POST", "/v1/workspaces/ws_resume/changes", {})).json).toEqual({ changedFiles: [] });
  });

  it("the per-project cache makes the next clone faster (measured, not asserted)", async () => {
    const timeClone = async (id: string, cacheKey: string): Promise<number> => {
      const started = performance.now();
      const res = await t.call("POST", `/v1/workspaces/${id}/clone`, { url, ref: "main", branch: `sam/${id}`, cacheKey, token: TOKEN });
      expect(res.status).toBe(201);
      return performance.now() - started;
    };
    const cold = await timeClone("ws_cold", "prj_cache");
    const warm = await timeClone("ws_warm", "prj_cache");
    console.log(`runner-repo: cold clone ${cold.toFixed(0)} ms, warm clone ${warm.toFixed(0)} ms`);
    const cacheDirs = await fsp.readdir(path.join(t.tmp, "repo-cache", "prj_cache"));
    expect(cacheDirs).toHaveLength(1);
    // The cache is outside every workspace.
    expect(path.relative(t.workspacesDir, path.join(t.tmp, "repo-cache")).startsWith("..")).toBe(true);
    expect(execFileSync("git", ["--git-dir", path.join(t.tmp, "repo-cache", "prj_cache", cacheDirs[0]), "config", "--list"], { encoding: "utf8" })).not.toContain(TOKEN);
  });
});

describe("a shared branch that moved while the task ran", () => {
  let url: string;
  const lines = (n: number, tag = "") => Array.from({ length: n }, (_, i) => `line ${i + 1}${tag}`).join("\n") + "\n";
  const clone = (id: string) => t.call("POST", `/v1/workspaces/${id}/clone`, { url, ref: "main", branch: "sam/mis_shared", resumeBranch: true, cacheKey: "prj_shared", token: TOKEN });
  const publish = (id: string, fallbackBranch?: string) =>
    t.call("POST", `/v1/workspaces/${id}/publish`, { url, message: `Work of ${id}`, author: AUTHOR, committer: COMMITTER, token: TOKEN, ...(fallbackBranch ? { fallbackBranch } : {}) });

  beforeAll(async () => {
    url = await gitServer.createRepo("acme", "shared", { "a.txt": lines(20), "b.txt": lines(20), "logo.bin": "\u0000\u0001binary" });
    gitServer.git("acme", "shared", ["branch", "sam/mis_shared", "main"]);
  });

  it("replays a change onto what another task pushed meanwhile (idempotently); a conflicting one goes to the task's own branch, or fails without one", async () => {
    // Four tasks of one mission start from the same tip of the shared branch.
    for (const id of ["ws_s1", "ws_s2", "ws_s3", "ws_s4"]) expect((await clone(id)).status).toBe(201);
    await t.exec("ws_s1", "sed -i 's/^line 2$/line 2 by s1/' a.txt");
    await t.exec("ws_s2", "sed -i 's/^line 18$/line 18 by s2/' b.txt && printf 'new\\n' > c.txt && printf '\\002more' >> logo.bin");
    await t.exec("ws_s3", "sed -i 's/^line 2$/line 2 by s3/' a.txt");
    await t.exec("ws_s4", "sed -i 's/^line 2$/line 2 by s4/' a.txt");

    const first = (await publish("ws_s1", "sam/tsk_s1")).json as { commit: string; branch: string; replayedOnto: string | null; conflictedWith: string | null };
    expect(first).toMatchObject({ branch: "sam/mis_shared", replayedOnto: null, conflictedWith: null, pushed: true });

    // The second's push is refused (the branch moved): it is replayed on top of the first's.
    const second = await publish("ws_s2", "sam/tsk_s2");
    expect(second.status).toBe(200);
    const replayed = second.json as typeof first;
    expect(replayed).toMatchObject({ branch: "sam/mis_shared", replayedOnto: first.commit, conflictedWith: null });
    expect(gitServer.git("acme", "shared", ["rev-parse", "sam/mis_shared"]).trim()).toBe(replayed.commit);
    expect(gitServer.git("acme", "shared", ["rev-parse", "sam/mis_shared^"]).trim()).toBe(first.commit);
    expect(gitServer.git("acme", "shared", ["show", "sam/mis_shared:a.txt"])).toContain("line 2 by s1\n");
    expect(gitServer.git("acme", "shared", ["show", "sam/mis_shared:b.txt"])).toContain("line 18 by s2\n");
    expect(gitServer.git("acme", "shared", ["show", "sam/mis_shared:c.txt"])).toBe("new\n");
    expect(gitServer.git("acme", "shared", ["show", "sam/mis_shared:logo.bin"])).toBe("\u0000\u0001binary\u0002more");
    expect(gitServer.git("acme", "shared", ["log", "-1", "--format=%an|%cn|%s", "sam/mis_shared"]).trim()).toBe(`${AUTHOR.name}|${COMMITTER.name}|Work of ws_s2`);
    // Published again (a finish resumed after a crash): the branch already holds it; nothing new.
    expect((await publish("ws_s2", "sam/tsk_s2")).json).toMatchObject({ commit: replayed.commit, branch: "sam/mis_shared" });
    expect(gitServer.git("acme", "shared", ["rev-parse", "sam/mis_shared"]).trim()).toBe(replayed.commit);

    // The third changed the line the first changed: it goes to its own branch, the shared one untouched.
    const third = (await publish("ws_s3", "sam/tsk_s3")).json as typeof first;
    expect(third).toMatchObject({ branch: "sam/tsk_s3", replayedOnto: null, conflictedWith: "sam/mis_shared" });
    expect(gitServer.git("acme", "shared", ["show", "sam/tsk_s3:a.txt"])).toContain("line 2 by s3\n");
    expect(gitServer.git("acme", "shared", ["rev-parse", "sam/mis_shared"]).trim()).toBe(replayed.commit);

    // Without a branch to fall back to, a conflict is a clear error.
    const fourth = await publish("ws_s4");
    expect(fourth.status).toBe(502);
    expect(JSON.stringify(fourth.json)).toMatch(/conflicts with what was pushed to sam\/mis_shared meanwhile/);
    expect(JSON.stringify(fourth.json)).not.toContain(TOKEN);
  });

  it("publishes changes pushed at the same moment one after another onto the branch, none lost", async () => {
    const raceUrl = await gitServer.createRepo("acme", "race", { "a.txt": lines(30) });
    const ids = ["ws_r1", "ws_r2", "ws_r3", "ws_r4"];
    for (const [i, id] of ids.entries()) {
      const cloned = await t.call("POST", `/v1/workspaces/${id}/clone`, { url: raceUrl, ref: "main", branch: "sam/mis_race", resumeBranch: true, cacheKey: "prj_race", token: TOKEN });
      expect(cloned.status).toBe(201);
      await t.exec(id, `sed -i 's/^line ${i * 7 + 1}$/line ${i * 7 + 1} by ${id}/' a.txt`);
    }
    const answers = await Promise.all(ids.map((id) => t.call("POST", `/v1/workspaces/${id}/publish`, { url: raceUrl, message: `Work of ${id}`, author: AUTHOR, committer: COMMITTER, token: TOKEN, fallbackBranch: `sam/${id}` })));
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answers.map((a) => (a.json as { branch: string }).branch)).toEqual(ids.map(() => "sam/mis_race"));
    const merged = gitServer.git("acme", "race", ["show", "sam/mis_race:a.txt"]);
    for (const [i, id] of ids.entries()) expect(merged).toContain(`line ${i * 7 + 1} by ${id}\n`);
    expect(gitServer.git("acme", "race", ["rev-list", "--count", "main..sam/mis_race"]).trim()).toBe("4");
  });

  it("merges three ways: edits two lines apart both land, and a deletion in a file of repeated blocks is kept", async () => {
    const block = "mid\n}\n}\n";
    const repeated = `${block}X\n${block}X\n${block}`;
    const mergeUrl = await gitServer.createRepo("acme", "merge", { "a.txt": lines(12), "r.txt": repeated });
    const ids = ["ws_m1", "ws_m2"];
    for (const id of ids) expect((await t.call("POST", `/v1/workspaces/${id}/clone`, { url: mergeUrl, ref: "main", branch: "sam/mis_merge", resumeBranch: true, cacheKey: "prj_merge", token: TOKEN })).status).toBe(201);
    // The first changes line 5 and the first repeated block; the second changes line 7 and drops the second X.
    await t.exec("ws_m1", "sed -i 's/^line 5$/line 5 by m1/' a.txt && sed -i '0,/^mid$/s//MID/' r.txt");
    await t.exec("ws_m2", "sed -i 's/^line 7$/line 7 by m2/' a.txt && awk 'BEGIN{n=0} /^X$/{n++; if(n==2) next} {print}' r.txt > r.new && mv r.new r.txt");
    for (const id of ids) {
      const res = await t.call("POST", `/v1/workspaces/${id}/publish`, { url: mergeUrl, message: id, author: AUTHOR, committer: COMMITTER, token: TOKEN, fallbackBranch: `sam/${id}` });
      expect(res.json).toMatchObject({ branch: "sam/mis_merge", conflictedWith: null });
    }
    const merged = gitServer.git("acme", "merge", ["show", "sam/mis_merge:a.txt"]);
    expect(merged).toContain("line 5 by m1\n");
    expect(merged).toContain("line 7 by m2\n");
    expect(gitServer.git("acme", "merge", ["show", "sam/mis_merge:r.txt"])).toBe(`MID\n}\n}\nX\n${block}${block}`);
  });

  it("two tasks adding the same file differently, or a file and a directory, conflict; the merge writes nothing outside its scratch files, and leaves none", async () => {
    const addUrl = await gitServer.createRepo("acme", "adds", { "a.txt": "a\n" });
    const ids = ["ws_add1", "ws_add2", "ws_add3"];
    for (const id of ids) {
      expect((await t.call("POST", `/v1/workspaces/${id}/clone`, { url: addUrl, ref: "main", branch: "sam/mis_adds", resumeBranch: true, cacheKey: "prj_adds", token: TOKEN })).status).toBe(201);
      // The third makes a directory where the others make a file.
      const command = id === "ws_add3" ? `mkdir added-${process.pid}.txt && echo x > added-${process.pid}.txt/inner` : `printf 'from ${id}\\n' > added-${process.pid}.txt`;
      expect((await t.exec(id, command)).exitCode).toBe(0);
    }
    const answers = [];
    for (const id of ids) answers.push((await t.call("POST", `/v1/workspaces/${id}/publish`, { url: addUrl, message: id, author: AUTHOR, committer: COMMITTER, token: TOKEN, fallbackBranch: `sam/${id}` })).json);
    expect(answers[0]).toMatchObject({ branch: "sam/mis_adds", conflictedWith: null });
    expect(answers[1]).toMatchObject({ branch: "sam/ws_add2", conflictedWith: "sam/mis_adds" });
    expect(answers[2]).toMatchObject({ branch: "sam/ws_add3", conflictedWith: "sam/mis_adds" });
    // git writes an add/add merge to its work tree: never the runner's working directory.
    await expect(fsp.access(path.join(process.cwd(), `added-${process.pid}.txt`))).rejects.toThrow();
    for (const id of ids) expect((await fsp.readdir(path.join(t.workspacesDir, id))).filter((name) => name.startsWith("replay-"))).toEqual([]);
  });

  it("takes a refusal as the branch having moved only when git says so", () => {
    for (const message of ["! [rejected] abc -> sam/x (fetch first)", "! [rejected] abc -> sam/x (non-fast-forward)", "remote: error: cannot lock ref 'refs/heads/sam/x': reference already exists", "! [remote rejected] abc -> sam/x (failed to update ref)"]) {
      expect(isStalePush(new GitError(`git push exited 1: ${message}`)), message).toBe(true);
    }
    for (const message of ["fatal: Authentication failed for 'https://example/'", "! [remote rejected] abc -> sam/x (pre-receive hook declined)", "fatal: unable to access: Could not resolve host", "error: cannot lock ref 'refs/heads/sam/x': 'refs/heads/sam' exists; cannot create 'refs/heads/sam/x'"]) {
      expect(isStalePush(new GitError(`git push exited 128: ${message}`)), message).toBe(false);
    }
    expect(isStalePush(new Error("[rejected]"))).toBe(false);
  });
});
