/**
 * Delivering a user's notifications beyond the page, on the user actor's alarms: browser push
 * (Web Push with VAPID, encrypted per subscription (RFC 8291 aes128gcm) by `@block65/webcrypto-web-push`, Web Crypto only) and
 * the outgoing webhook (Slack-compatible `{text}`). Each delivery is a row of `deliveries`
 * (schema.ts): tried at once, retried after DELIVERY_RETRY_DELAYS_SECONDS when it fails in a way
 * that may pass (delivery-rules.ts `attemptVerdict`), then dropped with its last error. An
 * attempt is claimed before it runs (attempts + 1, the next attempt's time set, compare-and-set
 * on the attempt count), so an attempt cut short by a crash is retried at that time and an alarm
 * delivered twice sends nothing twice. Each attempt ends within DELIVERY_TIMEOUT_MS.
 *
 * Secrets: the VAPID private key is read from the environment for each message and never logged
 * or stored; errors recorded are the endpoint's status or the error's message, never a key.
 */
import { buildPushPayload } from "@block65/webcrypto-web-push";
import type { Notification } from "../../shared/notification.ts";
import {
  attemptVerdict,
  DELIVERY_TIMEOUT_MS,
  errorLine,
  MAX_DELIVERY_ATTEMPTS,
  MAX_STORED_DELIVERIES,
  nextAttemptAt,
  PUSH_TTL_SECONDS,
  pushPayload,
  webhookBody,
  type AttemptVerdict,
  type DeliveryChannel,
} from "./delivery-rules.ts";
import type { NotificationStore, StoredPushSubscription } from "./notification-store.ts";

/** The server's VAPID identity (RFC 8292): the key pair push messages are signed with, and who to contact. */
export interface VapidConfig {
  /** The public key, base64url of the uncompressed P-256 point (what browsers subscribe with). */
  publicKey: string;
  /** The private key as a JWK (EC P-256 with `d`). */
  privateJwk: JsonWebKey;
  /** `mailto:` or `https:` contact for the push services. */
  subject: string;
}

/**
 * The VAPID configuration from `VAPID_PUBLIC_KEY`, `VAPID_PRIVATE_KEY` (a JWK as JSON) and
 * `VAPID_SUBJECT`; null (push off) when one is missing or the private key is not a P-256 JWK.
 * The key is never put in the log line.
 */
export function vapidConfig(env: Pick<Env, "VAPID_PUBLIC_KEY" | "VAPID_PRIVATE_KEY" | "VAPID_SUBJECT">): VapidConfig | null {
  if (!env.VAPID_PUBLIC_KEY || !env.VAPID_PRIVATE_KEY || !env.VAPID_SUBJECT) return null;
  let jwk: JsonWebKey;
  try {
    jwk = JSON.parse(env.VAPID_PRIVATE_KEY) as JsonWebKey;
  } catch {
    console.error("VAPID_PRIVATE_KEY is not JSON (a JWK is expected); push is off");
    return null;
  }
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d || !jwk.x || !jwk.y) {
    console.error("VAPID_PRIVATE_KEY is not an EC P-256 private JWK; push is off");
    return null;
  }
  return { publicKey: env.VAPID_PUBLIC_KEY, privateJwk: jwk, subject: env.VAPID_SUBJECT };
}

/** A delivery as recorded (`UserAgent.listDeliveries`): what was sent where, how often, and how it ended. */
export interface DeliveryRecord {
  notificationId: string;
  channel: DeliveryChannel;
  /** `webhook`, or the push subscription's id. */
  target: string;
  /** Attempts made so far. */
  attempts: number;
  status: "pending" | "sent" | "dropped";
  lastError: string | null;
  /** When the next attempt is due (ISO 8601), while pending. */
  nextAt: string | null;
  createdAt: string;
  updatedAt: string;
}

type DeliveryRow = {
  seq: number;
  notification_id: string;
  channel: DeliveryChannel;
  target: string;
  attempts: number;
  status: DeliveryRecord["status"];
  last_error: string | null;
  next_at: number;
  created_at: string;
  updated_at: string;
};

/** What delivery needs from its actor. */
export interface DeliveryHost {
  sql: SqlStorage;
  env: Env;
  store: NotificationStore;
  /** Retry delays in s (DELIVERY_RETRY_DELAYS_SECONDS unless configured). */
  retryDelaysSeconds: readonly number[];
  /** Makes sure an alarm runs `runDue` at `atMs` (epoch ms). */
  scheduleAt(atMs: number): Promise<void>;
}

/** Most deliveries one run attempts at once; the rest wait for the next run (scheduled right after). */
const MAX_ATTEMPTS_PER_RUN = 50;

/** The deliveries of one user's actor. */
export class NotificationDelivery {
  private readonly host: DeliveryHost;

