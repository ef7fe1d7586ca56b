/**
 * People (issue 13), in the Workers runtime: accounts and their status, personal access tokens
 * (keyed hashes, expiry, revocation), rate limiting of failed bearer attempts, project members
 * and roles (on HTTP and on the socket), and what happens to open sockets when access changes.
 */
import { getAgentByName } from "agents";
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ProjectAgent } from "../../src/actors/project/project-agent.ts";
import { ACCESS_CHANGED_CLOSE_CODE } from "../../src/actors/project/socket.ts";
import { newId } from "../../src/ids.ts";
import { pollUntil } from "../support/poll.ts";
import { addUser, api, apiJson, connect, projectWithSession, TOKEN, waitForTask } from "./helpers.ts";

type Me = { user: { id: string; name: string; role: string; status: string } };
type Token = { id: string; name: string; token: string; createdAt: string; expiresAt: string | null };

/** Hex SHA-256, to show what the store does not hold. */
async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("accounts", () => {
  it("the local user is an active admin", async () => {
    const me = await apiJson<Me>("/api/me");
    expect(me.user).toMatchObject({ name: "local", role: "admin", status: "active" });
  });

  it("an admin adds a person, who is an active member with a working token; a member may not administer", async () => {
    const ada = await addUser("ada");
    const me = await apiJson<Me>("/api/me", { token: ada.token });
    expect(me.user).toEqual({ id: ada.id, name: "ada", role: "member", status: "active" });
    const listed = await apiJson<{ users: { id: string }[] }>("/api/admin/users");
    expect(listed.users.map((u) => u.id)).toContain(ada.id);
    for (const [method, path] of [["GET", "/api/admin/users"], ["POST", "/api/admin/users"], ["POST", `/api/admin/users/${ada.id}/suspend`]] as const) {
      const response = await api(path, { method, token: ada.token, json: method === "POST" ? { name: "eve" } : undefined });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    }
  });

  it("refuses bad input to the admin routes with the error object", async () => {
    const empty = await api("/api/admin/users", { method: "POST", json: { name: "" } });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { code: string } }).error.code).toBe("invalid_input");
    expect((await api(`/api/admin/users/${newId("user")}/approve`, { method: "POST" })).status).toBe(404);
    expect((await api(`/api/admin/users/not-an-id/approve`, { method: "POST" })).status).toBe(400);
  });

  it("a pending account sees only /api/me until an admin approves it", async () => {
    const bob = await addUser("bob");
    await env.DB.prepare(`UPDATE users SET status = 'pending' WHERE id = ?`).bind(bob.id).run();
    expect((await apiJson<Me>("/api/me", { token: bob.token })).user.status).toBe("pending");
    const refused = await api("/api/projects", { token: bob.token });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("account_pending");
    await apiJson(`/api/admin/users/${bob.id}/approve`, { method: "POST" });
    expect((await api("/api/projects", { token: bob.token })).status).toBe(200);
    expect((await api(`/api/admin/users/${bob.id}/approve`, { method: "POST" })).status).toBe(409);
  });

  it("suspending closes the person's sockets and refuses their tokens from the next request; reinstating lets them back", async () => {
    const cy = await addUser("cy");
    const { projectId } = await projectWithSession();
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: cy.id, role: "member" } }, 201);
    const socket = await connect(projectId, cy.token);
    await apiJson(`/api/admin/users/${cy.id}/suspend`, { method: "POST" });
    expect((await socket.closed).code).toBe(ACCESS_CHANGED_CLOSE_CODE);
    const refused = await api(`/api/projects/${projectId}`, { token: cy.token });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("account_suspended");
    await expect(connect(projectId, cy.token)).rejects.toThrow(/403/);
    expect((await apiJson<Me>("/api/me", { token: cy.token })).user.status).toBe("suspended");
    await apiJson(`/api/admin/users/${cy.id}/reinstate`, { method: "POST" });
    expect((await api(`/api/projects/${projectId}`, { token: cy.token })).status).toBe(200);
  });

  it("an admin cannot suspend themselves", async () => {
    const me = await apiJson<Me>("/api/me");
    expect((await api(`/api/admin/users/${me.user.id}/suspend`, { method: "POST" })).status).toBe(409);
  });
});

