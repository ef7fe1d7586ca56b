/**
 * The project's socket without workerd: frame decisions (parseClientFrame), the watch-set rules,
 * and ProjectSocket over fake connections (who receives a task's events, error frames, the
 * unauthenticated close, a watch set that survives hibernation in the connection's state).
 */
import type { Connection, ConnectionContext } from "agents";
import { describe, expect, it } from "vitest";
import { FakeConnection } from "./fakes.ts";
import { newId } from "../../src/ids.ts";
import { mayAct, mayReceive, parseClientFrame, userFromHeaders, watchState, welcomeFrame } from "../../src/actors/project/frames.ts";
import { ProjectSocket, UNAUTHENTICATED_CLOSE_CODE, type SocketHost } from "../../src/actors/project/socket.ts";
import { MAX_WATCHED_TASKS, USER_ID_HEADER, USER_NAME_HEADER, type ChatMessage, type TranscriptEvent } from "../../src/shared/protocol.ts";

const taskIds = (n: number) => Array.from({ length: n }, () => newId("task"));

describe("parseClientFrame", () => {
  it("refuses binary data and text that is not JSON", () => {
    expect(parseClientFrame(new ArrayBuffer(2))).toEqual({ kind: "error", code: "invalid_frame", message: "frames are JSON text" });
    expect(parseClientFrame("{nope")).toEqual({ kind: "error", code: "invalid_json", message: "the frame is not valid JSON" });
  });

  it("ignores the Agents SDK's own frames", () => {
    expect(parseClientFrame(JSON.stringify({ type: "cf_agent_state", state: {} }))).toEqual({ kind: "ignore" });
  });

  it("refuses JSON that is no client frame, saying why", () => {
    const decision = parseClientFrame(JSON.stringify({ type: "chat.send", sessionId: "nope", text: "" }));
    expect(decision.kind).toBe("error");
    if (decision.kind === "error") {
      expect(decision.code).toBe("invalid_frame");
      expect(decision.message).toContain("sessionId");
    }
    expect(parseClientFrame(JSON.stringify({ type: "bogus" })).kind).toBe("error");
    expect(parseClientFrame("null").kind).toBe("error");
  });

  it("accepts chat.send (text trimmed) and task.watch", () => {
    const sessionId = newId("session");
    expect(parseClientFrame(JSON.stringify({ type: "chat.send", sessionId, text: "  hi  " }))).toEqual({ kind: "frame", frame: { type: "chat.send", sessionId, text: "hi" } });
    const ids = taskIds(2);
    expect(parseClientFrame(JSON.stringify({ type: "task.watch", taskIds: ids }))).toEqual({ kind: "frame", frame: { type: "task.watch", taskIds: ids } });
  });

  it("accepts a watch of MAX_WATCHED_TASKS tasks and refuses one more", () => {
    expect(parseClientFrame(JSON.stringify({ type: "task.watch", taskIds: taskIds(MAX_WATCHED_TASKS) })).kind).toBe("frame");
    const over = parseClientFrame(JSON.stringify({ type: "task.watch", taskIds: taskIds(MAX_WATCHED_TASKS + 1) }));
    expect(over).toMatchObject({ kind: "error", code: "invalid_frame" });
  });
});

describe("watch-set rules", () => {
  const user = { userId: "usr_1", userName: "ada", role: "member" as const };

  it("a watch keeps the distinct task ids in first-seen order", () => {
    const [a, b] = taskIds(2);
    expect(watchState(user, [a, b, a, b, a])).toEqual({ ...user, watching: [a, b] });
    expect(watchState(user, [])).toEqual({ ...user, watching: [] });
  });

  it("takes the user only from both Worker headers", () => {
    expect(userFromHeaders(new Headers({ [USER_ID_HEADER]: "usr_1", [USER_NAME_HEADER]: "ada" }))).toEqual(user);
    expect(userFromHeaders(new Headers({ [USER_ID_HEADER]: "usr_1" }))).toBeNull();
    expect(userFromHeaders(new Headers())).toBeNull();
  });
});