  constructor(host: DeliveryHost) {
    this.host = host;
  }

  /**
   * Queues `notification` for `channels`: one delivery per push subscription in
   * `subscriptions`, one for the webhook; each due at `nowMs`. Returns how many were queued.
   */
  enqueue(notification: Notification, channels: readonly DeliveryChannel[], subscriptions: readonly StoredPushSubscription[], nowMs: number): number {
    const at = new Date(nowMs).toISOString();
    const targets: [DeliveryChannel, string][] = [];
    if (channels.includes("push")) for (const s of subscriptions) targets.push(["push", s.id]);
    if (channels.includes("webhook")) targets.push(["webhook", "webhook"]);
    for (const [channel, target] of targets) {
      this.host.sql.exec(
        `INSERT OR IGNORE INTO deliveries (notification_id, channel, target, attempts, status, next_at, created_at, updated_at) VALUES (?, ?, ?, 0, 'pending', ?, ?, ?)`,
        notification.id,
        channel,
        target,
        nowMs,
        at,
        at,
      );
    }
    return targets.length;
  }

  /** When the earliest pending delivery is due (epoch ms), or null when none is pending. */
  nextDueAt(): number | null {
    return this.host.sql.exec<{ at: number | null }>(`SELECT MIN(next_at) AS at FROM deliveries WHERE status = 'pending'`).one().at;
  }

  /** The newest `limit` deliveries, newest first. */
  records(limit: number): DeliveryRecord[] {
    return this.host.sql
      .exec<DeliveryRow>(`SELECT * FROM deliveries ORDER BY seq DESC LIMIT ?`, limit)
      .toArray()
      .map((r) => ({
        notificationId: r.notification_id,
        channel: r.channel,
        target: r.target,
        attempts: r.attempts,
        status: r.status,
        lastError: r.last_error,
        nextAt: r.status === "pending" ? new Date(r.next_at).toISOString() : null,
        createdAt: r.created_at,
        updatedAt: r.updated_at,
      }));
  }

  /**
   * Attempts every delivery due at `nowMs` (at most MAX_ATTEMPTS_PER_RUN, all at once): claims
   * each (see the header), makes sure an alarm is set for the earliest next attempt, then sends
   * and records each outcome. Never throws for a delivery's failure.
   */
  async runDue(nowMs: number): Promise<void> {
    const { sql } = this.host;
    const due = sql.exec<DeliveryRow>(`SELECT * FROM deliveries WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, seq LIMIT ?`, nowMs, MAX_ATTEMPTS_PER_RUN).toArray();
    const claimed = due.flatMap((row) => this.claim(row, nowMs) ?? []);
    const next = this.nextDueAt();
    if (next !== null) await this.host.scheduleAt(next);
    await Promise.all(claimed.map((row) => this.attempt(row)));
    this.prune();
  }

  /**
   * Claims `row` for an attempt at `nowMs`: attempts + 1 and the next attempt's time (compare-and-set
   * on the attempt count). A row out of attempts (its last attempt was cut short) is dropped
   * instead. Returns the claimed row, or null.
   */
  private claim(row: DeliveryRow, nowMs: number): DeliveryRow | null {
    const at = new Date(nowMs).toISOString();
    if (row.attempts >= MAX_DELIVERY_ATTEMPTS) {
      this.host.sql.exec(
        `UPDATE deliveries SET status = 'dropped', last_error = ?, updated_at = ? WHERE seq = ? AND status = 'pending'`,
        errorLine(`${row.last_error ?? "no answer"} (the last attempt was interrupted)`),
        at,
        row.seq,
      );
      return null;
    }
    const attempts = row.attempts + 1;
    // Out of retries: the row is looked at again after one timeout, in case this attempt is cut short.
    const nextAt = nextAttemptAt(attempts, nowMs, this.host.retryDelaysSeconds) ?? nowMs + 2 * DELIVERY_TIMEOUT_MS;
    const claimed = this.host.sql.exec(
      `UPDATE deliveries SET attempts = ?, next_at = ?, updated_at = ? WHERE seq = ? AND status = 'pending' AND attempts = ? RETURNING seq`,
      attempts,
      nextAt,
      at,
      row.seq,
      row.attempts,
    ).toArray();
    return claimed.length > 0 ? { ...row, attempts, next_at: nextAt } : null;
  }

  /** Makes one claimed attempt and records its outcome. */
  private async attempt(row: DeliveryRow): Promise<void> {
    let outcome: { verdict: AttemptVerdict; error: string | null };
    try {
      outcome = await this.send(row);
    } catch (error) {
      outcome = { verdict: "drop", error: error instanceof Error ? error.message : String(error) };
    }
    this.record(row, outcome.verdict, outcome.error);
  }