describe("personal access tokens", () => {
  it("are made, used, listed without their secret, revoked and then refused", async () => {
    const made = await apiJson<Token>("/api/tokens", { method: "POST", json: { name: "laptop", expiresInDays: 30 } }, 201);
    expect(made.token).toMatch(/^sam_pat_[a-z2-7]{52}$/);
    expect(Date.parse(made.expiresAt ?? "") - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await apiJson<Me>("/api/me", { token: made.token })).user.name).toBe("local");
    const listed = await apiJson<{ tokens: (Omit<Token, "token"> & { lastUsedAt: string | null })[] }>("/api/tokens");
    const entry = listed.tokens.find((t) => t.id === made.id);
    expect(entry).toMatchObject({ name: "laptop", expiresAt: made.expiresAt });
    expect(entry?.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed)).not.toContain(made.token);
    expect((await api(`/api/tokens/${made.id}`, { method: "DELETE" })).status).toBe(204);
    expect((await api("/api/me", { token: made.token })).status).toBe(401);
    expect((await api(`/api/tokens/${made.id}`, { method: "DELETE" })).status).toBe(404);
  });

  it("are stored as a keyed hash, never in clear nor as a plain SHA-256", async () => {
    const made = await apiJson<Token>("/api/tokens", { method: "POST", json: { name: "stored" } }, 201);
    const row = await env.DB.prepare(`SELECT token_hash, hash_kind FROM api_tokens WHERE id = ?`).bind(made.id).first<{ token_hash: string; hash_kind: string }>();
    expect(row?.hash_kind).toBe("hmac");
    expect(row?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.token_hash).not.toBe(await sha256Hex(made.token));
    const dump = JSON.stringify((await env.DB.prepare(`SELECT * FROM api_tokens`).all()).results);
    expect(dump).not.toContain(made.token);
  });

  it("a token stored by an older version (plain SHA-256) still works and is rewritten to the keyed hash", async () => {
    const me = await apiJson<Me>("/api/me");
    const token = `sam_pat_legacy_${crypto.randomUUID()}`;
    const id = newId("token");
    await env.DB.prepare(`INSERT INTO api_tokens (id, user_id, token_hash, name, created_at) VALUES (?, ?, ?, 'old', ?)`)
      .bind(id, me.user.id, await sha256Hex(token), new Date().toISOString())
      .run();
    expect((await apiJson<Me>("/api/me", { token })).user.id).toBe(me.user.id);
    const row = await env.DB.prepare(`SELECT token_hash, hash_kind FROM api_tokens WHERE id = ?`).bind(id).first<{ token_hash: string; hash_kind: string }>();
    expect(row?.hash_kind).toBe("hmac");
    expect(row?.token_hash).not.toBe(await sha256Hex(token));
    expect((await apiJson<Me>("/api/me", { token })).user.id).toBe(me.user.id);
  });

  it("an expired token is refused", async () => {
    const made = await apiJson<Token>("/api/tokens", { method: "POST", json: { name: "short", expiresInDays: 1 } }, 201);
    await env.DB.prepare(`UPDATE api_tokens SET expires_at = ? WHERE id = ?`).bind(new Date(Date.now() - 1000).toISOString(), made.id).run();
    const refused = await api("/api/me", { token: made.token });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/expired/);
  });

  it("revoking a token closes the sockets opened with it, and only those", async () => {
    const { projectId } = await projectWithSession();
    const made = await apiJson<Token>("/api/tokens", { method: "POST", json: { name: "socket" } }, 201);
    const withToken = await connect(projectId, made.token);
    const other = await connect(projectId);
    await api(`/api/tokens/${made.id}`, { method: "DELETE" });
    expect((await withToken.closed).code).toBe(ACCESS_CHANGED_CLOSE_CODE);
    await expect(connect(projectId, made.token)).rejects.toThrow(/401/);
    other.send({ type: "task.watch", taskIds: [] });
    other.send({ type: "chat.send", sessionId: newId("session"), text: "still here" });
    expect(await other.next((f) => f.type === "error")).toMatchObject({ code: "not_found" });
  });

  it("the local dev token cannot be revoked (npm start would bring it back); others can", async () => {
    const listed = await apiJson<{ tokens: { id: string; name: string }[] }>("/api/tokens");
    const dev = listed.tokens.find((t) => t.name === "local dev token");
    expect(dev).toBeDefined();
    const refused = await api(`/api/tokens/${dev?.id}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect((await api("/api/me")).status).toBe(200);
  });

  it("refuses a token of another user", async () => {
    const dee = await addUser("dee");
    const list = await apiJson<{ tokens: { id: string }[] }>("/api/tokens", { token: dee.token });
    const mine = await apiJson<{ tokens: { id: string }[] }>("/api/tokens");
    expect(list.tokens.map((t) => t.id)).not.toEqual(expect.arrayContaining(mine.tokens.map((t) => t.id)));
    expect((await api(`/api/tokens/${mine.tokens[0].id}`, { method: "DELETE", token: dee.token })).status).toBe(404);
  });
});

describe("failed bearer attempts", () => {
  it("are rate-limited per client address: after 20 in a minute, further failures get 429 with Retry-After; a good token still works", async () => {
    const address = { "cf-connecting-ip": `198.51.100.${Math.floor(Math.random() * 250)}` };
    for (let i = 0; i < 20; i++) {
      expect((await api("/api/me", { token: `sam_pat_wrong_guess_${i}_xxxxxxxx`, headers: address })).status).toBe(401);
    }
    const limited = await api("/api/me", { token: "sam_pat_wrong_guess_21_xxxxxxxx", headers: address });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    // Someone else behind the same address is not locked out.
    expect((await api("/api/me", { token: TOKEN, headers: address })).status).toBe(200);
  });

  it("an IPv6 client is limited by its /64, so rotating addresses in it does not help", async () => {
    for (let i = 0; i < 20; i++) {
      expect((await api("/api/me", { token: `sam_pat_v6_guess_${i}_xxxxxxxxx`, headers: { "cf-connecting-ip": `2001:db8:77:1::${i + 1}` } })).status).toBe(401);
    }
    expect((await api("/api/me", { token: "sam_pat_v6_guess_last_xxxxxxx", headers: { "cf-connecting-ip": "2001:db8:77:1::ffff" } })).status).toBe(429);
    expect((await api("/api/me", { token: "sam_pat_v6_guess_last_xxxxxxx", headers: { "cf-connecting-ip": "2001:db8:77:2::1" } })).status).toBe(401);
  });
});

describe("project members and roles", () => {
  it("owners add, change and remove members; a project keeps one owner; members list everyone", async () => {
    const { projectId } = await projectWithSession();
    const me = await apiJson<Me>("/api/me");
    const eve = await addUser("eve");
    const added = await apiJson<{ userId: string; role: string; name: string }>(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: eve.id, role: "member" } }, 201);
    expect(added).toMatchObject({ userId: eve.id, role: "member", name: "eve" });
    const listed = await apiJson<{ members: { userId: string; role: string }[] }>(`/api/projects/${projectId}/members`, { token: eve.token });
    expect(listed.members.map((m) => [m.userId, m.role])).toEqual([[me.user.id, "owner"], [eve.id, "member"]]);
    // A member is not an owner.
    expect((await api(`/api/projects/${projectId}/members/${me.user.id}`, { method: "DELETE", token: eve.token })).status).toBe(403);
    // The last owner stays.
    expect((await api(`/api/projects/${projectId}/members/${me.user.id}`, { method: "DELETE" })).status).toBe(409);
    expect((await api(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: me.user.id, role: "viewer" } })).status).toBe(409);
    // With a second owner, the first may go.
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: eve.id, role: "owner" } }, 200);
    expect((await api(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: newId("user"), role: "member" } })).status).toBe(404);
    expect((await api(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: eve.id, role: "boss" } })).status).toBe(400);
    expect((await api(`/api/projects/${projectId}/members/${me.user.id}`, { method: "DELETE", token: eve.token })).status).toBe(204);
    expect((await api(`/api/projects/${projectId}`)).status).toBe(404);
  });

  it("a viewer reads everything but writes nothing, on HTTP and on the socket (which stays open)", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const vic = await addUser("vic");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: vic.id, role: "viewer" } }, 201);
    const task = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "p", script: [{ text: "done" }] } }, 201);
    for (const path of [`/api/projects/${projectId}`, `/api/projects/${projectId}/tasks`, `/api/projects/${projectId}/sessions/${sessionId}/messages`, `/api/tasks/${task.id}`, `/api/tasks/${task.id}/transcript`]) {
      expect((await api(path, { token: vic.token })).status, path).toBe(200);
    }
    const writes: [string, unknown][] = [
      [`/api/projects/${projectId}/sessions/${sessionId}/messages`, { text: "hi" }],
      [`/api/projects/${projectId}/tasks`, { prompt: "p", script: [{ text: "done" }] }],
      [`/api/tasks/${task.id}/cancel`, {}],
      [`/api/tasks/${task.id}/answer`, { text: "yes" }],
    ];
    for (const [path, json] of writes) {
      const response = await api(path, { method: "POST", json, token: vic.token });
      expect(response.status, path).toBe(403);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("forbidden");
    }
    const socket = await connect(projectId, vic.token);
    socket.send({ type: "chat.send", sessionId, text: "from a viewer" });
    expect(await socket.next((f) => f.type === "error")).toMatchObject({ code: "forbidden" });
    const owner = await connect(projectId);
    owner.send({ type: "chat.send", sessionId, text: "from the owner" });
    const seen = await socket.next((f) => f.type === "chat.message");
    expect(seen).toMatchObject({ message: { text: "from the owner" } });
    const messages = await apiJson<{ messages: { text: string }[] }>(`/api/projects/${projectId}/sessions/${sessionId}/messages`);
    expect(messages.messages.map((m) => m.text)).toEqual(["from the owner"]);
  });

  it("removing a member closes their open sockets to the project at once", async () => {
    const { projectId } = await projectWithSession();
    const max = await addUser("max");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: max.id, role: "member" } }, 201);
    const socket = await connect(projectId, max.token);
    expect((await api(`/api/projects/${projectId}/members/${max.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await socket.closed).toEqual({ code: ACCESS_CHANGED_CLOSE_CODE, reason: "removed from the project" });
    await expect(connect(projectId, max.token)).rejects.toThrow(/404/);
  });
});

