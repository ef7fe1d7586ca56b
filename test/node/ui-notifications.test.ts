/**
 * The notifications UI's pure rules (src/ui/lib/notifications.ts): frames of the per-user socket
 * read with zod, the list kept newest first with one entry per id, marking read, the bell's
 * label and badge, relative times, safe links, the VAPID key's bytes and when push can be
 * offered. Then the service worker (src/ui/public/sw.js) run in a `node:vm` context with the few
 * service-worker globals it uses, to pin what it shows for a push and what a click does (the
 * real thing runs in Chromium in test/e2e/notifications-browser.test.ts).
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { Notification } from "../../src/shared/notification.ts";
import {
  badgeText,
  bellLabel,
  markReadLocally,
  mergeNotifications,
  notificationHref,
  parseUserFrame,
  pushAvailability,
  relativeTime,
  vapidKeyBytes,
} from "../../src/ui/lib/notifications.ts";

function notification(id: string, createdAt: string, readAt: string | null = null): Notification {
  return { id, kind: "task.succeeded", title: `Task ${id} succeeded`, body: "", link: `/tasks/tsk_${id}`, projectId: "prj_1", subjectId: `tsk_${id}`, createdAt, readAt };
}

describe("parseUserFrame (the per-user socket)", () => {
  it("reads notification.new with the notification and the count, and notification.unread", () => {
    const n = notification("ntf_A", "2025-01-01T10:00:00.000Z");
    expect(parseUserFrame(JSON.stringify({ type: "notification.new", notification: n, unreadCount: 3 }))).toEqual({ type: "notification.new", notification: n, unreadCount: 3 });
    expect(parseUserFrame(JSON.stringify({ type: "notification.unread", unreadCount: 0 }))).toEqual({ type: "notification.unread", unreadCount: 0 });
  });

  it("ignores the SDK's frames, error frames, bad shapes and non-JSON", () => {
    expect(parseUserFrame(JSON.stringify({ type: "cf_agent_identity", name: "usr_1", agent: "user-agent" }))).toBeNull();
    expect(parseUserFrame(JSON.stringify({ type: "error", code: "invalid_frame", message: "this socket takes no frames" }))).toBeNull();
    expect(parseUserFrame(JSON.stringify({ type: "notification.unread", unreadCount: -1 }))).toBeNull();
    expect(parseUserFrame(JSON.stringify({ type: "notification.new", notification: { id: "x" }, unreadCount: 1 }))).toBeNull();
    expect(parseUserFrame("not json")).toBeNull();
    expect(parseUserFrame(new ArrayBuffer(2))).toBeNull();
  });
});

describe("the list kept in the page", () => {
  it("keeps one entry per id, newest first, the incoming copy winning, within the limit", () => {
    const a = notification("ntf_A", "2025-01-01T10:00:00.000Z");
    const b = notification("ntf_B", "2025-01-01T11:00:00.000Z");
    const c = notification("ntf_C", "2025-01-01T12:00:00.000Z");
    const readA = { ...a, readAt: "2025-01-01T13:00:00.000Z" };
    expect(mergeNotifications([a, b], [c, readA]).map((n) => [n.id, n.readAt])).toEqual([
      ["ntf_C", null],
      ["ntf_B", null],
      ["ntf_A", "2025-01-01T13:00:00.000Z"],
    ]);
    expect(mergeNotifications([a, b], [c], 2).map((n) => n.id)).toEqual(["ntf_C", "ntf_B"]);
  });

  it("orders notifications of the same instant by id, the later ULID first", () => {
    const t = "2025-01-01T10:00:00.000Z";
    expect(mergeNotifications([notification("ntf_01A", t)], [notification("ntf_01B", t)]).map((n) => n.id)).toEqual(["ntf_01B", "ntf_01A"]);
  });

  it("marks the chosen unread ones read, or all, leaving read ones' times alone", () => {
    const list = [notification("ntf_A", "2025-01-01T10:00:00.000Z"), notification("ntf_B", "2025-01-01T11:00:00.000Z", "2025-01-01T11:30:00.000Z"), notification("ntf_C", "2025-01-01T12:00:00.000Z")];
    const at = "2025-01-02T00:00:00.000Z";
    expect(markReadLocally(list, ["ntf_A"], at).map((n) => n.readAt)).toEqual([at, "2025-01-01T11:30:00.000Z", null]);
    expect(markReadLocally(list, "all", at).map((n) => n.readAt)).toEqual([at, "2025-01-01T11:30:00.000Z", at]);
    expect(list[0].readAt).toBeNull();
  });
});

describe("the bell", () => {
  it("names the unread count in its accessible label, and caps only the badge", () => {
    expect(bellLabel(0)).toBe("Notifications");
    expect(bellLabel(3)).toBe("Notifications, 3 unread");
    expect(bellLabel(250)).toBe("Notifications, 250 unread");
    expect(badgeText(0)).toBe("");
    expect(badgeText(7)).toBe("7");
    expect(badgeText(100)).toBe("99+");
  });
});

describe("relativeTime", () => {
  const now = Date.parse("2025-03-10T12:00:00.000Z");
  it("says just now under a minute (and for a clock slightly ahead), then minutes, hours, days, weeks", () => {
    expect(relativeTime("2025-03-10T11:59:30.000Z", now)).toBe("just now");
    expect(relativeTime("2025-03-10T12:00:05.000Z", now)).toBe("just now");
    expect(relativeTime("2025-03-10T11:55:00.000Z", now)).toBe("5 minutes ago");
    expect(relativeTime("2025-03-10T09:00:00.000Z", now)).toBe("3 hours ago");
    expect(relativeTime("2025-03-09T11:00:00.000Z", now)).toBe("yesterday");
    expect(relativeTime("2025-02-20T12:00:00.000Z", now)).toBe("2 weeks ago");
    expect(relativeTime("2024-03-01T12:00:00.000Z", now)).toBe("last year");
  });
  it("gives text that is not a date back as it is", () => {
    expect(relativeTime("soon", now)).toBe("soon");
  });
});

describe("notificationHref", () => {
  it("keeps paths of this site and sends anything else to the notifications page", () => {
    expect(notificationHref("/tasks/tsk_1")).toBe("/tasks/tsk_1");
    expect(notificationHref("/projects/prj_1/sessions/ses_1")).toBe("/projects/prj_1/sessions/ses_1");
    for (const bad of ["//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/tasks/\nx", ""]) {
      expect(notificationHref(bad)).toBe("/notifications");
    }
  });
});

describe("vapidKeyBytes", () => {
  it("decodes a real P-256 public key from base64url into its 65 uncompressed bytes", () => {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const raw = publicKey.export({ format: "jwk" });
    const x = Buffer.from(raw.x!, "base64url");
    const y = Buffer.from(raw.y!, "base64url");
    const uncompressed = Buffer.concat([Buffer.from([4]), x, y]);
    const bytes = vapidKeyBytes(uncompressed.toString("base64url"));
    expect(Buffer.from(bytes).equals(uncompressed)).toBe(true);
    // Padded base64url is accepted too.
    expect(vapidKeyBytes(`${uncompressed.toString("base64url")}=`).length).toBe(65);
  });

  it("refuses text that is not base64url, and keys that are not an uncompressed point", () => {
    expect(() => vapidKeyBytes("not base64!")).toThrow(/base64url/);
    expect(() => vapidKeyBytes(Buffer.alloc(65, 1).toString("base64url"))).toThrow(/P-256/);
    expect(() => vapidKeyBytes(Buffer.from([4, 1, 2]).toString("base64url"))).toThrow(/P-256/);
  });
});

describe("pushAvailability", () => {
  const ok = { supported: true, secureContext: true, publicKey: "BAAA", permission: "default" as const };
  it("offers push only with the APIs, a secure context, a configured key and a permission not denied", () => {
    expect(pushAvailability(ok)).toEqual({ ok: true });
    expect(pushAvailability({ ...ok, permission: "granted" })).toEqual({ ok: true });
    expect(pushAvailability({ ...ok, supported: false })).toMatchObject({ ok: false, reason: "unsupported" });
    expect(pushAvailability({ ...ok, secureContext: false })).toMatchObject({ ok: false, reason: "insecure" });
    expect(pushAvailability({ ...ok, publicKey: null })).toMatchObject({ ok: false, reason: "not_configured", message: expect.stringMatching(/not configured/) });
    expect(pushAvailability({ ...ok, permission: "denied" })).toMatchObject({ ok: false, reason: "denied" });
  });
});

// ---- the service worker, in a vm context ----

type Listener = (event: Record<string, unknown>) => void;

/** Runs sw.js with stand-ins for `self`, its registration and clients; returns its listeners and what they did. */
function loadServiceWorker(windows: { url: string }[] = []) {
  const listeners = new Map<string, Listener>();
  const shown: { title: string; options: Record<string, unknown> }[] = [];
  const focused: string[] = [];
  const posted: unknown[] = [];
  const opened: string[] = [];
  const clients = windows.map((w) => ({ url: w.url, focus: async () => void focused.push(w.url), postMessage: (m: unknown) => void posted.push(m) }));
  const self = {
    location: { origin: "https://sam.example" },
    addEventListener: (type: string, listener: Listener) => listeners.set(type, listener),
    skipWaiting: () => undefined,
    registration: { showNotification: async (title: string, options: Record<string, unknown>) => void shown.push({ title, options }) },
    clients: { claim: async () => undefined, matchAll: async () => clients, openWindow: async (url: string) => void opened.push(url) },
  };
  runInNewContext(readFileSync(resolve(import.meta.dirname, "../../src/ui/public/sw.js"), "utf8"), { self, URL });
  /** Dispatches an event and waits for what it passed to `waitUntil`. */
  const dispatch = async (type: string, event: Record<string, unknown>) => {
    let pending: Promise<unknown> = Promise.resolve();
    listeners.get(type)!({ ...event, waitUntil: (p: Promise<unknown>) => (pending = p) });
    await pending;
  };
  return { listeners, dispatch, shown, focused, posted, opened };
}

