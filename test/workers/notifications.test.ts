/**
 * Notifications in the real Workers runtime (issue 15): each kind raised by its real producer,
 * deduplication, the list, unread count and reads, per-user isolation, the per-user socket, the
 * settings' checks, and delivery beyond the page on the user actor's real alarms — an outgoing
 * webhook and a push service (fakes on loopback: test/support/fake-notify.ts, which decrypts
 * each push message with the test browser's private key and checks its VAPID token).
 */
import { env, exports } from "cloudflare:workers";
import { getAgentByName } from "agents";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { DeliveryRecord } from "../../src/actors/user/notification-delivery.ts";
import type { UserAgent } from "../../src/actors/user/user-agent.ts";
import type { NewNotification, Notification, NotificationSettings } from "../../src/shared/notification.ts";
import { userServerFrameSchema, type MissionView, type TaskView, type UserServerFrame } from "../../src/shared/protocol.ts";
import type { NotifyRequest } from "../support/fake-notify.ts";
import { pollUntil } from "../support/poll.ts";
import { addUser, api, apiJson, ENDED } from "./helpers.ts";

const FAKE = env.FAKE_NOTIFY_URL ?? "";
const BROWSER = JSON.parse(env.PUSH_BROWSER ?? "{}") as { p256dh: string; auth: string };

type List = { notifications: Notification[]; unreadCount: number };

/** A new active user (added by the local admin) with a project and a chat session of their own. */
async function person(name: string): Promise<{ id: string; token: string; projectId: string; sessionId: string }> {
  const user = await addUser(name);
  const project = await apiJson<{ id: string }>("/api/projects", { method: "POST", json: { name: `${name}'s project` }, token: user.token }, 201);
  const session = await apiJson<{ id: string }>(`/api/projects/${project.id}/sessions`, { method: "POST", json: { title: "main" }, token: user.token }, 201);
  return { ...user, projectId: project.id, sessionId: session.id };
}

async function list(token: string, query = ""): Promise<List> {
  return apiJson<List>(`/api/notifications${query}`, { token });
}

/** Polls `token`'s notifications until one matches `predicate`; returns it. */
async function waitForNotification(token: string, what: string, predicate: (n: Notification) => boolean): Promise<Notification> {
  const found = await pollUntil(`a notification: ${what}`, () => list(token), (l) => l.notifications.some(predicate), {
    timeoutMs: 20_000,
    show: (l) => l.notifications.map((n) => `${n.kind} ${n.subjectId}`),
  });
  return found.notifications.find(predicate) as Notification;
}

async function startTask(projectId: string, token: string, body: Record<string, unknown>): Promise<string> {
  return (await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: body, token }, 201)).id;
}

/** Polls `taskId` as `token`'s holder until it ended. */
async function waitForTask(taskId: string, token: string): Promise<TaskView> {
  return pollUntil(`task ${taskId} to end`, () => apiJson<TaskView>(`/api/tasks/${taskId}`, { token }), (t) => ENDED.includes(t.status), { timeoutMs: 20_000, show: (t) => t.status });
}

async function userStub(userId: string) {
  return getAgentByName(env.UserAgent, userId);
}

const notice = (over: Partial<NewNotification> = {}): NewNotification => ({
  kind: "trigger.failed",
  title: "Trigger \"nightly\" failed",
  body: "the budget is spent",
  link: "/projects/prj_x",
  projectId: null,
  subjectId: null,
  dedupeKey: null,
  ...over,
});

/** A user socket through the Worker, collecting parsed frames. */
async function openUserSocket(userId: string, token: string | null, headers: Record<string, string> = {}) {
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  const response = await exports.default.fetch(new Request(`http://sam.test/agents/user-agent/${userId}${query}`, { headers: { upgrade: "websocket", ...headers } }));
  const ws = response.webSocket;
  if (!ws) return { status: response.status, socket: null };
  ws.accept();
  const frames: UserServerFrame[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (e: CloseEvent) => resolve({ code: e.code, reason: e.reason })));
  ws.addEventListener("message", (e: MessageEvent) => {
    frames.push(userServerFrameSchema.parse(JSON.parse(String(e.data))));
  });
  const next = (what: string, predicate: (f: UserServerFrame) => boolean) =>
    pollUntil(`a frame: ${what}`, () => frames.find(predicate), (f): f is UserServerFrame => f !== undefined, { timeoutMs: 10_000, show: () => frames.map((f) => f.type) });
  return { status: response.status, socket: { ws, frames, closed, next } };
}

