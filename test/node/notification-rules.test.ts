/** The pure rules of notifications: delivery (channels, verdicts, retries, bodies, URLs), what each producer says, who a chat message mentions. */
import { describe, expect, it } from "vitest";
import { handleOf, mayMention, mentionedHandles, mentionedMembers } from "../../src/actors/project/mentions.ts";
import {
  attemptVerdict,
  canonicalKinds,
  channelsFor,
  DELIVERY_RETRY_DELAYS_SECONDS,
  deliveryUrlProblem,
  MAX_DELIVERY_ATTEMPTS,
  nextAttemptAt,
  pushPayload,
  retryDelaysFrom,
  webhookBody,
} from "../../src/actors/user/delivery-rules.ts";
import { missionEndedNotice, quoteStart, taskEndedNotice, taskWaitingNotice } from "../../src/actors/user/notices.ts";
import { NOTIFICATION_KINDS, newNotificationSchema, type NotificationSettings } from "../../src/shared/notification.ts";

const settings = (push: NotificationSettings["push"]["kinds"], url: string | null, webhook: NotificationSettings["webhook"]["kinds"]): NotificationSettings => ({ push: { kinds: push }, webhook: { url, kinds: webhook } });

describe("delivery rules", () => {
  it("sends to push only when configured, subscribed and wanted, and to the webhook only when set and wanted", () => {
    const all = [...NOTIFICATION_KINDS];
    expect(channelsFor(settings(all, "https://hooks.example/x", all), "task.failed", true, 2)).toEqual(["push", "webhook"]);
    expect(channelsFor(settings(all, "https://hooks.example/x", all), "task.failed", false, 2)).toEqual(["webhook"]);
    expect(channelsFor(settings(all, null, all), "task.failed", true, 0)).toEqual([]);
    expect(channelsFor(settings(["task.waiting"], "https://hooks.example/x", ["chat.mention"]), "task.failed", true, 1)).toEqual([]);
    expect(channelsFor(settings(["task.waiting"], "https://hooks.example/x", ["chat.mention"]), "chat.mention", true, 1)).toEqual(["webhook"]);
  });

  it("retries what may pass later, drops what will not, and removes a push subscription that is gone", () => {
    expect(attemptVerdict("webhook", 200)).toBe("sent");
    expect(attemptVerdict("push", 201)).toBe("sent");
    expect(attemptVerdict("webhook", null)).toBe("retry");
    for (const status of [408, 429, 500, 502, 503]) expect(attemptVerdict("webhook", status)).toBe("retry");
    for (const status of [400, 401, 403, 404, 410, 413]) expect(attemptVerdict("webhook", status)).toBe("drop");
    expect(attemptVerdict("push", 410)).toBe("gone");
    expect(attemptVerdict("push", 404)).toBe("gone");
    expect(attemptVerdict("push", 413)).toBe("drop");
    expect(attemptVerdict("webhook", 302)).toBe("drop");
  });

  it("tries at once, then after 10 s, 1 min, 5 min and 30 min, then gives up", () => {
    expect(DELIVERY_RETRY_DELAYS_SECONDS).toEqual([10, 60, 300, 1800]);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(5);
    const now = 1_000_000;
    expect(nextAttemptAt(0, now)).toBe(now);
    expect(nextAttemptAt(1, now)).toBe(now + 10_000);
    expect(nextAttemptAt(2, now)).toBe(now + 60_000);
    expect(nextAttemptAt(4, now)).toBe(now + 1_800_000);
    expect(nextAttemptAt(5, now)).toBeNull();
    expect(nextAttemptAt(1, now, [0.2])).toBe(now + 200);
    expect(retryDelaysFrom("0.2, 1")).toEqual([0.2, 1]);
    expect(retryDelaysFrom("soon")).toEqual(DELIVERY_RETRY_DELAYS_SECONDS);
    expect(retryDelaysFrom(undefined)).toEqual(DELIVERY_RETRY_DELAYS_SECONDS);
  });

  it("posts a Slack-compatible {text} with the title, body and absolute link; pushes {title, body, link, id, kind}", () => {
    const n = { id: "ntf_1", kind: "task.succeeded" as const, title: 'Task "x" succeeded', body: "all done", link: "/tasks/tsk_1" };
    expect(webhookBody(n, "https://sam.example.com")).toEqual({ text: 'Task "x" succeeded\nall done\nhttps://sam.example.com/tasks/tsk_1' });
    expect(webhookBody({ ...n, body: "" }, "http://127.0.0.1:8787")).toEqual({ text: 'Task "x" succeeded\nhttp://127.0.0.1:8787/tasks/tsk_1' });
    expect(pushPayload(n)).toEqual({ title: n.title, body: "all done", link: "/tasks/tsk_1", id: "ntf_1", kind: "task.succeeded" });
    expect(pushPayload({ ...n, body: "b".repeat(3000) }).body).toHaveLength(1000);
  });

  it("accepts https delivery URLs, and http only on this machine in local mode", () => {
    expect(deliveryUrlProblem("https://hooks.slack.com/services/x", false)).toBeNull();
    expect(deliveryUrlProblem("http://hooks.example/x", false)).toBe("must be https");
    expect(deliveryUrlProblem("http://127.0.0.1:9000/hook", false)).toBe("must be https");
    expect(deliveryUrlProblem("http://127.0.0.1:9000/hook", true)).toBeNull();
    expect(deliveryUrlProblem("http://localhost:9000/hook", true)).toBeNull();
    expect(deliveryUrlProblem("http://10.0.0.1/hook", true)).toMatch(/must be https/);
    expect(deliveryUrlProblem("https://user:pw@hooks.example/x", false)).toMatch(/user name or password/);
    expect(deliveryUrlProblem("ftp://hooks.example/x", true)).toMatch(/must be https/);
    expect(deliveryUrlProblem("nonsense", true)).toBe("is not a URL");
  });

  it("stores kinds without repeats in the kinds' order", () => {
    expect(canonicalKinds(["chat.mention", "task.failed", "chat.mention"], NOTIFICATION_KINDS)).toEqual(["task.failed", "chat.mention"]);
  });
});

