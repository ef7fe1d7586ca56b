/**
 * Embed tokens in the Workers runtime: minted by members, refused on the REST API, checked on
 * the socket's upgrade (project, origin, expiry), scoped to their capabilities and session on
 * the socket, and closed when revoked or expired; and who is online (`presence`).
 */
import { getAgentByName } from "agents";
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ProjectAgent } from "../../src/actors/project/project-agent.ts";
import { ACCESS_CHANGED_CLOSE_CODE } from "../../src/actors/project/socket.ts";
import type { ServerFrame } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { addUser, api, apiJson, connect, projectWithSession, type TestSocket } from "./helpers.ts";

const APP = "https://app.example";
type Minted = { id: string; token: string; expiresAt: string };

async function mint(projectId: string, body: Record<string, unknown>, token?: string): Promise<Minted> {
  return apiJson<Minted>(`/api/projects/${projectId}/embed-tokens`, { method: "POST", json: { name: "Visitor", origins: [APP], expiresInMinutes: 30, ...body }, token }, 201);
}

/** Opens the project socket with an embed token, from `origin` (the app's page by default). */
function embedSocket(projectId: string, token: string, origin: string | null = APP): Promise<TestSocket> {
  return connect(projectId, token, origin ? { origin } : {});
}

describe("embed tokens", () => {
  it("are minted by members (shown once), listed without their secret, and refused to viewers and bad input", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const minted = await mint(projectId, { capabilities: ["chat:read"], sessionId });
    expect(minted.token).toMatch(/^sam_emb_[a-z2-7]{52}$/);
    expect(minted.id).toMatch(/^emb_/);
    const listed = await apiJson<{ embedTokens: { id: string; capabilities: string[]; sessionId: string; origins: string[] }[] }>(`/api/projects/${projectId}/embed-tokens`);
    expect(listed.embedTokens).toEqual([expect.objectContaining({ id: minted.id, capabilities: ["chat:read"], sessionId, origins: [APP] })]);
    expect(JSON.stringify(listed)).not.toContain(minted.token);
    const viewer = await addUser("embed-viewer");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: viewer.id, role: "viewer" } }, 201);
    expect((await api(`/api/projects/${projectId}/embed-tokens`, { method: "POST", token: viewer.token, json: { name: "v", capabilities: ["chat:read"], origins: [APP], expiresInMinutes: 5 } })).status).toBe(403);
    for (const bad of [{ origins: ["https://app.example/path"] }, { capabilities: ["admin"] }, { expiresInMinutes: 100_000 }, { sessionId: "ses_01J00000000000000000000000" }]) {
      const response = await api(`/api/projects/${projectId}/embed-tokens`, { method: "POST", json: { name: "x", capabilities: ["chat:read"], origins: [APP], expiresInMinutes: 5, ...bad } });
      expect(response.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it("are refused on the REST API", async () => {
    const { projectId } = await projectWithSession();
    const { token } = await mint(projectId, { capabilities: ["chat:read", "chat:write", "tasks:read", "tasks:write"] });
    for (const path of ["/api/me", `/api/projects/${projectId}`, `/api/projects/${projectId}/tasks`]) {
      const response = await api(path, { token });
      expect(response.status, path).toBe(401);
    }
  });

  it("open only their project's socket, only from their origins", async () => {
    const { projectId } = await projectWithSession();
    const other = await projectWithSession();
    const { token } = await mint(projectId, { capabilities: ["chat:read"] });
    await expect(embedSocket(projectId, token, "https://evil.example")).rejects.toThrow(/403/);
    await expect(embedSocket(projectId, token, null)).rejects.toThrow(/403/);
    await expect(embedSocket(other.projectId, token)).rejects.toThrow(/401/);
    (await embedSocket(projectId, token)).ws.close();
  });

  it("a chat:read token in one session hears that session only, cannot write, and sees no tasks", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const otherSession = await apiJson<{ id: string }>(`/api/projects/${projectId}/sessions`, { method: "POST", json: { title: "other" } }, 201);
    const { token } = await mint(projectId, { capabilities: ["chat:read"], sessionId });
    const visitor = await embedSocket(projectId, token);
    await apiJson(`/api/projects/${projectId}/sessions/${otherSession.id}/messages`, { method: "POST", json: { text: "elsewhere" } }, 201);
    await apiJson(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "p", script: [{ text: "done" }] } }, 201);
    await apiJson(`/api/projects/${projectId}/sessions/${sessionId}/messages`, { method: "POST", json: { text: "here" } }, 201);
    const heard = await visitor.next((f) => f.type === "chat.message");
    expect(heard.type === "chat.message" && heard.message.text).toBe("here");
    visitor.send({ type: "chat.send", sessionId, text: "may I?" });
    expect(await visitor.next((f) => f.type === "error")).toMatchObject({ code: "forbidden" });
    visitor.send({ type: "task.watch", taskIds: [] });
    await pollUntil("two forbidden error frames", async () => visitor.frames.filter((f) => f.type === "error").length, (n) => n >= 2);
    const seen = visitor.frames.map((f) => (f.type === "chat.message" ? `chat:${f.message.text}` : f.type));
    expect(seen).not.toContain("chat:elsewhere");
    expect(seen).not.toContain("task.updated");
  });

  it("a chat:write token writes as its visitor; a tasks token sees tasks and answers a question", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const writer = await embedSocket(projectId, (await mint(projectId, { name: "Ada's visitor", capabilities: ["chat:read", "chat:write"] })).token);
    writer.send({ type: "chat.send", sessionId, text: "hello from the app" });
    const posted = await writer.next((f) => f.type === "chat.message");
    expect(posted.type === "chat.message" && posted.message.author).toMatchObject({ name: "Ada's visitor", kind: "user" });
    expect(posted.type === "chat.message" && posted.message.author.id).toMatch(/^emb_/);

    const tasks = await embedSocket(projectId, (await mint(projectId, { capabilities: ["tasks:read", "tasks:write"] })).token);
    const task = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, {
      method: "POST",
      json: { prompt: "ask", script: [{ toolCalls: [{ toolName: "ask_human", input: { question: "which colour?" } }] }, { text: "done" }] },
    }, 201);
    await tasks.next((f) => f.type === "task.updated" && f.task.id === task.id && f.task.status === "waiting");
    tasks.send({ type: "task.answer", taskId: task.id, text: "blue" });
    await tasks.next((f) => f.type === "task.updated" && f.task.id === task.id && f.task.status === "succeeded");
    expect(tasks.frames.some((f) => f.type === "chat.message")).toBe(false);
  });

  it("a chat:write visitor cannot answer a task through the chat, nor drive the tech lead's tools", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const task = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, {
      method: "POST",
      json: { prompt: "ask", script: [{ toolCalls: [{ toolName: "ask_human", input: { question: "which colour?" } }] }, { text: "done" }] },
    }, 201);
    await pollUntil("the task to wait", async () => (await apiJson<{ status: string }>(`/api/tasks/${task.id}`)).status, (s) => s === "waiting");
    const visitor = await embedSocket(projectId, (await mint(projectId, { capabilities: ["chat:read", "chat:write"] })).token);
    visitor.send({ type: "chat.send", sessionId, text: `@${task.id} red` });
    await visitor.next((f) => f.type === "chat.message" && f.message.text === `@${task.id} red`);
    // A person's message after it is handled after it: by then the visitor's mention was ignored.
    await apiJson(`/api/projects/${projectId}/sessions/${sessionId}/messages`, { method: "POST", json: { text: "after" } }, 201);
    expect((await apiJson<{ status: string }>(`/api/tasks/${task.id}`)).status).toBe("waiting");
    visitor.send({ type: "task.answer", taskId: task.id, text: "red" });
    expect(await visitor.next((f) => f.type === "error")).toMatchObject({ code: "forbidden" });
  });

  it("ends with its maker's access: removing the maker closes its sockets and refuses it", async () => {
    const { projectId } = await projectWithSession();
    const maker = await addUser("embed-maker");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: maker.id, role: "member" } }, 201);
    const { token } = await mint(projectId, { capabilities: ["chat:read"] }, maker.token);
    const socket = await embedSocket(projectId, token);
    expect((await api(`/api/projects/${projectId}/members/${maker.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await socket.closed).code).toBe(ACCESS_CHANGED_CLOSE_CODE);
    await expect(embedSocket(projectId, token)).rejects.toThrow(/401/);
  });

  it("revoking closes its sockets at once; an expired token's socket is closed and it cannot reconnect", async () => {
    const { projectId } = await projectWithSession();
    const revoked = await mint(projectId, { capabilities: ["chat:read"] });
    const socket = await embedSocket(projectId, revoked.token);
    expect((await api(`/api/projects/${projectId}/embed-tokens/${revoked.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await socket.closed).code).toBe(ACCESS_CHANGED_CLOSE_CODE);
    await expect(embedSocket(projectId, revoked.token)).rejects.toThrow(/401/);

    const short = await mint(projectId, { capabilities: ["chat:read"], expiresInMinutes: 1 });
    const expiring = await embedSocket(projectId, short.token);
    const stub = await getAgentByName(env.ProjectAgent, projectId);
    await runInDurableObject(stub, async (instance: ProjectAgent) => {
      instance["socket"].clock = () => Date.now() + 120_000;
      await instance.closeExpiredEmbeds();
    });
    expect(await expiring.closed).toEqual({ code: ACCESS_CHANGED_CLOSE_CODE, reason: "embed token expired" });
    await env.DB.prepare(`UPDATE embed_tokens SET expires_at = ? WHERE id = ?`).bind(new Date(Date.now() - 1000).toISOString(), short.id).run();
    await expect(embedSocket(projectId, short.token)).rejects.toThrow(/401/);
  });
});

