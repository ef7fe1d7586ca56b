/**
 * Notifications (issue 15; docs/notifications.md): the caller's own notifications (list, unread
 * count, mark read), where they go beyond the page (push kinds, outgoing webhook), the server's
 * VAPID public key, and the caller's browsers' push subscriptions. Every route acts on the
 * signed-in person's (or PAT's) own user actor only: there is no user id in any path. The user's
 * live socket is `/agents/user-agent/<userId>` (src/worker.ts).
 */
import { Hono } from "hono";
import { z } from "zod";
import { idSchema } from "../../ids.ts";
import { deliveryUrlProblem } from "../../actors/user/delivery-rules.ts";
import { vapidConfig } from "../../actors/user/notification-delivery.ts";
import { userAgentStub } from "../../models/user-actor.ts";
import { notificationSettingsSchema, pushSubscriptionSchema } from "../../shared/notification.ts";
import { requireUser, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody, parseValue } from "../http.ts";

/** Most notifications one `GET /api/notifications` returns (`limit`), and the default. */
export const MAX_NOTIFICATION_PAGE = 200;
export const DEFAULT_NOTIFICATION_PAGE = 50;

/** `GET /api/notifications` query: `unread=1` (only unread ones; `0` or absent: all), `limit` 1…200 (default 50). */
export const notificationListQuerySchema = z.object({
  unread: z.enum(["0", "1", "true", "false"]).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_NOTIFICATION_PAGE).optional(),
});

/** `POST /api/notifications/read`: the ids to mark read (1…1000 `ntf_` ids), or `{all: true}`. */
export const markReadSchema = z.union([
  z.object({ ids: z.array(idSchema("notification")).min(1).max(1000) }).strict(),
  z.object({ all: z.literal(true) }).strict(),
]);

/** Routes under /api/notifications, /api/me/notification-settings, /api/me/push-subscriptions and /api/push. */
export const notificationRoutes = new Hono<AuthedEnv>();

notificationRoutes.get("/api/notifications", requireUser, async (c) => {
  const query = parseValue(c, notificationListQuerySchema, c.req.query());
  if (!query.ok) return query.response;
  const unreadOnly = query.value.unread === "1" || query.value.unread === "true";
  const stub = await userAgentStub(c.env, c.get("user").id);
  return c.json(await stub.listNotifications(unreadOnly, query.value.limit ?? DEFAULT_NOTIFICATION_PAGE));
});

notificationRoutes.post("/api/notifications/read", requireUser, async (c) => {
  const body = await parseJsonBody(c, markReadSchema);
  if (!body.ok) return body.response;
  const stub = await userAgentStub(c.env, c.get("user").id);
  return c.json(await stub.markNotificationsRead("all" in body.value ? "all" : body.value.ids));
});

notificationRoutes.get("/api/me/notification-settings", requireUser, async (c) => {
  return c.json(await (await userAgentStub(c.env, c.get("user").id)).getNotificationSettings());
});

notificationRoutes.put("/api/me/notification-settings", requireUser, async (c) => {
  const body = await parseJsonBody(c, notificationSettingsSchema.strict());
  if (!body.ok) return body.response;
  const url = body.value.webhook.url;
  const problem = url === null ? null : deliveryUrlProblem(url, c.env.SAM_MODE === "local");
  if (problem) return apiError(c, 400, "invalid_input", `webhook.url ${problem}`);
  const stub = await userAgentStub(c.env, c.get("user").id);
  return c.json(await stub.setNotificationSettings(body.value, new URL(c.req.url).origin));
});

notificationRoutes.get("/api/push/vapid-public-key", requireUser, (c) => c.json({ publicKey: vapidConfig(c.env)?.publicKey ?? null }));

notificationRoutes.post("/api/me/push-subscriptions", requireUser, async (c) => {
  const body = await parseJsonBody(c, pushSubscriptionSchema);
  if (!body.ok) return body.response;
  const problem = deliveryUrlProblem(body.value.endpoint, c.env.SAM_MODE === "local");
  if (problem) return apiError(c, 400, "invalid_input", `endpoint ${problem}`);
  const added = await (await userAgentStub(c.env, c.get("user").id)).addPushSubscription(body.value);
  return c.json(added.subscription, added.created ? 201 : 200);
});

notificationRoutes.get("/api/me/push-subscriptions", requireUser, async (c) => {
  return c.json({ subscriptions: await (await userAgentStub(c.env, c.get("user").id)).listPushSubscriptions() });
});

notificationRoutes.delete("/api/me/push-subscriptions/:subscriptionId", requireUser, async (c) => {
  const id = parseValue(c, idSchema("pushSubscription"), c.req.param("subscriptionId"));
  if (!id.ok) return id.response;
  if (!(await (await userAgentStub(c.env, c.get("user").id)).deletePushSubscription(id.value))) return apiError(c, 404, "not_found", "no such push subscription");
  return c.body(null, 204);
});