function socketWith(connections: FakeConnection[], sessions: string[] = [], messages: ChatMessage[] = []) {
  const broadcasts: unknown[] = [];
  const chatSends: { user: { id: string; name: string }; sessionId: string; text: string }[] = [];
  const host: SocketHost = {
    connections: () => connections as unknown as Connection[],
    broadcast: (message) => broadcasts.push(JSON.parse(message)),
    chatSend: async (writer, sessionId, text) => {
      chatSends.push({ user: writer.author, sessionId, text });
      return sessions.includes(sessionId);
    },
    taskAnswer: async () => ({ ok: true }),
    history: async (sessionId) => (sessions.includes(sessionId) ? messages.filter((m) => m.sessionId === sessionId) : null),
    tasks: async () => [],
    scheduleExpiry: () => {},
    stillAllowed: async () => true,
  };
  return { socket: new ProjectSocket(host), broadcasts, chatSends };
}

const asConnection = (c: FakeConnection) => c as unknown as Connection;
const upgrade = (headers: Record<string, string>) => ({ request: new Request("http://sam.test/", { headers }) }) as ConnectionContext;
const event = (seq: number) => ({ type: "status", seq, at: "2025-01-01T00:00:00.000Z", status: "running" }) as unknown as TranscriptEvent;

describe("ProjectSocket", () => {
  it("closes an upgrade without the Worker's user headers and records the user of one with them", () => {
    const stranger = new FakeConnection("c1");
    const member = new FakeConnection("c2");
    const { socket } = socketWith([stranger, member]);
    socket.connect(asConnection(stranger), upgrade({ [USER_NAME_HEADER]: "mallory" }));
    socket.connect(asConnection(member), upgrade({ [USER_ID_HEADER]: "usr_1", [USER_NAME_HEADER]: "ada" }));
    expect(stranger.closed).toEqual({ code: UNAUTHENTICATED_CLOSE_CODE, reason: "unauthenticated" });
    expect(member.closed).toBeNull();
    expect(member.state).toEqual({ userId: "usr_1", userName: "ada", role: "member", watching: [] });
  });

  it("sends a task's events, in order, only to the connections watching it", async () => {
    const [watched, other] = taskIds(2);
    const a = new FakeConnection("a");
    const b = new FakeConnection("b");
    const { socket } = socketWith([a, b]);
    for (const c of [a, b]) socket.connect(asConnection(c), upgrade({ [USER_ID_HEADER]: `usr_${c.id}`, [USER_NAME_HEADER]: c.id }));
    await socket.receive(asConnection(a), JSON.stringify({ type: "task.watch", taskIds: [watched, watched] }));
    await socket.receive(asConnection(b), JSON.stringify({ type: "task.watch", taskIds: [other] }));
    expect(a.state).toEqual({ userId: "usr_a", userName: "a", role: "member", watching: [watched] });

    // (Presence frames go out as connections open; only task events matter here.)
    const events = (c: FakeConnection) => c.sent.filter((f) => f.type === "task.event");
    socket.sendTaskEvents(watched, [event(1), event(2)]);
    expect(events(a)).toEqual([
      { type: "task.event", taskId: watched, event: event(1) },
      { type: "task.event", taskId: watched, event: event(2) },
    ]);
    expect(events(b)).toEqual([]);

    // A new watch list replaces the old one; an empty one stops every task's events.
    await socket.receive(asConnection(a), JSON.stringify({ type: "task.watch", taskIds: [] }));
    socket.sendTaskEvents(watched, [event(3)]);
    expect(events(a)).toHaveLength(2);
  });

  it("after hibernation (a new socket, same connections) reads the watch set from the connection's state", () => {
    const [watched] = taskIds(1);
    const a = new FakeConnection("a");
    a.state = { userId: "usr_a", userName: "a", watching: [watched] };
    const { socket } = socketWith([a]);
    socket.sendTaskEvents(watched, [event(1)]);
    expect(a.sent).toEqual([{ type: "task.event", taskId: watched, event: event(1) }]);
  });

  it("answers a bad frame, a connection without a user and an unknown session with error frames", async () => {
    const sessionId = newId("session");
    const a = new FakeConnection("a");
    const { socket, chatSends } = socketWith([a], []);
    await socket.receive(asConnection(a), "{nope");
    await socket.receive(asConnection(a), JSON.stringify({ type: "chat.send", sessionId, text: "hi" }));
    a.state = { userId: "usr_a", userName: "ada" };
    await socket.receive(asConnection(a), JSON.stringify({ type: "chat.send", sessionId, text: "hi" }));
    expect(a.sent).toEqual([
      { type: "error", code: "invalid_json", message: "the frame is not valid JSON" },
      { type: "error", code: "internal", message: "connection has no user" },
      { type: "error", code: "not_found", message: `no session ${sessionId} in this project` },
    ]);
    expect(chatSends).toEqual([{ user: { id: "usr_a", name: "ada" }, sessionId, text: "hi" }]);
  });

  it("posts chat.send as the connection's user, with no error frame for a known session", async () => {
    const sessionId = newId("session");
    const a = new FakeConnection("a");
    a.state = { userId: "usr_a", userName: "ada" };
    const { socket, chatSends } = socketWith([a], [sessionId]);
    await socket.receive(asConnection(a), JSON.stringify({ type: "chat.send", sessionId, text: "hello" }));
    expect(chatSends).toEqual([{ user: { id: "usr_a", name: "ada" }, sessionId, text: "hello" }]);
    expect(a.sent).toEqual([]);
  });

  it("broadcasts a frame to every client through the host", () => {
    const { socket, broadcasts } = socketWith([]);
    socket.send({ type: "error", code: "internal", message: "x" });
    expect(broadcasts).toEqual([{ type: "error", code: "internal", message: "x" }]);
  });
});

