/**
 * `GET /api/tasks/:taskId/diff` (issue 15): a task's workspace changes as git's unified diff
 * with the changed files, readable by the project's members and nobody else.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { diffTaskWorkspace } from "../../src/actors/task/files.ts";
import { newId } from "../../src/ids.ts";
import { addUser, api, apiJson, projectWithSession, waitForTask } from "./helpers.ts";

describe("a task's diff", () => {
  it("returns the workspace's unified diff and changed files; 404 for a stranger or an unknown task", async () => {
    const { projectId } = await projectWithSession("diff route");
    const created = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, {
      method: "POST",
      json: {
        prompt: "Fix the greeting and add notes",
        workspace: { files: { "greet.sh": "echo 'helo world'\necho bye\n", "old.txt": "remove me\n" } },
        script: [
          { toolCalls: [{ toolName: "edit_file", input: { path: "greet.sh", old_string: "helo", new_string: "hello" } }] },
          { toolCalls: [{ toolName: "bash", input: { command: "printf 'one\\ntwo\\n' > notes.md && rm old.txt" } }] },
          { text: "done" },
        ],
      },
    }, 201);
    const task = await waitForTask(created.id);
    expect(task.status).toBe("succeeded");

    const body = await apiJson<{ diff: string; changedFiles: string[] }>(`/api/tasks/${created.id}/diff`);
    expect(Object.keys(body).sort()).toEqual(["changedFiles", "diff"]);
    expect(body.changedFiles).toEqual(["greet.sh", "notes.md", "old.txt"]);
    expect(body.diff).toContain("diff --git a/greet.sh b/greet.sh");
    expect(body.diff).toContain("-echo 'helo world'");
    expect(body.diff).toContain("+echo 'hello world'");
    expect(body.diff).toContain("+two");
    expect(body.diff).toContain("-remove me");

    const stranger = await addUser("diff stranger");
    const hidden = await api(`/api/tasks/${created.id}/diff`, { token: stranger.token });
    expect(hidden.status).toBe(404);
    expect(((await hidden.json()) as { error: { code: string } }).error.code).toBe("not_found");

    const unknown = await api(`/api/tasks/${newId("task")}/diff`);
    expect(unknown.status).toBe(404);
    expect((await api("/api/tasks/not-a-task/diff")).status).toBe(400);
    expect((await api(`/api/tasks/${created.id}/diff`, { token: null })).status).toBe(401);
  });

  it("reports a workspace that does not exist as no_workspace (the route's 409), without throwing", async () => {
    const result = await diffTaskWorkspace(env, newId("task"));
    expect(result).toMatchObject({ ok: false, code: "no_workspace" });
  });
});