/** The fake's requests to `path`. */
async function received(path: string): Promise<NotifyRequest[]> {
  return ((await (await fetch(`${FAKE}/__control/requests?path=${encodeURIComponent(path)}`)).json()) as { requests: NotifyRequest[] }).requests;
}

/** Polls the user's delivery records until the one of `notificationId` (and `channel`) is no longer pending. */
async function finishedDelivery(userId: string, notificationId: string, channel: DeliveryRecord["channel"]): Promise<DeliveryRecord> {
  const stub = await userStub(userId);
  const records = await pollUntil(
    `the ${channel} delivery of ${notificationId} to finish`,
    () => stub.listDeliveries(100),
    (rs) => rs.some((r) => r.notificationId === notificationId && r.channel === channel && r.status !== "pending"),
    { timeoutMs: 20_000, show: (rs) => rs.map((r) => `${r.channel} ${r.status} ${r.attempts} ${r.lastError}`) },
  );
  return records.find((r) => r.notificationId === notificationId && r.channel === channel) as DeliveryRecord;
}

async function setSettings(token: string, settings: NotificationSettings, status = 200): Promise<Response> {
  const response = await api("/api/me/notification-settings", { method: "PUT", json: settings, token });
  expect(response.status, await response.clone().text()).toBe(status);
  return response;
}

