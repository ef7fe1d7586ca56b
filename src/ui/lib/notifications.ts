/**
 * The notifications UI's pure rules (no React, no browser globals; unit-tested in
 * test/node/ui-notifications.test.ts): the shapes read from the API and the per-user socket,
 * the list kept in the page (newest first, one entry per id), marking read, what a kind is
 * called, relative times, the bell's label, where a notification may link to, and the VAPID key
 * as bytes for `pushManager.subscribe`.
 *
 * The shapes come from src/shared/notification.ts and protocol.ts (the definitions the server uses too).
 */
import { z } from "zod";
import type { Notification, NotificationKind } from "../../shared/notification.ts";
import { parseFrame, userServerFrameSchema, type UserServerFrame } from "../../shared/protocol.ts";

/** `GET /api/notifications`: newest first, and the user's unread count (over all of them, not just this page). */
export const notificationPageSchema = z.object({ notifications: z.array(z.unknown()), unreadCount: z.number().int().min(0) });

/** `POST /api/notifications/read`'s answer. */
export const unreadCountSchema = z.object({ unreadCount: z.number().int().min(0) });

/**
 * The per-user socket's frames the page acts on (`/agents/user-agent/<userId>`, docs/api.md): a
 * new notification with the count after it, or the count alone (on connect and after a read,
 * from any tab).
 */
export type UserFrame = Exclude<UserServerFrame, { type: "error" }>;

/**
 * Parses a raw WebSocket message of the per-user socket (`userServerFrameSchema` of
 * src/shared/protocol.ts) into a frame, or null for anything else (the Agents SDK's own
 * `cf_agent_*` frames, an `error` frame — the page sends nothing, so it has none to expect —
 * text that is not JSON).
 */
export function parseUserFrame(data: unknown): UserFrame | null {
  const frame = parseFrame(userServerFrameSchema, data);
  return frame && frame.type !== "error" ? frame : null;
}

/** How many notifications the page keeps and the list shows (the API's default page is 50). */
export const NOTIFICATION_LIST_LIMIT = 50;

/**
 * `current` with `incoming` merged in: one entry per id (an incoming copy replaces the kept one,
 * so a read state from the server wins), newest first by `createdAt` then id (ids are ULIDs, so
 * they sort by time too), at most `limit` entries. Returns a new array; inputs are not changed.
 */
export function mergeNotifications(current: readonly Notification[], incoming: readonly Notification[], limit = NOTIFICATION_LIST_LIMIT): Notification[] {
  const byId = new Map<string, Notification>();
  for (const n of current) byId.set(n.id, n);
  for (const n of incoming) byId.set(n.id, n);
  return [...byId.values()]
    .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1))
    .slice(0, limit);
}

/**
 * `list` with the notifications of `ids` (every one when `ids` is "all") marked read at `readAt`
 * (ISO 8601); ones already read keep their time. Returns a new array.
 */
export function markReadLocally(list: readonly Notification[], ids: readonly string[] | "all", readAt: string): Notification[] {
  const chosen = ids === "all" ? null : new Set(ids);
  return list.map((n) => (n.readAt === null && (chosen === null || chosen.has(n.id)) ? { ...n, readAt } : n));
}

/** What each kind is called in the list, with a one-character symbol shown beside it (decorative: the label says it). */
export const NOTIFICATION_KIND_TEXT: Record<NotificationKind, { label: string; icon: string }> = {
  "task.succeeded": { label: "Task succeeded", icon: "✓" },
  "task.failed": { label: "Task failed", icon: "✗" },
  "task.waiting": { label: "Task needs an answer", icon: "?" },
  "mission.ended": { label: "Mission ended", icon: "◆" },
  "chat.mention": { label: "Mentioned in a chat", icon: "@" },
  "trigger.failed": { label: "Trigger failed", icon: "!" },
};

/**
 * The bell's accessible name: "Notifications" with no unread ones, else "Notifications, N
 * unread" (the count as given, never capped, so a screen reader hears the real number).
 */