function pushData(text: string) {
  return { text: () => text, json: () => JSON.parse(text) };
}

describe("the service worker (sw.js)", () => {
  it("shows a push's title and body, tagged with its id, with its link as data", async () => {
    const sw = loadServiceWorker();
    expect([...sw.listeners.keys()].sort()).toEqual(["activate", "install", "notificationclick", "push"]);
    await sw.dispatch("push", { data: pushData(JSON.stringify({ title: "Task ok", body: "all green", link: "/tasks/tsk_1", id: "ntf_1", kind: "task.succeeded" })) });
    expect(sw.shown).toEqual([{ title: "Task ok", options: { body: "all green", tag: "ntf_1", data: { link: "/tasks/tsk_1" } } }]);
  });

  it("still shows something for a push without a readable payload, and never links off the site", async () => {
    const sw = loadServiceWorker();
    await sw.dispatch("push", { data: pushData("plain words") });
    await sw.dispatch("push", { data: pushData(JSON.stringify({ title: "x", link: "https://evil.example/" })) });
    await sw.dispatch("push", { data: null });
    expect(sw.shown.map((s) => [s.title, s.options.body, (s.options.data as { link: string }).link])).toEqual([
      ["SAM", "plain words", "/notifications"],
      ["x", "", "/notifications"],
      ["SAM", "", "/notifications"],
    ]);
  });

  it("on a click, focuses an open SAM tab and asks it to go to the link; with none, opens one", async () => {
    const withTab = loadServiceWorker([{ url: "https://other.example/" }, { url: "https://sam.example/projects" }]);
    let closed = false;
    const click = { notification: { data: { link: "/tasks/tsk_9" }, close: () => void (closed = true) } };
    await withTab.dispatch("notificationclick", click);
    expect(closed).toBe(true);
    expect(withTab.focused).toEqual(["https://sam.example/projects"]);
    expect(withTab.posted).toEqual([{ type: "sam:navigate", link: "/tasks/tsk_9" }]);
    expect(withTab.opened).toEqual([]);

    const noTab = loadServiceWorker([{ url: "https://other.example/" }]);
    await noTab.dispatch("notificationclick", click);
    expect(noTab.opened).toEqual(["/tasks/tsk_9"]);
    expect(noTab.posted).toEqual([]);
  });
});
