/**
 * The `<sam-agent>` widget's pure state (src/embed/state.ts): frames applied in the order a
 * socket delivers them (welcome, history pages, live messages, streamed drafts, tasks), what the
 * connection may do, and the colour scheme it picks from the host page.
 */
import { describe, expect, it } from "vitest";
import { allows, applyFrame, colourScheme, initialState, promptLine, upsertTask, widgetSession, type WidgetState } from "../../src/embed/state.ts";
import { MAX_TASK_LIST, TECH_LEAD_AUTHOR, type ChatMessage, type ServerFrame, type TaskView, type Welcome } from "../../src/shared/protocol.ts";

const SESSION = "ses_01J00000000000000000000001";
const OTHER = "ses_01J00000000000000000000002";

function message(seq: number, text: string, overrides: Partial<ChatMessage> = {}): ChatMessage {
  return { id: `msg_${seq}`, sessionId: SESSION, seq, role: "user", author: { id: "emb_1", name: "Visitor", kind: "user" }, text, cards: [], draftId: null, createdAt: "2025-01-01T00:00:00.000Z", ...overrides };
}

function task(id: string, createdAt: string, updatedAt = createdAt, status: TaskView["status"] = "running"): TaskView {
  return {
    id, projectId: "prj_1", status, prompt: "p", model: "scripted", steps: 0, summary: null, error: null, failure: null,
    usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, changedFiles: [], missionId: null, parentTaskId: null, depth: 0,
    question: null, createdBy: "usr_1", createdAt, updatedAt,
  };
}

const welcome = (overrides: Partial<Welcome> = {}): Welcome => ({ type: "welcome", user: { id: "emb_1", name: "Visitor" }, role: "viewer", capabilities: ["chat:read", "chat:write"], sessionId: SESSION, expiresAt: "2030-01-01T00:00:00.000Z", ...overrides });

const apply = (frames: ServerFrame[], state: WidgetState = initialState(null)) => frames.reduce(applyFrame, state);