describe("notifications raised by their producers", () => {
  it("a top-level task's success and failure reach its starter once; a cancelled task is not news", async () => {
    const ada = await person("Ada");
    const ok = await startTask(ada.projectId, ada.token, { prompt: "Fix the greeting\nplease", script: [{ text: "Fixed the **typo**." }] });
    const loop = { toolCalls: [{ toolName: "list_files", input: {} }] };
    const bad = await startTask(ada.projectId, ada.token, { prompt: "Loop forever", maxSteps: 1, script: [loop, loop] });
    const slow = await startTask(ada.projectId, ada.token, { prompt: "Sleep", script: [{ toolCalls: [{ toolName: "bash", input: { command: "sleep 20" } }] }] });
    await waitForTask(ok, ada.token);
    await waitForTask(bad, ada.token);
    await apiJson(`/api/tasks/${slow}/cancel`, { method: "POST", token: ada.token });
    await waitForTask(slow, ada.token);

    const succeeded = await waitForNotification(ada.token, "task.succeeded", (n) => n.subjectId === ok);
    expect(succeeded).toMatchObject({ kind: "task.succeeded", title: 'Task "Fix the greeting" succeeded', body: "Fixed the **typo**.", link: `/tasks/${ok}`, projectId: ada.projectId, readAt: null });
    expect(succeeded.id).toMatch(/^ntf_/);
    const failed = await waitForNotification(ada.token, "task.failed", (n) => n.subjectId === bad);
    expect(failed).toMatchObject({ kind: "task.failed", title: 'Task "Loop forever" failed', link: `/tasks/${bad}` });
    expect(failed.body).toMatch(/maxSteps 1/);
    // The cancel's end ran (and would have notified) before the cancel call answered.
    const all = await list(ada.token);
    expect(all.notifications.filter((n) => n.subjectId === slow)).toEqual([]);
    expect(all.notifications.filter((n) => n.subjectId === ok)).toHaveLength(1);
    // A replayed end (a crash after the state change) stores nothing more.
    expect(await (await userStub(ada.id)).notify({ ...notice(), kind: "task.succeeded", subjectId: ok, dedupeKey: `task.succeeded:${ok}` })).toBeNull();
    expect((await list(ada.token)).notifications).toHaveLength(all.notifications.length);
  });

  it("a mission's task asking a question notifies its starter (once), and the mission's end does too — its tasks' ends do not", async () => {
    const bea = await person("Bea");
    const mission = await apiJson<{ id: string }>(
      `/api/projects/${bea.projectId}/missions`,
      {
        method: "POST",
        token: bea.token,
        json: { goal: "Choose a colour", tasks: [{ key: "a", prompt: "Paint the wall", script: [{ toolCalls: [{ toolName: "ask_human", input: { question: "Which colour?" } }] }, { text: "Painted it." }] }] },
      },
      201,
    );
    const waiting = await waitForNotification(bea.token, "task.waiting", (n) => n.kind === "task.waiting");
    expect(waiting).toMatchObject({ title: 'Task "Paint the wall" asks you a question', body: "Which colour?", projectId: bea.projectId });
    const taskId = waiting.subjectId ?? "";
    expect(waiting.link).toBe(`/tasks/${taskId}`);
    await apiJson(`/api/tasks/${taskId}/answer`, { method: "POST", json: { text: "blue" }, token: bea.token });
    const ended = await waitForNotification(bea.token, "mission.ended", (n) => n.kind === "mission.ended");
    expect(ended).toMatchObject({ title: 'Mission "Choose a colour" succeeded', link: `/projects/${bea.projectId}`, subjectId: mission.id });
    expect(ended.body).toContain("- ✓ a: Painted it.");
    const view = await apiJson<MissionView>(`/api/missions/${mission.id}`, { token: bea.token });
    expect(view.status).toBe("succeeded");
    const kinds = (await list(bea.token)).notifications.map((n) => n.kind).sort();
    expect(kinds).toEqual(["mission.ended", "task.waiting"]);
  });

  it("a mention in the chat notifies the member it names, never the author", async () => {
    const owner = await person("Cy Owner");
    const dee = await addUser("Dee Ray");
    await apiJson(`/api/projects/${owner.projectId}/members`, { method: "POST", json: { userId: dee.id, role: "member" }, token: owner.token }, 201);
    const message = await apiJson<{ id: string }>(
      `/api/projects/${owner.projectId}/sessions/${owner.sessionId}/messages`,
      { method: "POST", json: { text: "@DeeRay can you review? (cc @cyowner, mail dee@example.com)" }, token: owner.token },
      201,
    );
    const mention = await waitForNotification(dee.token, "chat.mention", (n) => n.kind === "chat.mention");
    expect(mention).toMatchObject({
      title: "Cy Owner mentioned you in Cy Owner's project",
      body: "@DeeRay can you review? (cc @cyowner, mail dee@example.com)",
      link: `/projects/${owner.projectId}/sessions/${owner.sessionId}`,
      projectId: owner.projectId,
      subjectId: message.id,
    });
    // Dee answers naming herself and the owner: the owner hears of this one only (writing your own
    // handle is no news: not the owner's first message, not Dee's own handle).
    const reply = await apiJson<{ id: string }>(
      `/api/projects/${owner.projectId}/sessions/${owner.sessionId}/messages`,
      { method: "POST", json: { text: "@deeray. Looks good, @CyOwner." }, token: dee.token },
      201,
    );
    await waitForNotification(owner.token, "the reply's mention", (n) => n.subjectId === reply.id);
    expect((await list(owner.token)).notifications.map((n) => [n.kind, n.subjectId, n.title])).toEqual([["chat.mention", reply.id, "Dee Ray mentioned you in Cy Owner's project"]]);
    expect((await list(dee.token)).notifications.map((n) => n.subjectId)).toEqual([message.id]);
  });
});

