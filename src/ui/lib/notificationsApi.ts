/**
 * The notifications part of the HTTP API client (issue 15; routes in docs/api.md): the user's
 * notifications and marking them read, the delivery settings (push kinds, outgoing webhook), the
 * server's VAPID public key and this browser's push subscription. Same-origin requests through
 * `api.ts` (the sign-in cookie rides along); every answer is checked with zod, and a list skips
 * rows it cannot read.
 */
import { z } from "zod";
import { notificationSettingsSchema, type Notification, type NotificationSettings, type PushSubscriptionJson } from "../../shared/notification.ts";
import { parseRows, requestJson, send } from "./api.ts";
import { notificationSchema } from "../../shared/protocol.ts";
import { notificationPageSchema, unreadCountSchema } from "./notifications.ts";

const seg = encodeURIComponent;

/** One page of the user's notifications (newest first) and their unread count. */
export type NotificationPage = { notifications: Notification[]; unreadCount: number };

/**
 * `GET /api/notifications?limit=N[&unread=1]`: the newest `limit` (1..200; the server's default
 * is 50) notifications, only unread ones with `unreadOnly`, and the unread count.
 */
export async function listNotifications(options: { limit?: number; unreadOnly?: boolean; signal?: AbortSignal } = {}): Promise<NotificationPage> {
  const query = new URLSearchParams();
  if (options.limit !== undefined) query.set("limit", String(options.limit));
  if (options.unreadOnly) query.set("unread", "1");
  const body = await requestJson(`/api/notifications${query.size ? `?${query}` : ""}`, notificationPageSchema, { signal: options.signal });
  return { notifications: parseRows(body.notifications, notificationSchema, "notification"), unreadCount: body.unreadCount };
}

/** `POST /api/notifications/read {ids}` or `{all: true}`: marks them read; resolves to the unread count after. */
export async function markNotificationsRead(which: { ids: string[] } | { all: true }): Promise<number> {
  return (await requestJson("/api/notifications/read", unreadCountSchema, { method: "POST", body: which })).unreadCount;
}

/** `GET /api/me/notification-settings`: which kinds go to push and to the outgoing webhook (and its URL). */
export function getNotificationSettings(signal?: AbortSignal): Promise<NotificationSettings> {
  return requestJson("/api/me/notification-settings", notificationSettingsSchema, { signal });
}

/** `PUT /api/me/notification-settings`: stores them whole; resolves to what was stored (ApiError 400 for a bad URL or kind). */
export function putNotificationSettings(settings: NotificationSettings): Promise<NotificationSettings> {
  return requestJson("/api/me/notification-settings", notificationSettingsSchema, { method: "PUT", body: settings });
}

/** `GET /api/push/vapid-public-key`: the server's VAPID public key (base64url), or null when push is not configured. */
export async function getVapidPublicKey(signal?: AbortSignal): Promise<string | null> {
  return (await requestJson("/api/push/vapid-public-key", z.object({ publicKey: z.string().min(1).nullable() }), { signal })).publicKey;
}

const storedSubscriptionSchema = z.object({ id: z.string(), endpoint: z.string(), createdAt: z.string() });
/** A push subscription SAM holds for the user (one per browser; the keys are never given back). */
export type StoredPushSubscription = z.infer<typeof storedSubscriptionSchema>;

/** `POST /api/me/push-subscriptions` with `PushSubscription.toJSON()`: stores (or updates, same endpoint) this browser's subscription. */
export function savePushSubscription(subscription: PushSubscriptionJson): Promise<StoredPushSubscription> {
  return requestJson("/api/me/push-subscriptions", storedSubscriptionSchema, { method: "POST", body: subscription });
}

/** `GET /api/me/push-subscriptions`: the user's subscriptions, one per browser. */
export async function listPushSubscriptions(signal?: AbortSignal): Promise<StoredPushSubscription[]> {
  const body = await requestJson("/api/me/push-subscriptions", z.object({ subscriptions: z.array(z.unknown()) }), { signal });
  return parseRows(body.subscriptions, storedSubscriptionSchema, "push subscription");
}

/** `DELETE /api/me/push-subscriptions/:id` (204). */
export async function deletePushSubscription(subscriptionId: string): Promise<void> {
  await send(`/api/me/push-subscriptions/${seg(subscriptionId)}`, { method: "DELETE" });
}
