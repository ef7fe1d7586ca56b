/**
 * Notifications: what a person hears about (a leaf module shared by the actors that raise them,
 * the user's actor that stores and delivers them, the API and the UI).
 *
 * A notification is raised for one user with `UserAgent.notify(NewNotification)`; the user's
 * actor stores it, sends it to that user's open sockets (`notification` frames) and delivers it
 * beyond the page (browser push, outgoing webhook) by the user's settings.
 */
import { z } from "zod";

/**
 * What happened, from the user's side:
 *  - `task.succeeded`, `task.failed`: a task they started ended (cancelled tasks are not news);
 *  - `task.waiting`: a task they started asks a question (`ask_human`) and waits for an answer;
 *  - `mission.ended`: a mission they started ended (succeeded, failed or cancelled);
 *  - `chat.mention`: someone wrote `@their-name` in a project chat;
 *  - `trigger.failed`: a trigger they created fired and its start was refused or failed.
 */
export const notificationKindSchema = z.enum(["task.succeeded", "task.failed", "task.waiting", "mission.ended", "chat.mention", "trigger.failed"]);
export type NotificationKind = z.infer<typeof notificationKindSchema>;

/** Every kind, in a stable order (settings default to all of them). */
export const NOTIFICATION_KINDS: readonly NotificationKind[] = notificationKindSchema.options;

/** What a producer hands to `UserAgent.notify`. */
export const newNotificationSchema = z.object({
  kind: notificationKindSchema,
  /** One line, plain text (at most 200 characters), e.g. `Task "fix the build" succeeded`. */
  title: z.string().min(1).max(200),
  /** A few lines, plain text or Markdown (at most 2000 characters); may be empty. */
  body: z.string().max(2000),
  /** Where the UI opens it: a same-origin path such as `/tasks/task_...` or `/projects/prj_.../sessions/ses_...`. */
  link: z.string().startsWith("/").max(500),
  /** The project it is about, or null. */
  projectId: z.string().nullable(),
  /** The task, mission, chat message or trigger run it is about, or null. */
  subjectId: z.string().nullable(),
  /**
   * Raising the same `dedupeKey` twice stores one notification (producers retried after a crash
   * pass e.g. `task.succeeded:task_...`); null: never deduplicated.
   */
  dedupeKey: z.string().max(300).nullable(),
});
export type NewNotification = z.infer<typeof newNotificationSchema>;

/** A stored notification, as the API and the socket show it. */
export interface Notification extends Omit<NewNotification, "dedupeKey"> {
  /** `ntf_...` */
  id: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601, or null while unread. */
  readAt: string | null;
}

/**
 * Where a user's notifications go beyond the page (`GET`/`PUT /api/me/notification-settings`),
 * each channel with the kinds it wants (an empty list: none). The page itself (the per-user
 * socket, `GET /api/notifications`) always has every kind.
 */
export const notificationSettingsSchema = z.object({
  /** Browser push to every subscribed browser of the user (`POST /api/me/push-subscriptions`). */
  push: z.object({ kinds: z.array(notificationKindSchema) }),
  /** An outgoing webhook: Slack-compatible JSON `{text}` POSTed to `url` (null: off). */
  webhook: z.object({ url: z.string().url().max(500).nullable(), kinds: z.array(notificationKindSchema) }),
});
export type NotificationSettings = z.infer<typeof notificationSettingsSchema>;

/** A browser's push subscription as `PushSubscription.toJSON()` gives it (the Push API). */
export const pushSubscriptionSchema = z.object({
  endpoint: z.string().url().max(2000),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) }),
});
export type PushSubscriptionJson = z.infer<typeof pushSubscriptionSchema>;