describe("the list, reads, the socket and isolation", () => {
  it("stores a trigger's failure, deduplicates it, sends it live and counts it until read", async () => {
    const eve = await addUser("Eve");
    const opened = await openUserSocket(eve.id, eve.token);
    expect(opened.status).toBe(101);
    const socket = opened.socket!;
    expect(await socket.next("the unread count on connect", (f) => f.type === "notification.unread")).toEqual({ type: "notification.unread", unreadCount: 0 });

    const stub = await userStub(eve.id);
    const first = await stub.notify(notice({ subjectId: "trun_1", dedupeKey: "trigger.failed:trun_1" }));
    expect(first).toMatchObject({ kind: "trigger.failed", subjectId: "trun_1", readAt: null });
    expect(await stub.notify(notice({ subjectId: "trun_1", dedupeKey: "trigger.failed:trun_1" }))).toBeNull();
    const live = await socket.next("notification.new", (f) => f.type === "notification.new");
    expect(live).toEqual({ type: "notification.new", notification: first, unreadCount: 1 });
    const second = await stub.notify(notice({ title: "second" }));
    const third = await stub.notify(notice({ title: "third" }));

    const all = await list(eve.token);
    expect(all.notifications.map((n) => n.title)).toEqual(["third", "second", first!.title]);
    expect(all.unreadCount).toBe(3);
    expect((await list(eve.token, "?limit=2")).notifications.map((n) => n.id)).toEqual([third!.id, second!.id]);
    expect((await api("/api/notifications?limit=0", { token: eve.token })).status).toBe(400);
    expect((await api("/api/notifications?limit=201", { token: eve.token })).status).toBe(400);

    expect(await apiJson("/api/notifications/read", { method: "POST", json: { ids: [first!.id] }, token: eve.token })).toEqual({ unreadCount: 2 });
    await socket.next("the unread count after a read", (f) => f.type === "notification.unread" && f.unreadCount === 2);
    const unread = await list(eve.token, "?unread=1");
    expect(unread.notifications.map((n) => n.id)).toEqual([third!.id, second!.id]);
    expect((await list(eve.token)).notifications.find((n) => n.id === first!.id)?.readAt).toEqual(expect.any(String));
    expect(await apiJson("/api/notifications/read", { method: "POST", json: { all: true }, token: eve.token })).toEqual({ unreadCount: 0 });
    expect((await list(eve.token, "?unread=1")).notifications).toEqual([]);
    for (const bad of [{}, { ids: [] }, { ids: ["tsk_01J0000000000000000000000"] }, { all: false }, { ids: [first!.id], all: true }]) {
      expect((await api("/api/notifications/read", { method: "POST", json: bad, token: eve.token })).status, JSON.stringify(bad)).toBe(400);
    }
    // A client frame gets an error frame; the socket stays open.
    socket.ws.send(JSON.stringify({ type: "notification.read" }));
    expect(await socket.next("an error frame", (f) => f.type === "error")).toMatchObject({ code: "invalid_frame" });
    // A flood is answered up to the project socket's limit (300 per 10 s), then once with
    // rate_limited, then not at all; the socket stays open and still hears notifications.
    for (let i = 0; i < 310; i++) socket.ws.send(JSON.stringify({ type: "notification.read" }));
    await socket.next("the rate limit", (f) => f.type === "error" && f.code === "rate_limited");
    await (await userStub(eve.id)).notify(notice({ title: "after the flood" }));
    await socket.next("a notification after the flood", (f) => f.type === "notification.new" && f.notification.title === "after the flood");
    const errors = socket.frames.filter((f) => f.type === "error");
    expect(errors.filter((f) => f.code === "invalid_frame")).toHaveLength(300);
    expect(errors.filter((f) => f.code === "rate_limited")).toHaveLength(1);
    socket.ws.close();
  });

  it("keeps each person to their own notifications and socket", async () => {
    const fay = await addUser("Fay");
    const gus = await addUser("Gus");
    const fays = await (await userStub(fay.id)).notify(notice({ title: "for Fay" }));
    expect((await list(gus.token)).notifications).toEqual([]);
    expect(await apiJson("/api/notifications/read", { method: "POST", json: { ids: [fays!.id] }, token: gus.token })).toEqual({ unreadCount: 0 });
    expect((await list(fay.token)).unreadCount).toBe(1);

    expect((await openUserSocket(fay.id, gus.token)).status).toBe(404);
    expect((await openUserSocket("usr_not-an-id", fay.token)).status).toBe(404);
    expect((await openUserSocket(fay.id, null)).status).toBe(401);
    expect((await openUserSocket(fay.id, fay.token, { origin: "https://evil.example" })).status).toBe(403);
    const plain = await exports.default.fetch(new Request(`http://sam.test/agents/user-agent/${fay.id}?token=${fay.token}`));
    expect(plain.status).toBe(404);
    // Headers a client sends are not trusted: Gus cannot pass himself off as Fay.
    expect((await openUserSocket(fay.id, gus.token, { "x-sam-user-id": fay.id })).status).toBe(404);
  });

  it("closes the user's socket when the token it was opened with is revoked", async () => {
    const hal = await addUser("Hal");
    const second = await apiJson<{ id: string; token: string }>("/api/tokens", { method: "POST", json: { name: "second" }, token: hal.token }, 201);
    const kept = (await openUserSocket(hal.id, hal.token)).socket!;
    const revoked = (await openUserSocket(hal.id, second.token)).socket!;
    await revoked.next("connected", (f) => f.type === "notification.unread");
    expect((await api(`/api/tokens/${second.id}`, { method: "DELETE", token: hal.token })).status).toBe(204);
    expect((await revoked.closed).code).toBe(4003);
    await (await userStub(hal.id)).notify(notice({ title: "still here" }));
    expect(await kept.next("the other socket still open", (f) => f.type === "notification.new")).toMatchObject({ unreadCount: 1 });
    kept.ws.close();
  });
});