describe("a person's expiring token", () => {
  it("closes the sockets opened with it when it expires; a token without expiry, or a client's own expiry header, keeps its socket", async () => {
    const { projectId } = await projectWithSession();
    const short = await apiJson<{ token: string; expiresAt: string }>("/api/tokens", { method: "POST", json: { name: "for a day", expiresInDays: 1 } }, 201);
    const expiring = await connect(projectId, short.token);
    await expiring.next((f) => f.type === "welcome");
    const lasting = await connect(projectId);
    // A client cannot set its socket's expiry (the Worker drops the header and sets its own).
    const spoofed = await connect(projectId, undefined, { "x-sam-credential-expires": new Date(Date.now() - 60_000).toISOString() });
    await lasting.next((f) => f.type === "welcome");
    await spoofed.next((f) => f.type === "welcome");
    const stub = await getAgentByName(env.ProjectAgent, projectId);
    // Before the expiry nothing closes; past it, the alarm's callback closes that socket alone.
    const closedBefore = await runInDurableObject(stub, async (instance: ProjectAgent) => instance["socket"].closeExpired(Date.parse(short.expiresAt) - 1000));
    expect(closedBefore).toBe(0);
    await runInDurableObject(stub, async (instance: ProjectAgent) => {
      instance["socket"].clock = () => Date.parse(short.expiresAt) + 1000;
      await instance.closeExpiredEmbeds();
      instance["socket"].clock = () => Date.now();
    });
    expect(await expiring.closed).toEqual({ code: ACCESS_CHANGED_CLOSE_CODE, reason: "token expired" });
    lasting.send({ type: "task.watch", taskIds: [] });
    spoofed.send({ type: "task.watch", taskIds: [] });
    expect(lasting.ws.readyState).toBe(WebSocket.OPEN);
    expect(spoofed.ws.readyState).toBe(WebSocket.OPEN);
    lasting.ws.close();
    spoofed.ws.close();
  });
});