describe("hardening", () => {
  it("a malformed percent-encoding in a path is a 400, not a 500", async () => {
    for (const path of [`/api/tasks/${newId("task")}/files/%ZZ`, "/agents/project-agent/%E0%A4%A", "/api/projects/%ZZ"]) {
      const response = await api(path, { headers: { upgrade: "websocket" } });
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_input");
    }
  });

  it("a browser socket from a foreign origin is refused; SAM's own origin and clients without one are let in", async () => {
    const { projectId } = await projectWithSession();
    await expect(connect(projectId, TOKEN, { origin: "https://evil.example" })).rejects.toThrow(/403/);
    (await connect(projectId, TOKEN, { origin: "http://sam.test" })).ws.close();
    (await connect(projectId)).ws.close();
  });

  it("a client cannot write the SDK's shared state: nothing is stored or broadcast", async () => {
    const { projectId } = await projectWithSession();
    const writer = await connect(projectId);
    const reader = await connect(projectId);
    writer.send({ type: "cf_agent_state", state: { big: "x".repeat(10_000) } });
    // The writer's next frame is the answer to its own chat frame, sent after the state frame.
    writer.send({ type: "chat.send", sessionId: newId("session"), text: "after" });
    await writer.next((f) => f.type === "error");
    expect(reader.frames.map((f) => f.type)).not.toContain("cf_agent_state");
    const stub = await getAgentByName(env.ProjectAgent, projectId);
    const state = await runInDurableObject(stub, (instance: ProjectAgent) => instance.state);
    expect(JSON.stringify(state ?? null)).not.toContain("xxxxxxxx");
  });
});