describe("the user's socket and an expiring token", () => {
  it("closes the socket opened with a token when the token expires; a token without expiry, or a client's own expiry header, keeps its socket", async () => {
    const ida = await addUser("Ida");
    const short = await apiJson<{ token: string; expiresAt: string }>("/api/tokens", { method: "POST", json: { name: "for a day", expiresInDays: 1 }, token: ida.token }, 201);
    const expiring = (await openUserSocket(ida.id, short.token)).socket!;
    const lasting = (await openUserSocket(ida.id, ida.token)).socket!;
    // A client cannot set its socket's expiry (the Worker drops the header and sets its own).
    const spoofed = (await openUserSocket(ida.id, ida.token, { "x-sam-credential-expires": new Date(Date.now() - 60_000).toISOString() })).socket!;
    for (const socket of [expiring, lasting, spoofed]) await socket.next("connected", (f) => f.type === "notification.unread");
    const stub = await userStub(ida.id);
    // Connecting scheduled the close at the token's expiry (the SDK keeps whole seconds).
    const schedules = await runInDurableObject(stub, (instance: UserAgent) => instance.listSchedules());
    expect(schedules.filter((x) => x.callback === "closeExpiredSockets").map((x) => x.time)).toEqual([Math.floor(Date.parse(short.expiresAt) / 1000)]);
    // Before the expiry nothing closes; past it, the alarm's callback closes that socket alone.
    expect(await runInDurableObject(stub, (instance: UserAgent) => instance["socket"].closeExpired(Date.parse(short.expiresAt) - 1000))).toBe(0);
    await runInDurableObject(stub, async (instance: UserAgent) => {
      instance["socket"].clock = () => Date.parse(short.expiresAt) + 1000;
      expect(await instance.closeExpiredSockets()).toBe(1);
      instance["socket"].clock = () => Date.now();
    });
    expect(await expiring.closed).toEqual({ code: 4003, reason: "token expired" });
    await stub.notify(notice({ title: "after the expiry" }));
    for (const socket of [lasting, spoofed]) expect(await socket.next("the notification", (f) => f.type === "notification.new")).toMatchObject({ unreadCount: 1 });
    expect(expiring.frames.some((f) => f.type === "notification.new")).toBe(false);
    lasting.ws.close();
    spoofed.ws.close();
  });
});

