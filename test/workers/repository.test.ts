/**
 * A project's repository and its credential (issue 16) in the real Workers runtime: the
 * `repository` field of `PATCH /api/projects/:projectId` (owners only, validated), what members
 * read in `GET`, `PUT/DELETE .../repository-credential` (sealed, shown only as its last four
 * characters) or a GitHub App installation (checked by minting a token from the fake GitHub, whose
 * tokens a task's clone and push then get), and tasks and missions with `repo` refused (400) in a
 * project without one.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_GITHUB_INSTALLATION_ID, TEST_GITHUB_INSTALLATION_TOKEN } from "./github-app-fixture.ts";
import { addUser, api, apiJson, projectWithSession } from "./helpers.ts";

const URL_A = "https://github.com/acme/widgets";
const TOKEN = "github_pat_11ABCDEFG0123456789_workers_secret_wxyz";

type ProjectBody = { repository: { url: string; defaultBranch: string; credential: { kind: string; last4: string } | null } | null };

describe("project repository", () => {
  it("is null until an owner sets it; members read it; the credential shows only its last four characters", async () => {
    const { projectId } = await projectWithSession("repo");
    expect((await apiJson<ProjectBody>(`/api/projects/${projectId}`)).repository).toBeNull();

    const set = await apiJson<ProjectBody>(`/api/projects/${projectId}`, { method: "PATCH", json: { repository: { url: URL_A } } });
    expect(set.repository).toEqual({ url: URL_A, defaultBranch: "main", credential: null });

    const stored = await apiJson<ProjectBody>(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { token: TOKEN } });
    expect(stored.repository?.credential).toEqual({ kind: "github-token", last4: "wxyz" });
    expect(JSON.stringify(stored)).not.toContain(TOKEN);

    const bob = await addUser("bob");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: bob.id, role: "member" } }, 201);
    const read = await api(`/api/projects/${projectId}`, { token: bob.token });
    const text = await read.text();
    expect(read.status).toBe(200);
    expect((JSON.parse(text) as ProjectBody).repository).toEqual({ url: URL_A, defaultBranch: "main", credential: { kind: "github-token", last4: "wxyz" } });
    expect(text).not.toContain(TOKEN);

    // A member may change other settings but not the repository.
    const refused = await api(`/api/projects/${projectId}`, { method: "PATCH", token: bob.token, json: { repository: null } });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("owners");
    expect((await apiJson<ProjectBody>(`/api/projects/${projectId}`)).repository?.url).toBe(URL_A);

    // Stored sealed: the project actor's table holds no plain token.
    const stub = env.ProjectAgent.get(env.ProjectAgent.idFromName(projectId));
    const row = await runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ token_json: string }>(`SELECT token_json FROM repository`).one());
    expect(row.token_json).not.toContain(TOKEN);
    expect(JSON.parse(row.token_json)).toHaveProperty("ciphertext");
  });

  it("takes a GitHub App installation as the credential: checked by minting a token, shown as its id, its tokens given to tasks", async () => {
    const { projectId } = await projectWithSession("app repo");
    await apiJson(`/api/projects/${projectId}`, { method: "PATCH", json: { repository: { url: URL_A } } });
    const set = await apiJson<ProjectBody>(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { installationId: TEST_GITHUB_INSTALLATION_ID } });
    expect(set.repository?.credential).toEqual({ kind: "github-app", installationId: TEST_GITHUB_INSTALLATION_ID });
    expect((await apiJson<ProjectBody>(`/api/projects/${projectId}`)).repository?.credential).toEqual({ kind: "github-app", installationId: TEST_GITHUB_INSTALLATION_ID });

    // A task's clone and push get the installation's minted token (kept while it lives: asked twice, minted once at most).
    const actor = await env.ProjectAgent.getByName(projectId);
    const first = await actor.repositoryAccess();
    const second = await actor.repositoryAccess();
    expect(first).toEqual({ url: URL_A, defaultBranch: "main", token: TEST_GITHUB_INSTALLATION_TOKEN });
    expect(second?.token).toBe(TEST_GITHUB_INSTALLATION_TOKEN);

    // Another installation than the App's on this repository is refused, naming it; the stored credential stays.
    const unknown = await api(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { installationId: 999_999 } });
    expect(unknown.status).toBe(400);
    const refusal = ((await unknown.json()) as { error: { code: string; message: string } }).error;
    expect(refusal).toEqual({ code: "invalid_input", message: `SAM's GitHub App is installed on acme/widgets as installation ${TEST_GITHUB_INSTALLATION_ID}, not 999999` });
    for (const bad of [{ token: TOKEN, installationId: 1 }, {}, { installationId: 0 }, { installationId: "4242" }]) {
      expect((await api(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: bad })).status, JSON.stringify(bad)).toBe(400);
    }
    expect((await apiJson<ProjectBody>(`/api/projects/${projectId}`)).repository?.credential).toEqual({ kind: "github-app", installationId: TEST_GITHUB_INSTALLATION_ID });

    // Only an admin may bind a project to the App: an owner who is not one gets 403 (the App may be installed on others' repositories).
    const owner = await addUser("app-owner");
    const own = await apiJson<{ id: string }>("/api/projects", { method: "POST", json: { name: "theirs" }, token: owner.token }, 201);
    await apiJson(`/api/projects/${own.id}`, { method: "PATCH", json: { repository: { url: URL_A } }, token: owner.token });
    const notAdmin = await api(`/api/projects/${own.id}/repository-credential`, { method: "PUT", json: { installationId: TEST_GITHUB_INSTALLATION_ID }, token: owner.token });
    expect(notAdmin.status).toBe(403);
    expect((await apiJson<ProjectBody>(`/api/projects/${own.id}`, { token: owner.token })).repository?.credential).toBeNull();
    // A repository the App is not installed on is refused.
    const { projectId: other } = await projectWithSession("app elsewhere");
    await apiJson(`/api/projects/${other}`, { method: "PATCH", json: { repository: { url: "https://github.com/other/thing" } } });
    const elsewhere = await api(`/api/projects/${other}/repository-credential`, { method: "PUT", json: { installationId: TEST_GITHUB_INSTALLATION_ID } });
    expect(((await elsewhere.json()) as { error: { message: string } }).error.message).toBe("SAM's GitHub App (App 123456) is not installed on other/thing");

    // A token replaces the installation, and the installation a token; DELETE removes either.
    await apiJson(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { token: TOKEN } });
    expect((await actor.repositoryAccess())?.token).toBe(TOKEN);
    await apiJson(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { installationId: TEST_GITHUB_INSTALLATION_ID } });
    expect((await actor.repositoryAccess())?.token).toBe(TEST_GITHUB_INSTALLATION_TOKEN);
    expect(await apiJson(`/api/projects/${projectId}/repository-credential`, { method: "DELETE" })).toEqual({ deleted: true });
    expect((await actor.repositoryAccess())?.token).toBeNull();
  });

  it("refuses URLs with credentials, other schemes and bad branch names, naming the problem", async () => {
    const { projectId } = await projectWithSession("bad repo");
    const cases: [unknown, string][] = [
      [{ url: "https://user:pass@github.com/acme/w" }, "may not carry a user name or password"],
      [{ url: "ssh://git@github.com/acme/w" }, "must use https"],
      [{ url: "file:///etc/passwd" }, "must use https"],
      [{ url: "https://github.com/acme" }, "<owner>/<repo>"],
      [{ url: URL_A, defaultBranch: "main..x" }, "'..'"],
      [{ url: URL_A, extra: 1 }, ""],
    ];
    for (const [repository, words] of cases) {
      const res = await api(`/api/projects/${projectId}`, { method: "PATCH", json: { repository } });
      expect(res.status, JSON.stringify(repository)).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("invalid_input");
      expect(body.error.message).toContain(words);
    }
    expect((await apiJson<ProjectBody>(`/api/projects/${projectId}`)).repository).toBeNull();
  });

  it("a credential needs a repository; a new URL drops the credential; null removes the repository", async () => {
    const { projectId } = await projectWithSession("credential");
    const early = await api(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { token: TOKEN } });
    expect(early.status).toBe(400);
    expect(((await early.json()) as { error: { message: string } }).error.message).toContain("names no repository");
    const short = await api(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { token: "x" } });
    expect(short.status).toBe(400);

    await apiJson(`/api/projects/${projectId}`, { method: "PATCH", json: { repository: { url: URL_A, defaultBranch: "trunk" } } });
    await apiJson(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { token: TOKEN } });
    // The same URL keeps it.
    const same = await apiJson<ProjectBody>(`/api/projects/${projectId}`, { method: "PATCH", json: { repository: { url: URL_A, defaultBranch: "main" } } });
    expect(same.repository?.credential?.last4).toBe("wxyz");
    const moved = await apiJson<ProjectBody>(`/api/projects/${projectId}`, { method: "PATCH", json: { repository: { url: "https://github.com/acme/other" } } });
    expect(moved.repository).toEqual({ url: "https://github.com/acme/other", defaultBranch: "main", credential: null });

    await apiJson(`/api/projects/${projectId}/repository-credential`, { method: "PUT", json: { token: TOKEN } });
    expect(await apiJson(`/api/projects/${projectId}/repository-credential`, { method: "DELETE" })).toEqual({ deleted: true });
    expect((await apiJson<ProjectBody>(`/api/projects/${projectId}`)).repository?.credential).toBeNull();

    const cleared = await apiJson<ProjectBody>(`/api/projects/${projectId}`, { method: "PATCH", json: { repository: null } });
    expect(cleared.repository).toBeNull();
  });

  it("a task or mission with repo in a project without a repository is refused with 400", async () => {
    const { projectId } = await projectWithSession("no repo");
    const task = await api(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "p", script: [{ text: "done" }], repo: { ref: "main" } } });
    expect(task.status).toBe(400);
    const body = (await task.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.message).toContain("the project names no repository");
    const listed = await apiJson<{ tasks: unknown[] }>(`/api/projects/${projectId}/tasks`);
    expect(listed.tasks).toEqual([]);

    const mission = await api(`/api/projects/${projectId}/missions`, {
      method: "POST",
      json: { goal: "g", tasks: [{ key: "a", prompt: "p", script: [{ text: "done" }], repo: { branch: "shared" } }] },
    });
    expect(mission.status).toBe(400);
    expect(((await mission.json()) as { error: { message: string } }).error.message).toContain('task "a" asks for repo');

    const badRef = await api(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "p", script: [{ text: "done" }], repo: { ref: "-bad" } } });
    expect(badRef.status).toBe(400);
  });
});