describe("who started it", () => {
  it("tasks and missions record who started them, and the calls land on that person's usage", async () => {
    const { projectId } = await projectWithSession();
    const me = await apiJson<Me>("/api/me");
    const eve = await addUser("eve-starter");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: eve.id, role: "member" } }, 201);
    const task = await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", token: eve.token, json: { prompt: "p", script: [{ text: "done" }] } }, 201);
    const mission = await apiJson<{ id: string }>(`/api/projects/${projectId}/missions`, { method: "POST", json: { goal: "g", tasks: [{ key: "a", prompt: "p", script: [{ text: "done" }] }] } }, 201);
    const ended = await waitForTask(task.id);
    expect(ended.createdBy).toBe(eve.id);
    expect((await apiJson<{ createdBy: string }>(`/api/missions/${mission.id}`)).createdBy).toBe(me.user.id);
    // A step's usage is settled shortly after the step (it may ride along with the next call).
    const calls = await pollUntil(
      "the task's call on eve's usage",
      async () => (await apiJson<{ groups: { key: string; calls: number }[] }>("/api/usage?groupBy=task", { token: eve.token })).groups.find((g) => g.key === task.id)?.calls,
      (n) => n !== undefined,
    );
    expect(calls).toBe(1);
    const mine = await apiJson<{ groups: { key: string }[] }>("/api/usage?groupBy=task");
    expect(mine.groups.map((g) => g.key)).not.toContain(task.id);
  });
});