describe("delivery beyond the page", () => {
  it("checks the settings: defaults, https webhooks (http only on loopback locally), known kinds", async () => {
    const ida = await addUser("Ida");
    expect(await apiJson("/api/me/notification-settings", { token: ida.token })).toEqual({
      push: { kinds: ["task.succeeded", "task.failed", "task.waiting", "mission.ended", "chat.mention", "trigger.failed"] },
      webhook: { url: null, kinds: ["task.succeeded", "task.failed", "task.waiting", "mission.ended", "chat.mention", "trigger.failed"] },
    });
    await setSettings(ida.token, { push: { kinds: [] }, webhook: { url: "http://hooks.example/x", kinds: [] } }, 400);
    await setSettings(ida.token, { push: { kinds: [] }, webhook: { url: "http://10.1.2.3/x", kinds: [] } }, 400);
    await setSettings(ida.token, { push: { kinds: ["task.exploded" as never] }, webhook: { url: null, kinds: [] } }, 400);
    expect((await api("/api/me/notification-settings", { method: "PUT", json: { push: { kinds: [] } }, token: ida.token })).status).toBe(400);
    expect((await api("/api/me/notification-settings", { method: "PUT", json: { push: { kinds: [] }, webhook: { url: null, kinds: [] }, extra: 1 }, token: ida.token })).status).toBe(400);
    const saved = await (await setSettings(ida.token, { push: { kinds: ["chat.mention", "task.failed", "chat.mention"] }, webhook: { url: "https://hooks.example/x", kinds: ["mission.ended"] } })).json();
    expect(saved).toEqual({ push: { kinds: ["task.failed", "chat.mention"] }, webhook: { url: "https://hooks.example/x", kinds: ["mission.ended"] } });
    expect(await apiJson("/api/me/notification-settings", { token: ida.token })).toEqual(saved);
  });

  it("posts {text} to the webhook, retrying a failing one with backoff until it answers, and drops one that never does", async () => {
    const jo = await addUser("Jo");
    const stub = await userStub(jo.id);
    const flaky = `/hook/${jo.id}-flaky`;
    await setSettings(jo.token, { push: { kinds: [] }, webhook: { url: `${FAKE}${flaky}?fail=2`, kinds: ["trigger.failed"] } });
    const sent = await stub.notify(notice({ title: 'Trigger "nightly" failed', body: "the budget is spent", link: "/projects/prj_x" }));
    const record = await finishedDelivery(jo.id, sent!.id, "webhook");
    expect(record).toMatchObject({ status: "sent", attempts: 3, lastError: null, target: "webhook" });
    const requests = await received(flaky);
    expect(requests.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(requests[0].contentType).toBe("application/json");
    expect(JSON.parse(requests[2].text ?? "")).toEqual({ text: 'Trigger "nightly" failed\nthe budget is spent\nhttp://sam.test/projects/prj_x' });
    // Backoff: each retry came after the configured delay (0.2 s in the tests), not at once.
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(150);
    expect(requests[2].at - requests[1].at).toBeGreaterThanOrEqual(150);

    // A kind the webhook does not want is not sent.
    const quiet = await stub.notify(notice({ kind: "task.succeeded", title: "quiet" }));
    expect((await stub.listDeliveries()).filter((r) => r.notificationId === quiet!.id)).toEqual([]);

    const down = `/hook/${jo.id}-down`;
    await setSettings(jo.token, { push: { kinds: [] }, webhook: { url: `${FAKE}${down}?status=503`, kinds: ["trigger.failed"] } });
    const lost = await stub.notify(notice({ title: "lost" }));
    const dropped = await finishedDelivery(jo.id, lost!.id, "webhook");
    expect(dropped).toMatchObject({ status: "dropped", attempts: 5 });
    expect(dropped.lastError).toMatch(/HTTP 503.*gave up after 5 attempts/);
    expect(await received(down)).toHaveLength(5);

    const refused = `/hook/${jo.id}-refused`;
    await setSettings(jo.token, { push: { kinds: [] }, webhook: { url: `${FAKE}${refused}?status=400`, kinds: ["trigger.failed"] } });
    const bad = await stub.notify(notice({ title: "refused" }));
    expect(await finishedDelivery(jo.id, bad!.id, "webhook")).toMatchObject({ status: "dropped", attempts: 1, lastError: expect.stringMatching(/HTTP 400/) });
  });

  it("pushes an encrypted, VAPID-signed {title, body, link, id, kind} to each subscribed browser, and forgets a subscription that is gone", async () => {
    const kim = await addUser("Kim");
    expect(await apiJson("/api/push/vapid-public-key", { token: kim.token })).toEqual({ publicKey: env.VAPID_PUBLIC_KEY });
    const endpoint = `${FAKE}/push/${kim.id}`;
    const made = await apiJson<{ id: string; endpoint: string; createdAt: string }>("/api/me/push-subscriptions", { method: "POST", json: { endpoint, expirationTime: null, keys: BROWSER }, token: kim.token }, 201);
    expect(made).toMatchObject({ endpoint, id: expect.stringMatching(/^psub_/) });
    const again = await apiJson<{ id: string }>("/api/me/push-subscriptions", { method: "POST", json: { endpoint, keys: BROWSER }, token: kim.token }, 200);
    expect(again.id).toBe(made.id);
    expect(await apiJson("/api/me/push-subscriptions", { token: kim.token })).toEqual({ subscriptions: [made] });
    expect((await api("/api/me/push-subscriptions", { method: "POST", json: { endpoint: "http://push.example/x", keys: BROWSER }, token: kim.token })).status).toBe(400);
    expect((await api("/api/me/push-subscriptions", { method: "POST", json: { endpoint, keys: { p256dh: "" } }, token: kim.token })).status).toBe(400);

    const stub = await userStub(kim.id);
    const pushed = await stub.notify(notice({ title: "Pushed", body: "to the browser", link: "/tasks/tsk_1", subjectId: "tsk_1" }));
    expect(await finishedDelivery(kim.id, pushed!.id, "push")).toMatchObject({ status: "sent", attempts: 1, target: made.id });
    const [request] = await received(`/push/${kim.id}`);
    expect(request.problem).toBeNull();
    expect(JSON.parse(request.text ?? "")).toEqual({ title: "Pushed", body: "to the browser", link: "/tasks/tsk_1", id: pushed!.id, kind: "trigger.failed" });
    expect(request.vapid).toMatchObject({ valid: true, k: env.VAPID_PUBLIC_KEY, sub: "mailto:tests@sam.test", aud: new URL(endpoint.replace(/^http:/, "https:")).origin });
    expect(request.vapid!.exp * 1000).toBeGreaterThan(Date.now());

    // The browser unsubscribed: the push service answers 410 and the subscription is removed.
    const gone = await apiJson<{ id: string }>("/api/me/push-subscriptions", { method: "POST", json: { endpoint: `${FAKE}/push/${kim.id}-gone?status=410`, keys: BROWSER }, token: kim.token }, 201);
    const second = await stub.notify(notice({ title: "Second" }));
    const both = await pollUntil("both push deliveries of the second to finish", () => stub.listDeliveries(), (rs) => rs.filter((r) => r.notificationId === second!.id && r.status !== "pending").length === 2, {
      show: (rs) => rs.map((r) => `${r.target} ${r.status} ${r.lastError}`),
    });
    expect(both.find((r) => r.notificationId === second!.id && r.target === gone.id)).toMatchObject({ status: "dropped", attempts: 1, lastError: expect.stringMatching(/HTTP 410/) });
    expect(both.find((r) => r.notificationId === second!.id && r.target === made.id)).toMatchObject({ status: "sent" });
    expect((await apiJson<{ subscriptions: { id: string }[] }>("/api/me/push-subscriptions", { token: kim.token })).subscriptions.map((s) => s.id)).toEqual([made.id]);

    // Push kinds are respected, and a removed subscription gets nothing.
    await setSettings(kim.token, { push: { kinds: ["task.failed"] }, webhook: { url: null, kinds: [] } });
    const unwanted = await stub.notify(notice({ title: "unwanted" }));
    expect((await stub.listDeliveries()).filter((r) => r.notificationId === unwanted!.id)).toEqual([]);
    expect((await api(`/api/me/push-subscriptions/${made.id}`, { method: "DELETE", token: kim.token })).status).toBe(204);
    expect((await api(`/api/me/push-subscriptions/${made.id}`, { method: "DELETE", token: kim.token })).status).toBe(404);
    expect((await api(`/api/me/push-subscriptions/not-an-id`, { method: "DELETE", token: kim.token })).status).toBe(400);
  });
});
