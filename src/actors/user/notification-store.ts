/**
 * A user's notifications, their delivery settings and their browsers' push subscriptions, in the
 * user actor's SQLite (tables in schema.ts): store one (deduplicated by its `dedupeKey`, at most
 * MAX_STORED_NOTIFICATIONS kept), list them newest first, count and mark the unread; read and
 * save the settings; add, list and remove push subscriptions. A stored row that no longer parses
 * is skipped and logged (docs/architecture.md §5).
 */
import { newId } from "../../ids.ts";
import {
  NOTIFICATION_KINDS,
  notificationKindSchema,
  notificationSettingsSchema,
  type NewNotification,
  type Notification,
  type NotificationKind,
  type NotificationSettings,
  type PushSubscriptionJson,
} from "../../shared/notification.ts";
import { canonicalKinds, MAX_STORED_NOTIFICATIONS } from "./delivery-rules.ts";

type NotificationRow = {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string;
  project_id: string | null;
  subject_id: string | null;
  created_at: string;
  read_at: string | null;
};

type SettingsRow = { push_kinds: string | null; webhook_url: string | null; webhook_kinds: string | null };

type SubscriptionRow = { id: string; endpoint: string; p256dh: string; auth: string; created_at: string };

/** A push subscription as the API lists it (never its keys). */
export interface PushSubscriptionInfo {
  /** `psub_...` */
  id: string;
  endpoint: string;
  /** ISO 8601. */
  createdAt: string;
}

/** A push subscription with the keys a push message is encrypted for (RFC 8291). */
export interface StoredPushSubscription extends PushSubscriptionInfo {
  keys: { p256dh: string; auth: string };
}

const COLUMNS = `id, kind, title, body, link, project_id, subject_id, created_at, read_at`;

/** A row as a notification; null (logged) for a row whose kind is no longer known. */
function toNotification(row: NotificationRow): Notification | null {
  const kind = notificationKindSchema.safeParse(row.kind);
  if (!kind.success) {
    console.error(`notification ${row.id}: unknown kind ${row.kind}; skipped`);
    return null;
  }
  return { id: row.id, kind: kind.data, title: row.title, body: row.body, link: row.link, projectId: row.project_id, subjectId: row.subject_id, createdAt: row.created_at, readAt: row.read_at };
}