  /** Sends one delivery: the verdict, and the error in words when it was not sent. */
  private async send(row: DeliveryRow): Promise<{ verdict: AttemptVerdict; error: string | null }> {
    const notification = this.host.store.get(row.notification_id);
    if (!notification) return { verdict: "drop", error: "the notification is no longer stored" };
    if (row.channel === "webhook") {
      const { url } = this.host.store.settings().webhook;
      if (!url) return { verdict: "drop", error: "the webhook was turned off" };
      const origin = this.host.store.linkOrigin() ?? "http://localhost";
      return post(
        "webhook",
        url,
        { "content-type": "application/json" },
        JSON.stringify(webhookBody(notification, origin)),
      );
    }
    const subscription = this.host.store.subscription(row.target);
    if (!subscription) return { verdict: "drop", error: "the push subscription was removed" };
    const vapid = vapidConfig(this.host.env);
    if (!vapid) return { verdict: "drop", error: "push is not configured on this server" };
    const request = await pushRequest(vapid, subscription, notification);
    const result = await post("push", subscription.endpoint, request.headers, request.body);
    if (result.verdict === "gone") this.host.store.deleteSubscription(subscription.id);
    return result;
  }

  /** Records an attempt's outcome on its claimed row. */
  private record(row: DeliveryRow, verdict: AttemptVerdict, error: string | null): void {
    const { sql } = this.host;
    const at = new Date().toISOString();
    const lastError = error === null ? null : errorLine(error);
    if (verdict === "sent") {
      sql.exec(`UPDATE deliveries SET status = 'sent', last_error = NULL, updated_at = ? WHERE seq = ? AND attempts = ?`, at, row.seq, row.attempts);
    } else if (verdict === "retry" && row.attempts < MAX_DELIVERY_ATTEMPTS) {
      sql.exec(`UPDATE deliveries SET last_error = ?, updated_at = ? WHERE seq = ? AND attempts = ?`, lastError, at, row.seq, row.attempts);
    } else {
      const why = verdict === "retry" ? `${lastError} (gave up after ${row.attempts} attempts)` : lastError;
      sql.exec(`UPDATE deliveries SET status = 'dropped', last_error = ?, updated_at = ? WHERE seq = ? AND attempts = ?`, why, at, row.seq, row.attempts);
    }
  }

  /** Keeps the newest MAX_STORED_DELIVERIES finished deliveries. */
  private prune(): void {
    this.host.sql.exec(
      `DELETE FROM deliveries WHERE seq IN (SELECT seq FROM deliveries WHERE status <> 'pending' ORDER BY seq DESC LIMIT -1 OFFSET ?)`,
      MAX_STORED_DELIVERIES,
    );
  }
}

/**
 * The encrypted push request for `subscription`: RFC 8291's `aes128gcm` content encoding (what
 * every current push service accepts, Apple's included), signed with VAPID (RFC 8292), made by
 * `@block65/webcrypto-web-push` with Web Crypto. The library accepts only `https:` endpoints; a
 * loopback `http:` endpoint (local mode only: a local push endpoint standing in for a browser
 * vendor's) is built as its `https:` twin, so the token's audience names that twin.
 */
async function pushRequest(vapid: VapidConfig, subscription: StoredPushSubscription, notification: Notification): Promise<{ headers: Headers; body: ArrayBuffer }> {
  const endpoint = subscription.endpoint.startsWith("http:") ? `https:${subscription.endpoint.slice("http:".length)}` : subscription.endpoint;
  const request = await buildPushPayload(
    { data: { ...pushPayload(notification) }, options: { ttl: PUSH_TTL_SECONDS, urgency: "normal" } },
    { endpoint, expirationTime: null, keys: subscription.keys },
    { subject: vapid.subject, publicKey: vapid.publicKey, privateKey: vapid.privateJwk.d ?? "" },
  );
  const body = request.body;
  return { headers: new Headers(request.headers), body: body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer };
}

/**
 * POSTs `body` to `url` within DELIVERY_TIMEOUT_MS, without following redirects; the verdict
 * on the answer (`attemptVerdict`) and, unless sent, the error in words (the status, or why no
 * answer came).
 */
async function post(channel: DeliveryChannel, url: string, headers: HeadersInit, body: BodyInit): Promise<{ verdict: AttemptVerdict; error: string | null }> {
  let status: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    status = response.status;
    if (status < 200 || status >= 300) error = `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}`;
    await response.body?.cancel();
  } catch (thrown) {
    const timedOut = thrown instanceof Error && (thrown.name === "TimeoutError" || thrown.name === "AbortError");
    error = timedOut ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : `request failed: ${thrown instanceof Error ? thrown.message : String(thrown)}`;
  }
  return { verdict: attemptVerdict(channel, status), error };
}