describe("presence", () => {
  it("tells every member who is online, and updates when someone leaves; embeds are not people", async () => {
    const { projectId } = await projectWithSession();
    const me = await apiJson<{ user: { id: string } }>("/api/me");
    const bea = await addUser("bea");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: bea.id, role: "member" } }, 201);
    const mine = await connect(projectId);
    const visitor = await embedSocket(projectId, (await mint(projectId, { capabilities: ["chat:read"] })).token);
    const hers = await connect(projectId, bea.token);
    const both = (f: ServerFrame) => f.type === "presence" && f.users.length === 2;
    const seen = await mine.next(both);
    expect(seen.type === "presence" && seen.users.map((u) => u.id).sort()).toEqual([me.user.id, bea.id].sort());
    expect(await visitor.next(both)).toBeTruthy();
    hers.ws.close();
    await pollUntil("presence without bea", async () => mine.frames.filter((f) => f.type === "presence").at(-1), (f) => f?.type === "presence" && f.users.length === 1);
  });
});

describe("what a connection learns on the socket (welcome, history, tasks)", () => {
  it("an embed's first frame says what it may do; it reads its session's history and the tasks over the socket", async () => {
    const { projectId, sessionId } = await projectWithSession();
    for (const text of ["one", "two", "three"]) await apiJson(`/api/projects/${projectId}/sessions/${sessionId}/messages`, { method: "POST", json: { text } }, 201);
    const task = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "listed", script: [{ text: "done" }] } }, 201);
    const minted = await mint(projectId, { name: "Reader", capabilities: ["chat:read", "tasks:read"], sessionId });
    const visitor = await embedSocket(projectId, minted.token);
    const welcome = await visitor.next((f) => f.type === "welcome");
    expect(welcome).toEqual({ type: "welcome", user: { id: minted.id, name: "Reader" }, role: "viewer", capabilities: ["chat:read", "tasks:read"], sessionId, expiresAt: minted.expiresAt });
    // (The Agents SDK's own frames, `cf_agent_*`, come before SAM's.)
    expect(visitor.frames.find((f) => !f.type.startsWith("cf_agent"))?.type).toBe("welcome");

    visitor.send({ type: "chat.history", sessionId, limit: 2 });
    const latest = await visitor.next((f) => f.type === "chat.history" && f.before === null);
    expect(latest.type === "chat.history" && latest.messages.map((m) => m.text)).toEqual(["two", "three"]);
    expect(latest.type === "chat.history" && latest.hasMore).toBe(true);
    visitor.send({ type: "chat.history", sessionId, before: 2 });
    const older = await visitor.next((f) => f.type === "chat.history" && f.before === 2);
    expect(older.type === "chat.history" && [older.messages.map((m) => m.text), older.hasMore]).toEqual([["one"], false]);

    visitor.send({ type: "task.list" });
    const listed = await visitor.next((f) => f.type === "task.list");
    expect(listed.type === "task.list" && listed.tasks.map((t) => t.id)).toContain(task.id);
  });

  it("history and tasks follow the token's capabilities and session; a person's welcome has no capabilities", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const otherSession = await apiJson<{ id: string }>(`/api/projects/${projectId}/sessions`, { method: "POST", json: { title: "other" } }, 201);
    await apiJson(`/api/projects/${projectId}/sessions/${otherSession.id}/messages`, { method: "POST", json: { text: "private" } }, 201);
    const bound = await embedSocket(projectId, (await mint(projectId, { capabilities: ["chat:read"], sessionId })).token);
    bound.send({ type: "chat.history", sessionId: otherSession.id });
    expect(await bound.next((f) => f.type === "error")).toMatchObject({ code: "forbidden" });
    bound.send({ type: "task.list" });
    await pollUntil("two forbidden error frames", async () => bound.frames.filter((f) => f.type === "error" && f.code === "forbidden").length, (n) => n === 2);
    expect(bound.frames.some((f) => f.type === "chat.history" || f.type === "task.list")).toBe(false);

    const tasksOnly = await embedSocket(projectId, (await mint(projectId, { capabilities: ["tasks:read"] })).token);
    tasksOnly.send({ type: "chat.history", sessionId });
    expect(await tasksOnly.next((f) => f.type === "error")).toMatchObject({ code: "forbidden" });

    const person = await connect(projectId);
    expect(await person.next((f) => f.type === "welcome")).toMatchObject({ type: "welcome", role: "owner", capabilities: null, sessionId: null, expiresAt: null });
    person.send({ type: "chat.history", sessionId: otherSession.id });
    const history = await person.next((f) => f.type === "chat.history");
    expect(history.type === "chat.history" && history.messages.map((m) => m.text)).toEqual(["private"]);
    person.send({ type: "chat.history", sessionId: "ses_01J00000000000000000000000" });
    expect(await person.next((f) => f.type === "error")).toMatchObject({ code: "not_found" });
  });
});

