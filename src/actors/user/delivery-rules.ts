/**
 * Delivering a notification beyond the page, the rules (pure: no `agents` import, no storage):
 * which channels a notification goes to, what an endpoint's answer means, when a failed attempt
 * is tried again, what the outgoing webhook and the push message carry, and which URLs may be
 * used. The user's actor applies them (notification-delivery.ts); docs/notifications.md says
 * them in words.
 */
import type { Notification, NotificationKind, NotificationSettings } from "../../shared/notification.ts";

/**
 * Seconds to wait before each retry of a failed delivery: 10 s, 1 min, 5 min, 30 min. A
 * delivery is tried at once, then once after each of these; after the last it is dropped (its
 * record stays, status `dropped`, with the last error). About 36 minutes cover a short outage
 * of a push service or a chat's webhook without keeping stale news for hours.
 */
export const DELIVERY_RETRY_DELAYS_SECONDS: readonly number[] = [10, 60, 300, 1800];

/** Attempts a delivery gets in all: the first, plus one per retry delay (5). */
export const MAX_DELIVERY_ATTEMPTS = 1 + DELIVERY_RETRY_DELAYS_SECONDS.length;

/**
 * How long one attempt may take, in ms (10 s): a slow endpoint is cut off and the attempt counts
 * as failed (retried), instead of holding the user's actor.
 */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** How many notifications a user keeps: the newest 1000; older ones (read or not) are deleted. */
export const MAX_STORED_NOTIFICATIONS = 1000;

/** How many finished delivery records (sent or dropped) a user keeps: the newest 1000. */
export const MAX_STORED_DELIVERIES = 1000;

/**
 * How long a push service keeps a message for a browser that is offline, in s (12 hours). It is
 * also the lifetime of the VAPID token (its `exp`), which push services refuse beyond 24 hours
 * (RFC 8292 §2); half of that leaves room for clock skew.
 */
export const PUSH_TTL_SECONDS = 12 * 60 * 60;

/** A way beyond the page: browser push (one delivery per subscription) or the outgoing webhook. */
export type DeliveryChannel = "push" | "webhook";

/**
 * What an attempt's outcome means: `sent`; `retry` (a network error, a timeout, 408, 429 or a
 * 5xx: the endpoint may work later); `drop` (any other answer: the endpoint refuses this message
 * for good, e.g. 400, 401, 403, 413); `gone` (push only, 404 or 410: the browser unsubscribed;
 * the subscription is removed, RFC 8030 §6.2 and the push services' documentation).
 */
export type AttemptVerdict = "sent" | "retry" | "drop" | "gone";

/** The verdict on an endpoint's HTTP `status` for `channel` (`null`: no answer: network error or timeout). */
export function attemptVerdict(channel: DeliveryChannel, status: number | null): AttemptVerdict {
  if (status === null) return "retry";
  if (status >= 200 && status < 300) return "sent";
  if (channel === "push" && (status === 404 || status === 410)) return "gone";
  if (status === 408 || status === 429 || status >= 500) return "retry";
  return "drop";
}

/**
 * When the attempt after `attemptsMade` attempts is due (epoch ms), counting from `nowMs`, with
 * `delaysSeconds` (default DELIVERY_RETRY_DELAYS_SECONDS); null when no attempt is left.
 */
export function nextAttemptAt(attemptsMade: number, nowMs: number, delaysSeconds: readonly number[] = DELIVERY_RETRY_DELAYS_SECONDS): number | null {
  if (attemptsMade < 1) return nowMs;
  const delay = delaysSeconds[attemptsMade - 1];
  return delay === undefined ? null : nowMs + Math.round(delay * 1000);
}

/**
 * The retry delays from `SAM_NOTIFICATION_RETRY_SECONDS` (comma-separated seconds, e.g.
 * `0.05,0.05`: the tests' way to see the retries in a second), else the default. A value that
 * does not parse as non-negative numbers gives the default.
 */
export function retryDelaysFrom(value: string | undefined): readonly number[] {
  if (!value?.trim()) return DELIVERY_RETRY_DELAYS_SECONDS;
  const parsed = value.split(",").map((part) => Number(part.trim()));
  return parsed.every((n) => Number.isFinite(n) && n >= 0) ? parsed : DELIVERY_RETRY_DELAYS_SECONDS;
}

/**
 * The channels `kind` goes to by `settings`: `push` when push is configured on the server
 * (`pushConfigured`), the user has subscribed browsers and wants the kind; `webhook` when a URL
 * is set and the kind is wanted.
 */
export function channelsFor(settings: NotificationSettings, kind: NotificationKind, pushConfigured: boolean, subscriptions: number): DeliveryChannel[] {
  const channels: DeliveryChannel[] = [];
  if (pushConfigured && subscriptions > 0 && settings.push.kinds.includes(kind)) channels.push("push");
  if (settings.webhook.url && settings.webhook.kinds.includes(kind)) channels.push("webhook");
  return channels;
}

/**
 * The outgoing webhook's body (Slack-compatible incoming-webhook JSON): `{text}` with the title,
 * the body (when not empty) and the absolute link (`origin` + the notification's path), one per line.
 */
export function webhookBody(notification: Pick<Notification, "title" | "body" | "link">, origin: string): { text: string } {
  const lines = [notification.title];
  if (notification.body.trim()) lines.push(notification.body);
  lines.push(new URL(notification.link, origin).toString());
  return { text: lines.join("\n") };
}

/** What the service worker receives in a push message (JSON): `{title, body, link, id, kind}` (the link a same-origin path). */
export interface PushPayload {
  title: string;
  body: string;
  link: string;
  id: string;
  kind: NotificationKind;
}

/**
 * The push message's payload. A push message holds at most 4078 bytes once encrypted
 * (RFC 8291), so the body is cut to 1000 characters (a phone shows a few lines anyway).
 */
export function pushPayload(notification: Pick<Notification, "id" | "kind" | "title" | "body" | "link">): PushPayload {
  const body = notification.body.length > 1000 ? `${notification.body.slice(0, 999)}…` : notification.body;
  return { title: notification.title, body, link: notification.link, id: notification.id, kind: notification.kind };
}

/** Whether `hostname` (as `URL.hostname` gives it) is this machine: 127.0.0.0/8, `localhost`, `[::1]`. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Why `url` may not receive deliveries (a webhook, or a push subscription's endpoint), or null
 * when it may: it must be `https:`, or `http:` on a loopback host only in local mode (`local`:
 * SAM_MODE=local; a local fake or push endpoint), and carry no user name or password.
 */
export function deliveryUrlProblem(url: string, local: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL";
  }
  if (parsed.username || parsed.password) return "must not carry a user name or password";
  if (parsed.protocol === "https:") return null;
  if (parsed.protocol === "http:" && local && isLoopbackHost(parsed.hostname)) return null;
  return local ? "must be https (or http on this machine: 127.0.0.1, localhost)" : "must be https";
}

/** `kinds` without repeats, in the order of `all` (the settings' canonical form). */
export function canonicalKinds(kinds: readonly NotificationKind[], all: readonly NotificationKind[]): NotificationKind[] {
  return all.filter((kind) => kinds.includes(kind));
}

/** One line of an error for a delivery's record: at most 300 characters, no line breaks. */
export function errorLine(message: string): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