describe("what a connection learns and may ask (welcome, chat.history, task.list)", () => {
  const sessionId = newId("session");
  const grant = { id: "emb_1", name: "Visitor", capabilities: ["chat:read" as const], sessionId, expiresAt: "2030-01-01T00:00:00.000Z", payerId: "usr_1" };
  const embed = { userId: "emb_1", userName: "Visitor", role: "viewer" as const, tokenId: "emb_1", embed: grant };
  const person = { userId: "usr_1", userName: "ada", role: "viewer" as const };

  it("welcomes an embed with its capabilities, session and expiry, a person with their role only", () => {
    expect(welcomeFrame(embed)).toEqual({ type: "welcome", user: { id: "emb_1", name: "Visitor" }, role: "viewer", capabilities: ["chat:read"], sessionId, expiresAt: grant.expiresAt });
    expect(welcomeFrame(person)).toEqual({ type: "welcome", user: { id: "usr_1", name: "ada" }, role: "viewer", capabilities: null, sessionId: null, expiresAt: null });
  });

  it("lets a viewer read history and tasks; an embed only what its token allows, in its session", () => {
    const other = newId("session");
    expect(mayAct(person, { type: "chat.history", sessionId: other })).toEqual({ ok: true });
    expect(mayAct(person, { type: "task.list" })).toEqual({ ok: true });
    expect(mayAct(embed, { type: "chat.history", sessionId })).toEqual({ ok: true });
    expect(mayAct(embed, { type: "chat.history", sessionId: other })).toMatchObject({ ok: false, code: "forbidden" });
    expect(mayAct(embed, { type: "task.list" })).toMatchObject({ ok: false, code: "forbidden" });
    expect(mayReceive(embed, welcomeFrame(embed))).toBe(true);
  });

  it("sends the welcome first, and answers chat.history and task.list to the asking connection alone", async () => {
    const a = new FakeConnection("a");
    const b = new FakeConnection("b");
    const message = { id: "msg_1", sessionId, seq: 1, role: "user" as const, author: { id: "usr_a", name: "a", kind: "user" as const }, text: "hi", cards: [], draftId: null, createdAt: "2025-01-01T00:00:00.000Z" };
    const { socket } = socketWith([a, b], [sessionId], [message]);
    for (const c of [a, b]) socket.connect(asConnection(c), upgrade({ [USER_ID_HEADER]: `usr_${c.id}`, [USER_NAME_HEADER]: c.id }));
    expect(a.sent[0]).toMatchObject({ type: "welcome", user: { id: "usr_a", name: "a" } });
    await socket.receive(asConnection(a), JSON.stringify({ type: "chat.history", sessionId }));
    await socket.receive(asConnection(a), JSON.stringify({ type: "task.list" }));
    await socket.receive(asConnection(a), JSON.stringify({ type: "chat.history", sessionId: newId("session") }));
    expect(a.sent.filter((f) => f.type !== "welcome" && f.type !== "presence")).toEqual([
      { type: "chat.history", sessionId, before: null, messages: [message], hasMore: false },
      { type: "task.list", tasks: [] },
      expect.objectContaining({ type: "error", code: "not_found" }),
    ]);
    expect(b.sent.filter((f) => f.type === "chat.history" || f.type === "task.list")).toEqual([]);
  });
});