describe("what producers say", () => {
  const task = { id: "tsk_1", projectId: "prj_1", prompt: "Fix the build\nand more", summary: "Fixed it.", error: null, missionId: null, parentTaskId: null };

  it("tells a top-level task's end, with its summary or failure, deduplicated by task and status", () => {
    const ok = taskEndedNotice({ ...task, status: "succeeded" });
    expect(ok).toEqual({ kind: "task.succeeded", title: 'Task "Fix the build" succeeded', body: "Fixed it.", link: "/tasks/tsk_1", projectId: "prj_1", subjectId: "tsk_1", dedupeKey: "task.succeeded:tsk_1" });
    expect(newNotificationSchema.parse(ok)).toEqual(ok);
    const failed = taskEndedNotice({ ...task, status: "failed", summary: null, error: "step limit reached" });
    expect(failed).toMatchObject({ kind: "task.failed", body: "step limit reached", dedupeKey: "task.failed:tsk_1" });
  });

  it("says nothing of cancelled, unfinished, mission and child tasks", () => {
    expect(taskEndedNotice({ ...task, status: "cancelled" })).toBeNull();
    expect(taskEndedNotice({ ...task, status: "running" })).toBeNull();
    expect(taskEndedNotice({ ...task, status: "succeeded", missionId: "msn_1" })).toBeNull();
    expect(taskEndedNotice({ ...task, status: "succeeded", parentTaskId: "tsk_0" })).toBeNull();
  });

  it("asks once per question, and tells a mission's end linking to its project", () => {
    expect(taskWaitingNotice(task, "call_1", "Which branch?")).toMatchObject({ kind: "task.waiting", body: "Which branch?", dedupeKey: "task.waiting:tsk_1:call_1", link: "/tasks/tsk_1" });
    const mission = missionEndedNotice({ id: "msn_1", projectId: "prj_1", goal: "Ship it", status: "failed", summary: "1 of 2 failed", error: null });
    expect(mission).toMatchObject({ kind: "mission.ended", title: 'Mission "Ship it" failed', body: "1 of 2 failed", link: "/projects/prj_1", dedupeKey: "mission.ended:msn_1" });
  });

  it("quotes a long first line cut with an ellipsis, and keeps bodies within the schema", () => {
    expect(quoteStart("x".repeat(100))).toHaveLength(60);
    expect(quoteStart("x".repeat(100)).endsWith("…")).toBe(true);
    const long = taskEndedNotice({ ...task, status: "succeeded", summary: "s".repeat(5000) });
    expect(() => newNotificationSchema.parse(long)).not.toThrow();
  });
});

describe("mentions", () => {
  const members = [
    { id: "usr_ada", name: "Ada Lovelace" },
    { id: "usr_bob", name: "bob" },
    { id: "usr_lead", name: "Lead" },
    { id: "usr_sym", name: "!!!" },
  ];

  it("makes a handle of a name: lower case, letters, digits, . _ - only", () => {
    expect(handleOf("Ada Lovelace")).toBe("adalovelace");
    expect(handleOf("Jean-Luc O'Brien Jr.")).toBe("jean-lucobrienjr");
    expect(handleOf("Zoë")).toBe("zoë");
    expect(handleOf("!!!")).toBe("");
  });

  it("finds @handles at the start or after a non-handle character, not in e-mail addresses, without a sentence's end", () => {
    expect(mentionedHandles("@AdaLovelace can you look? cc @bob.")).toEqual(["adalovelace", "bob"]);
    expect(mentionedHandles("write to ada@example.com")).toEqual([]);
    expect(mentionedHandles("(@bob) and @bob again")).toEqual(["bob"]);
    expect(mentionedHandles("@lead please plan")).toEqual([]);
    expect(mayMention("no one here")).toBe(false);
    expect(mayMention("hi @bob")).toBe(true);
  });

  it("notifies each mentioned member once, never the author, never the tech lead's name", () => {
    expect(mentionedMembers("@adalovelace and @BOB, @bob", members, "usr_x").map((m) => m.id)).toEqual(["usr_ada", "usr_bob"]);
    expect(mentionedMembers("@adalovelace @bob", members, "usr_bob").map((m) => m.id)).toEqual(["usr_ada"]);
    expect(mentionedMembers("@lead and @Lead", members, "usr_x")).toEqual([]);
    expect(mentionedMembers("@ada", members, "usr_x")).toEqual([]);
    expect(mentionedMembers("@tsk_01ABC the answer", members, "usr_x")).toEqual([]);
  });
});