export function bellLabel(unreadCount: number): string {
  return unreadCount > 0 ? `Notifications, ${unreadCount} unread` : "Notifications";
}

/** The count shown on the bell's badge: "" for none, the number up to 99, then "99+". */
export function badgeText(unreadCount: number): string {
  if (unreadCount <= 0) return "";
  return unreadCount > 99 ? "99+" : String(unreadCount);
}

const RELATIVE_STEPS: readonly { unit: Intl.RelativeTimeFormatUnit; ms: number }[] = [
  { unit: "year", ms: 365 * 24 * 3600_000 },
  { unit: "month", ms: 30 * 24 * 3600_000 },
  { unit: "week", ms: 7 * 24 * 3600_000 },
  { unit: "day", ms: 24 * 3600_000 },
  { unit: "hour", ms: 3600_000 },
  { unit: "minute", ms: 60_000 },
];

/**
 * `iso` relative to `nowMs` (epoch ms) in words of `locale` ("just now" under a minute, else
 * "5 minutes ago", "yesterday", "3 weeks ago"...; months as 30 days, years as 365), via
 * `Intl.RelativeTimeFormat`. A time in the future reads as "just now" (clocks differ a little);
 * text that is not a date comes back as it is.
 */
export function relativeTime(iso: string, nowMs: number, locale?: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const elapsed = nowMs - t;
  if (elapsed < 60_000) return "just now";
  const format = new Intl.RelativeTimeFormat(locale ?? "en", { numeric: "auto" });
  for (const step of RELATIVE_STEPS) {
    if (elapsed >= step.ms) return format.format(-Math.floor(elapsed / step.ms), step.unit);
  }
  return "just now";
}

/**
 * Where a notification opens: its `link` when it is a path of this site (starts with one `/`,
 * no `//` or `/\` that a browser would read as another host, no control characters), else the
 * notifications page. The server only stores such paths; this keeps the page safe regardless.
 */
export function notificationHref(link: string): string {
  if (!link.startsWith("/") || link.startsWith("//") || link.startsWith("/\\") || /[\u0000-\u001f]/.test(link)) return "/notifications";
  return link;
}

/**
 * A VAPID public key as the API gives it (base64url, RFC 4648 §5, padding optional) → the bytes
 * `pushManager.subscribe({applicationServerKey})` takes. Throws when the text is not base64url
 * or is not an uncompressed P-256 point (65 bytes starting with 0x04, RFC 8292 §3.2).
 */
export function vapidKeyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(base64url)) throw new Error("the push key is not base64url");
  const base64 = base64url.replace(/=+$/, "").replace(/-/g, "+").replace(/_/g, "/");
  const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (bytes.length !== 65 || bytes[0] !== 0x04) throw new Error("the push key is not an uncompressed P-256 public key");
  return bytes;
}

/** Whether push can be offered, and if not, why (each with the sentence the settings show). */
export type PushAvailability = { ok: true } | { ok: false; reason: "unsupported" | "insecure" | "not_configured" | "denied"; message: string };

/**
 * Decides whether browser push can be offered from what the page found: whether the browser has
 * service workers, `PushManager` and `Notification`; whether the page is a secure context
 * (https or localhost: browsers allow push nowhere else); the server's VAPID key (null: push is
 * not configured on this SAM); and the notification permission ("denied": only the browser's
 * site settings can undo it).
 */
export function pushAvailability(found: { supported: boolean; secureContext: boolean; publicKey: string | null; permission: "default" | "granted" | "denied" }): PushAvailability {
  if (!found.supported) return { ok: false, reason: "unsupported", message: "This browser does not support push notifications." };
  if (!found.secureContext) return { ok: false, reason: "insecure", message: "Push notifications need SAM to be opened over https (or on localhost)." };
  if (found.publicKey === null) return { ok: false, reason: "not_configured", message: "Push notifications are not configured on this SAM (no VAPID keys)." };
  if (found.permission === "denied") {
    return { ok: false, reason: "denied", message: "Notifications are blocked for this site: allow them in the browser's site settings to turn push on." };
  }
  return { ok: true };
}
