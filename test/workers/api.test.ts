import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/shared/protocol.ts";
import { api, apiJson, createOtherUser, projectWithSession } from "./helpers.ts";

describe("auth and errors", () => {
  it("serves health without a token", async () => {
    const health = await apiJson<{ ok: boolean; version: string }>("/api/health", { token: null });
    expect(health.ok).toBe(true);
    expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("answers 401 with an error body for a missing or wrong token", async () => {
    for (const token of [null, "sam_pat_wrong_token_value_1234567890"]) {
      const response = await api("/api/projects", { token });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("unauthorized");
      expect(body.error.message).toBeTruthy();
    }
  });

  it("hides another user's project and task as 404", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const task = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "hi", script: [{ text: "done" }] } }, 201);
    const other = await createOtherUser();
    for (const path of [
      `/api/projects/${projectId}/sessions`,
      `/api/projects/${projectId}/tasks`,
      `/api/projects/${projectId}/sessions/${sessionId}/messages`,
      `/api/tasks/${task.id}`,
      `/api/tasks/${task.id}/transcript`,
    ]) {
      const response = await api(path, { token: other });
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
    const listed = await apiJson<{ projects: { id: string }[] }>("/api/projects", { token: other });
    expect(listed.projects.map((p) => p.id)).not.toContain(projectId);
  });

  it("refuses bad input with 400 and keeps working", async () => {
    const bad = await api("/api/projects", { method: "POST", body: "{not json", headers: { "content-type": "application/json" } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_json");
    const empty = await api("/api/projects", { method: "POST", json: { name: "" } });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe("invalid_input");
    const malformedId = await api("/api/projects/not-a-project-id/sessions");
    expect(malformedId.status).toBe(400);
    const unknownModel = await projectWithSession();
    const refused = await api(`/api/projects/${unknownModel.projectId}/tasks`, { method: "POST", json: { prompt: "x", model: "nope/model" } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("model_unavailable");
    // The API still serves after all that.
    await apiJson("/api/projects", { method: "POST", json: { name: "still fine" } }, 201);
  });
});

describe("projects, sessions and messages", () => {
  it("creates and lists projects and sessions with prefixed ids", async () => {
    const project = await apiJson<{ id: string; name: string; createdAt: string }>("/api/projects", { method: "POST", json: { name: "alpha" } }, 201);
    expect(project.id).toMatch(/^prj_[0-9A-Z]{26}$/);
    expect(project.name).toBe("alpha");
    const list = await apiJson<{ projects: { id: string }[] }>("/api/projects");
    expect(list.projects.map((p) => p.id)).toContain(project.id);
    const session = await apiJson<{ id: string; title: string }>(`/api/projects/${project.id}/sessions`, { method: "POST", json: {} }, 201);
    expect(session.id).toMatch(/^ses_/);
    const sessions = await apiJson<{ sessions: { id: string }[] }>(`/api/projects/${project.id}/sessions`);
    expect(sessions.sessions.map((s) => s.id)).toEqual([session.id]);
  });

  it("numbers messages 1, 2, 3... per session and pages history oldest first", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const path = `/api/projects/${projectId}/sessions/${sessionId}/messages`;
    for (let i = 1; i <= 7; i++) {
      const message = await apiJson<ChatMessage>(path, { method: "POST", json: { text: `m${i}` } }, 201);
      expect(message.seq).toBe(i);
      expect(message.role).toBe("user");
      expect(message.id).toMatch(/^msg_/);
    }
    const latest = await apiJson<{ messages: ChatMessage[] }>(`${path}?limit=3`);
    expect(latest.messages.map((m) => m.text)).toEqual(["m5", "m6", "m7"]);
    const earlier = await apiJson<{ messages: ChatMessage[] }>(`${path}?limit=3&before=5`);
    expect(earlier.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
    const all = await apiJson<{ messages: ChatMessage[] }>(path);
    expect(all.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const tooMany = await api(`${path}?limit=500`);
    expect(tooMany.status).toBe(400);
    // A second session has its own numbering.
    const second = await apiJson<{ id: string }>(`/api/projects/${projectId}/sessions`, { method: "POST", json: {} }, 201);
    const first = await apiJson<ChatMessage>(`/api/projects/${projectId}/sessions/${second.id}/messages`, { method: "POST", json: { text: "x" } }, 201);
    expect(first.seq).toBe(1);
  });

  it("refuses a session id of another project", async () => {
    const a = await projectWithSession("a");
    const b = await projectWithSession("b");
    const response = await api(`/api/projects/${a.projectId}/sessions/${b.sessionId}/messages`, { method: "POST", json: { text: "leak?" } });
    expect(response.status).toBe(404);
  });
});
