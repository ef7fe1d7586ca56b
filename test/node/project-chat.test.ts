/** The chat's pure rules: the size of a page of history, and how a message answers a task with `@tsk_…`. */
import { describe, expect, it } from "vitest";
import { newId } from "../../src/ids.ts";
import { authorOf, messagePageSize } from "../../src/actors/project/chat-store.ts";
import { taskMention } from "../../src/actors/project/task-mention.ts";
import { DEFAULT_MESSAGE_PAGE, MAX_MESSAGE_PAGE } from "../../src/shared/project-settings.ts";

describe("messagePageSize", () => {
  it("is DEFAULT_MESSAGE_PAGE when no limit is given", () => {
    expect(messagePageSize()).toBe(DEFAULT_MESSAGE_PAGE);
    expect(messagePageSize(undefined)).toBe(DEFAULT_MESSAGE_PAGE);
  });

  it("keeps a limit within 1…MAX_MESSAGE_PAGE and clamps one outside", () => {
    expect(messagePageSize(7)).toBe(7);
    expect(messagePageSize(MAX_MESSAGE_PAGE)).toBe(MAX_MESSAGE_PAGE);
    expect(messagePageSize(MAX_MESSAGE_PAGE + 1)).toBe(MAX_MESSAGE_PAGE);
    expect(messagePageSize(0)).toBe(1);
    expect(messagePageSize(-5)).toBe(1);
  });

  it("truncates a fractional limit", () => {
    expect(messagePageSize(3.9)).toBe(3);
  });
});

describe("taskMention", () => {
  const taskId = newId("task");

  it("finds a task id mentioned at the start and takes the rest as the answer", () => {
    expect(taskMention(`@${taskId} use port 8080`)).toEqual({ taskId, answer: "use port 8080" });
  });

  it("finds a mention after whitespace, keeping the words around it", () => {
    expect(taskMention(`ok @${taskId} yes`)).toEqual({ taskId, answer: "ok  yes" });
  });

  it("answers with the whole text when the mention is all there is", () => {
    expect(taskMention(`@${taskId}`)).toEqual({ taskId, answer: `@${taskId}` });
  });

  it("ignores a mention glued to a word, a malformed id and a message without one", () => {
    expect(taskMention(`mail@${taskId} hi`)).toBeNull();
    expect(taskMention("@tsk_123 hi")).toBeNull();
    expect(taskMention(`@${taskId.toLowerCase()} hi`)).toBeNull();
    expect(taskMention("no mention here")).toBeNull();
  });

  it("takes the first of several mentions", () => {
    const other = newId("task");
    expect(taskMention(`@${taskId} then @${other}`)?.taskId).toBe(taskId);
  });
});

describe("authorOf (a stored message's author)", () => {
  it("reads the stored id, name and kind", () => {
    expect(authorOf({ role: "user", author: "ada", author_id: "usr_1", author_kind: "user" })).toEqual({ id: "usr_1", name: "ada", kind: "user" });
    expect(authorOf({ role: "assistant", author: "task tsk_1", author_id: "tsk_1", author_kind: "task" })).toEqual({ id: "tsk_1", name: "task tsk_1", kind: "task" });
  });

  it("gives a message stored before authors had ids the kind of its role", () => {
    expect(authorOf({ role: "assistant", author: "tech lead", author_id: null, author_kind: null })).toEqual({ id: "tech-lead", name: "tech lead", kind: "tech-lead" });
    expect(authorOf({ role: "system", author: "SAM", author_id: null, author_kind: null })).toEqual({ id: "sam", name: "SAM", kind: "system" });
    expect(authorOf({ role: "user", author: "local", author_id: null, author_kind: null })).toEqual({ id: "", name: "local", kind: "user" });
  });
});