describe("the widget's state", () => {
  it("takes the session of the welcome (a bound token) over the attribute", () => {
    expect(apply([welcome()], initialState(OTHER)).sessionId).toBe(SESSION);
    expect(apply([welcome({ sessionId: null })], initialState(OTHER)).sessionId).toBe(OTHER);
    expect(widgetSession(OTHER, welcome({ sessionId: null }))).toBe(OTHER);
    expect(widgetSession(null, null)).toBeNull();
  });

  it("merges history pages and live messages by id in seq order, and ignores other sessions", () => {
    const state = apply([
      welcome(),
      { type: "chat.message", message: message(4, "live") },
      { type: "chat.history", sessionId: SESSION, before: null, messages: [message(3, "c"), message(4, "live")], hasMore: true },
      { type: "chat.history", sessionId: SESSION, before: 3, messages: [message(1, "a"), message(2, "b")], hasMore: false },
      { type: "chat.message", message: message(9, "elsewhere", { sessionId: OTHER, id: "msg_x" }) },
      { type: "chat.history", sessionId: OTHER, before: null, messages: [message(1, "z", { sessionId: OTHER, id: "msg_z" })], hasMore: false },
    ]);
    expect(state.messages.map((m) => m.text)).toEqual(["a", "b", "c", "live"]);
    expect(state.hasMore).toBe(false);
    // A reconnect's latest page keeps what older pages said.
    expect(applyFrame(state, { type: "chat.history", sessionId: SESSION, before: null, messages: [message(4, "live")], hasMore: true }).hasMore).toBe(false);
  });

  it("grows a streamed reply as a draft and replaces it with the stored message of the same draftId", () => {
    const streaming = apply([
      welcome(),
      { type: "chat.delta", sessionId: SESSION, draftId: "d1", author: TECH_LEAD_AUTHOR, delta: "Hel" },
      { type: "chat.delta", sessionId: SESSION, draftId: "d1", author: TECH_LEAD_AUTHOR, delta: "lo" },
      { type: "chat.card", sessionId: SESSION, draftId: "d1", card: { toolCallId: "c1", toolName: "list_tasks", input: {}, output: [], isError: false } },
      { type: "chat.delta", sessionId: OTHER, draftId: "d2", author: TECH_LEAD_AUTHOR, delta: "not here" },
    ]);
    expect(streaming.drafts).toEqual([{ draftId: "d1", author: TECH_LEAD_AUTHOR, text: "Hello", cards: [expect.objectContaining({ toolName: "list_tasks" })] }]);
    const stored = applyFrame(streaming, { type: "chat.message", message: message(2, "Hello", { author: TECH_LEAD_AUTHOR, role: "assistant", draftId: "d1" }) });
    expect(stored.drafts).toEqual([]);
    expect(stored.messages.map((m) => m.text)).toEqual(["Hello"]);
    // A late piece of a stored reply does not bring the draft back.
    expect(applyFrame(stored, { type: "chat.delta", sessionId: SESSION, draftId: "d1", author: TECH_LEAD_AUTHOR, delta: "!" }).drafts).toEqual([]);
  });

  it("keeps the task list newest first, never letting an older update replace a newer one", () => {
    const listed = apply([{ type: "task.list", tasks: [task("tsk_a", "2025-01-01T00:00:01Z"), task("tsk_b", "2025-01-01T00:00:02Z")] }]);
    expect(listed.tasks.map((t) => t.id)).toEqual(["tsk_b", "tsk_a"]);
    const done = applyFrame(listed, { type: "task.updated", task: task("tsk_a", "2025-01-01T00:00:01Z", "2025-01-01T00:01:00Z", "succeeded") });
    expect(done.tasks.find((t) => t.id === "tsk_a")?.status).toBe("succeeded");
    const stale = applyFrame(done, { type: "task.updated", task: task("tsk_a", "2025-01-01T00:00:01Z", "2025-01-01T00:00:30Z", "running") });
    expect(stale.tasks.find((t) => t.id === "tsk_a")?.status).toBe("succeeded");
    let many: TaskView[] = [];
    for (let i = 0; i < MAX_TASK_LIST + 5; i++) many = upsertTask(many, task(`tsk_${i}`, new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString()));
    expect(many).toHaveLength(MAX_TASK_LIST);
    expect(many[0].id).toBe(`tsk_${MAX_TASK_LIST + 4}`);
  });

  it("remembers the last error frame until the next message", () => {
    const failed = apply([welcome(), { type: "error", code: "forbidden", message: "no" }]);
    expect(failed.error).toBe("forbidden: no");
    expect(applyFrame(failed, { type: "chat.message", message: message(1, "ok") }).error).toBeNull();
  });
});

describe("what the widget offers", () => {
  it("follows an embed token's capabilities, and a person's role", () => {
    expect(allows(null, "chat:read")).toBe(false);
    expect(allows(welcome(), "chat:write")).toBe(true);
    expect(allows(welcome({ capabilities: ["chat:read"] }), "chat:write")).toBe(false);
    expect(allows(welcome({ capabilities: ["chat:read"] }), "tasks:read")).toBe(false);
    expect(allows(welcome({ capabilities: null, role: "viewer" }), "chat:write")).toBe(false);
    expect(allows(welcome({ capabilities: null, role: "viewer" }), "tasks:read")).toBe(true);
    expect(allows(welcome({ capabilities: null, role: "member" }), "chat:write")).toBe(true);
  });

  it("picks its colour scheme: the theme attribute, else the host's one scheme, else the reader's preference", () => {
    expect(colourScheme("dark", "light", false)).toBe("dark");
    expect(colourScheme(null, "dark", false)).toBe("dark");
    expect(colourScheme(null, "only light", true)).toBe("light");
    expect(colourScheme(null, "normal", true)).toBe("dark");
    expect(colourScheme(null, "normal", false)).toBe("light");
    expect(colourScheme("auto", "light dark", true)).toBe("dark");
  });

  it("shows a task's prompt as its first line, cut short", () => {
    expect(promptLine("\n  fix the build  \nthen more")).toBe("fix the build");
    expect(promptLine("x".repeat(200), 10)).toBe(`${"x".repeat(9)}…`);
  });
});