/** Parses a stored JSON list of kinds; null (the default: every kind) when unset or unreadable. */
function kindsOf(stored: string | null): NotificationKind[] | null {
  if (stored === null) return null;
  try {
    const parsed = notificationKindSchema.array().safeParse(JSON.parse(stored));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The notification tables of one user's actor. */
export class NotificationStore {
  private readonly sql: SqlStorage;

  /** `sql`: the actor's storage (the tables exist; see schema.ts). */
  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  // ---------- notifications ----------

  /**
   * Stores `input` as a new notification made at `now`, unread; returns it, or null when its
   * `dedupeKey` was stored before. Keeps the newest MAX_STORED_NOTIFICATIONS (older ones are deleted).
   */
  insert(input: NewNotification, now = new Date()): Notification | null {
    if (input.dedupeKey !== null && this.sql.exec(`SELECT 1 FROM notifications WHERE dedupe_key = ?`, input.dedupeKey).toArray().length > 0) return null;
    const id = newId("notification");
    const createdAt = now.toISOString();
    this.sql.exec(
      `INSERT INTO notifications (id, kind, title, body, link, project_id, subject_id, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      id,
      input.kind,
      input.title,
      input.body,
      input.link,
      input.projectId,
      input.subjectId,
      input.dedupeKey,
      createdAt,
    );
    this.sql.exec(`DELETE FROM notifications WHERE seq IN (SELECT seq FROM notifications ORDER BY seq DESC LIMIT -1 OFFSET ?)`, MAX_STORED_NOTIFICATIONS);
    const { dedupeKey: _key, ...fields } = input;
    return { ...fields, id, createdAt, readAt: null };
  }

  /** One notification by id, or null. */
  get(id: string): Notification | null {
    const row = this.sql.exec<NotificationRow>(`SELECT ${COLUMNS} FROM notifications WHERE id = ?`, id).toArray()[0];
    return row ? toNotification(row) : null;
  }

  /** The newest `limit` notifications (only the unread when `unreadOnly`), newest first. */
  list(unreadOnly: boolean, limit: number): Notification[] {
    const where = unreadOnly ? `WHERE read_at IS NULL` : ``;
    return this.sql
      .exec<NotificationRow>(`SELECT ${COLUMNS} FROM notifications ${where} ORDER BY seq DESC LIMIT ?`, limit)
      .toArray()
      .flatMap((row) => toNotification(row) ?? []);
  }

  /** How many notifications are unread. */
  unreadCount(): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM notifications WHERE read_at IS NULL`).one().n;
  }

  /** Marks `ids` (unknown ones ignored), or every notification (`"all"`), read at `now`; returns how many were unread before and are read now. */
  markRead(ids: readonly string[] | "all", now = new Date()): number {
    const at = now.toISOString();
    const before = this.unreadCount();
    if (ids === "all") this.sql.exec(`UPDATE notifications SET read_at = ? WHERE read_at IS NULL`, at);
    else for (const id of new Set(ids)) this.sql.exec(`UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL`, at, id);
    return before - this.unreadCount();
  }

  // ---------- settings ----------

  /** The delivery settings; by default push wants every kind and the webhook is off (every kind once a URL is set). */
  settings(): NotificationSettings {
    const row = this.sql.exec<SettingsRow>(`SELECT push_kinds, webhook_url, webhook_kinds FROM notification_settings WHERE id = 1`).toArray()[0];
    return {
      push: { kinds: kindsOf(row?.push_kinds ?? null) ?? [...NOTIFICATION_KINDS] },
      webhook: { url: row?.webhook_url ?? null, kinds: kindsOf(row?.webhook_kinds ?? null) ?? [...NOTIFICATION_KINDS] },
    };
  }

  /** The origin the webhook's absolute links start with (SAM's, as the settings were last saved through), or null. */
  linkOrigin(): string | null {
    return this.sql.exec<{ link_origin: string | null }>(`SELECT link_origin FROM notification_settings WHERE id = 1`).toArray()[0]?.link_origin ?? null;
  }

  /**
   * Saves `settings` (each kind list without repeats, in the kinds' order) and `origin` (SAM's
   * origin, e.g. `https://sam.example.com`: the webhook's links start with it); returns the settings as stored.
   * @throws ZodError when `settings` is not NotificationSettings (the URL's rule is the caller's).
   */
  setSettings(settings: NotificationSettings, origin: string): NotificationSettings {
    const parsed = notificationSettingsSchema.parse(settings);
    const push = canonicalKinds(parsed.push.kinds, NOTIFICATION_KINDS);
    const webhook = canonicalKinds(parsed.webhook.kinds, NOTIFICATION_KINDS);
    this.sql.exec(
      `UPDATE notification_settings SET push_kinds = ?, webhook_url = ?, webhook_kinds = ?, link_origin = ? WHERE id = 1`,
      JSON.stringify(push),
      parsed.webhook.url,
      JSON.stringify(webhook),
      origin,
    );
    return this.settings();
  }

  // ---------- push subscriptions ----------

  /**
   * Stores a browser's subscription; the same endpoint again updates its keys. Returns it and
   * whether it is new. The keys are the browser's public key and auth secret (what a push
   * message is encrypted for), stored as given.
   */
  addSubscription(subscription: PushSubscriptionJson, now = new Date()): { subscription: PushSubscriptionInfo; created: boolean } {
    const at = now.toISOString();
    const existing = this.sql.exec<SubscriptionRow>(`SELECT id, endpoint, p256dh, auth, created_at FROM push_subscriptions WHERE endpoint = ?`, subscription.endpoint).toArray()[0];
    if (existing) {
      this.sql.exec(
        `UPDATE push_subscriptions SET p256dh = ?, auth = ?, expiration_time = ?, updated_at = ? WHERE id = ?`,
        subscription.keys.p256dh,
        subscription.keys.auth,
        subscription.expirationTime ?? null,
        at,
        existing.id,
      );
      return { subscription: { id: existing.id, endpoint: existing.endpoint, createdAt: existing.created_at }, created: false };
    }
    const id = newId("pushSubscription");
    this.sql.exec(
      `INSERT INTO push_subscriptions (id, endpoint, p256dh, auth, expiration_time, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      id,
      subscription.endpoint,
      subscription.keys.p256dh,
      subscription.keys.auth,
      subscription.expirationTime ?? null,
      at,
      at,
    );
    return { subscription: { id, endpoint: subscription.endpoint, createdAt: at }, created: true };
  }

  /** The user's subscriptions with their keys, oldest first. */
  subscriptions(): StoredPushSubscription[] {
    return this.sql
      .exec<SubscriptionRow>(`SELECT id, endpoint, p256dh, auth, created_at FROM push_subscriptions ORDER BY created_at, id`)
      .toArray()
      .map((r) => ({ id: r.id, endpoint: r.endpoint, createdAt: r.created_at, keys: { p256dh: r.p256dh, auth: r.auth } }));
  }

  /** One subscription with its keys, or null. */
  subscription(id: string): StoredPushSubscription | null {
    return this.subscriptions().find((s) => s.id === id) ?? null;
  }

  /** Removes a subscription; returns whether it existed. */
  deleteSubscription(id: string): boolean {
    return this.sql.exec(`DELETE FROM push_subscriptions WHERE id = ? RETURNING id`, id).toArray().length > 0;
  }
}
