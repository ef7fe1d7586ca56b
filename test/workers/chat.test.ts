import { evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../src/shared/protocol.ts";
import { api, apiJson, connect, createOtherUser, projectWithSession } from "./helpers.ts";

describe("project chat over WebSockets", () => {
  it("delivers each stored message to every client of the project", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const alice = await connect(projectId);
    const bob = await connect(projectId);
    alice.send({ type: "chat.send", sessionId, text: "hello from alice" });
    const atBob = await bob.next((f) => f.type === "chat.message" && f.message.text === "hello from alice");
    const atAlice = await alice.next((f) => f.type === "chat.message" && f.message.text === "hello from alice");
    expect(atBob).toEqual(atAlice);
    if (atBob.type !== "chat.message") throw new Error("unreachable");
    expect(atBob.message.seq).toBe(1);
    expect(atBob.message.author).toMatchObject({ name: "local", kind: "user" });
    // HTTP posts reach socket clients too.
    await apiJson(`/api/projects/${projectId}/sessions/${sessionId}/messages`, { method: "POST", json: { text: "from http" } }, 201);
    const viaHttp = await alice.next((f) => f.type === "chat.message" && f.message.text === "from http");
    expect(viaHttp.type === "chat.message" && viaHttp.message.seq).toBe(2);
    alice.ws.close();
    bob.ws.close();
  });

  it("answers malformed and unknown frames with an error frame and keeps the connection", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const client = await connect(projectId);
    client.send("{not json");
    expect(await client.next((f) => f.type === "error" && f.code === "invalid_json")).toBeTruthy();
    client.send({ type: "chat.teleport", sessionId });
    expect(await client.next((f) => f.type === "error" && f.code === "invalid_frame")).toBeTruthy();
    client.send({ type: "chat.send", sessionId, text: "" });
    expect(client.frames.filter((f) => f.type === "error").length).toBeGreaterThanOrEqual(2);
    const other = await projectWithSession();
    client.send({ type: "chat.send", sessionId: other.sessionId, text: "wrong session" });
    expect(await client.next((f) => f.type === "error" && f.code === "not_found")).toBeTruthy();
    // Still open and working.
    client.send({ type: "chat.send", sessionId, text: "still here" });
    const ok = await client.next((f) => f.type === "chat.message" && f.message.text === "still here");
    expect(ok.type === "chat.message" && ok.message.seq).toBe(1);
    client.ws.close();
  });

  it("refuses upgrades without a valid token or for another user's project", async () => {
    const { projectId } = await projectWithSession();
    await expect(connect(projectId, null)).rejects.toThrow(/401/);
    await expect(connect(projectId, "sam_pat_wrong_token_value_1234567890")).rejects.toThrow(/401/);
    await expect(connect(projectId, await createOtherUser())).rejects.toThrow(/404/);
    const other = await api(`/agents/task-agent/whatever`, { headers: { upgrade: "websocket" } });
    expect(other.status).toBe(404);
  });

  it("ignores a client-sent identity header", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const response = await api(`/agents/project-agent/${projectId}`, { headers: { upgrade: "websocket", "x-sam-user-name": "mallory" } });
    const ws = response.webSocket;
    if (!ws) throw new Error("no socket");
    ws.accept();
    const received = new Promise<ChatMessage>((resolve) =>
      ws.addEventListener("message", (e) => {
        const frame = JSON.parse(String(e.data)) as { type: string; message?: ChatMessage };
        if (frame.type === "chat.message" && frame.message) resolve(frame.message);
      }),
    );
    ws.send(JSON.stringify({ type: "chat.send", sessionId, text: "who am i" }));
    expect((await received).author).toMatchObject({ name: "local", kind: "user" });
    ws.close();
  });

  it("keeps history in order across eviction of the actor", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const path = `/api/projects/${projectId}/sessions/${sessionId}/messages`;
    for (let i = 1; i <= 5; i++) await apiJson(path, { method: "POST", json: { text: `before ${i}` } }, 201);
    await evictAllDurableObjects();
    const next = await apiJson<ChatMessage>(path, { method: "POST", json: { text: "after" } }, 201);
    expect(next.seq).toBe(6);
    const history = await apiJson<{ messages: ChatMessage[] }>(path);
    expect(history.messages.map((m) => m.text)).toEqual(["before 1", "before 2", "before 3", "before 4", "before 5", "after"]);
  });
});
