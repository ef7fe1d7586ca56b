/**
 * RFC 8628 device authorization, the store and its rules: a device (the `sam` CLI) asks for a
 * code pair; a signed-in person approves or denies the short user code; the device polls with
 * its long device code until then and gets a new personal access token once. Device codes are
 * stored as keyed hashes (secrets.ts); user codes are 8 characters of RFC 8628's base-20
 * alphabet (no vowels, no look-alikes), shown as `XXXX-XXXX`.
 */
import { newSecret, secretDigest } from "./secrets.ts";

/** Clients that may ask for a device code (OAuth `client_id`). */
export const DEVICE_CLIENTS = ["sam-cli"] as const;
/** Lifetime of a code pair, in s (RFC 8628's `expires_in`). */
export const DEVICE_CODE_TTL_S = 600;
/** Seconds a device must wait between polls (`interval`); a faster poll is answered `slow_down` and adds SLOW_DOWN_STEP_S. */
export const DEVICE_POLL_INTERVAL_S = 5;
/** What RFC 8628 §3.5 adds to the interval on `slow_down`, in s. */
export const SLOW_DOWN_STEP_S = 5;
/** RFC 8628 §6.1's base-20 alphabet for user codes. */
const USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ";

/** A new user code: 8 uniformly random characters of the alphabet, `XXXX-XXXX`. */
export function newUserCode(): string {
  const chars: string[] = [];
  // Rejection sampling: bytes of 240 and above would favour the first letters (256 % 20 = 16).
  const limit = 256 - (256 % USER_CODE_ALPHABET.length);
  while (chars.length < 8) {
    for (const b of crypto.getRandomValues(new Uint8Array(16))) {
      if (b < limit && chars.length < 8) chars.push(USER_CODE_ALPHABET[b % USER_CODE_ALPHABET.length]);
    }
  }
  return `${chars.slice(0, 4).join("")}-${chars.slice(4).join("")}`;
}

/** A user code as a person typed it (any case, spaces or dashes), in its stored form; null if it cannot be one. */
export function normalizeUserCode(input: string): string | null {
  const letters = input.toUpperCase().replace(/[\s-]/g, "");
  if (letters.length !== 8 || [...letters].some((ch) => !USER_CODE_ALPHABET.includes(ch))) return null;
  return `${letters.slice(0, 4)}-${letters.slice(4)}`;
}

/** A code pair as the device gets it (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** Makes a code pair for `clientId`; `origin` is SAM's (the verification page is `<origin>/device`). Forgets expired pairs. */
export async function createDeviceAuthorization(env: Env, clientId: string, origin: string): Promise<DeviceAuthorization> {
  const deviceCode = newSecret("sam_dc_");
  const now = Date.now();
  await env.DB.prepare(`DELETE FROM device_codes WHERE expires_at < ?`).bind(new Date(now - DEVICE_CODE_TTL_S * 1000).toISOString()).run();
  // A user code may, rarely, be one a live pair already has: draw again (OR IGNORE, then check).
  let userCode = "";
  for (let attempt = 0; attempt < 5 && !userCode; attempt++) {
    const candidate = newUserCode();
    const inserted = await env.DB.prepare(
      `INSERT OR IGNORE INTO device_codes (device_code_hash, user_code, client_id, status, interval_s, created_at, expires_at) VALUES (?, ?, ?, 'pending', ?, ?, ?)`,
    )
      .bind(await secretDigest(env, deviceCode), candidate, clientId, DEVICE_POLL_INTERVAL_S, new Date(now).toISOString(), new Date(now + DEVICE_CODE_TTL_S * 1000).toISOString())
      .run();
    if (inserted.meta.changes > 0) userCode = candidate;
  }
  if (!userCode) throw new Error("no free user code after 5 draws");
  const uri = `${origin}/device`;
  return {
    device_code: deviceCode,
    user_code: userCode,
    verification_uri: uri,
    verification_uri_complete: `${uri}?user_code=${encodeURIComponent(userCode)}`,
    expires_in: DEVICE_CODE_TTL_S,
    interval: DEVICE_POLL_INTERVAL_S,
  };
}

/** A stored code pair. */
export interface DeviceCodeRow {
  deviceCodeHash: string;
  userCode: string;
  clientId: string;
  status: "pending" | "approved" | "denied" | "consumed";
  userId: string | null;
  intervalS: number;
  lastPollAt: number | null;
  expiresAt: string;
}

const ROW_COLUMNS = `device_code_hash AS deviceCodeHash, user_code AS userCode, client_id AS clientId, status, user_id AS userId,
  interval_s AS intervalS, last_poll_at AS lastPollAt, expires_at AS expiresAt`;

/** The pair whose user code is `userCode` (normalized), or null. */
export async function findByUserCode(env: Env, userCode: string): Promise<DeviceCodeRow | null> {
  return env.DB.prepare(`SELECT ${ROW_COLUMNS} FROM device_codes WHERE user_code = ?`).bind(userCode).first<DeviceCodeRow>();
}

/** The pair whose device code is `deviceCode`, or null. */
export async function findByDeviceCode(env: Env, deviceCode: string): Promise<DeviceCodeRow | null> {
  return env.DB.prepare(`SELECT ${ROW_COLUMNS} FROM device_codes WHERE device_code_hash = ?`).bind(await secretDigest(env, deviceCode)).first<DeviceCodeRow>();
}

/** Whether the pair has expired at `nowMs`. */
export function isExpired(row: DeviceCodeRow, nowMs = Date.now()): boolean {
  return Date.parse(row.expiresAt) <= nowMs;
}

/**
 * Approves (`userId` set) or denies a pending pair, compare-and-set on `pending`. Returns
 * whether it changed (false: it was decided already).
 */
export async function decide(env: Env, userCode: string, decision: "approved" | "denied", userId: string): Promise<boolean> {
  const result = await env.DB.prepare(`UPDATE device_codes SET status = ?, user_id = ? WHERE user_code = ? AND status = 'pending'`).bind(decision, userId, userCode).run();
  return result.meta.changes > 0;
}

/**
 * What a poll at `nowMs` says (RFC 8628 §3.5), recording the poll: `slow_down` when sooner than
 * the interval after the last (which grows by SLOW_DOWN_STEP_S), `expired_token`,
 * `authorization_pending`, `access_denied`, `invalid_grant` for a pair already used, or
 * `approved` with the approver — then the pair is consumed (compare-and-set, so a token is
 * handed out once).
 */
export async function poll(env: Env, row: DeviceCodeRow, nowMs = Date.now()): Promise<{ outcome: "approved"; userId: string } | { outcome: "slow_down" | "expired_token" | "authorization_pending" | "access_denied" | "invalid_grant" }> {
  if (row.status === "consumed") return { outcome: "invalid_grant" };
  if (isExpired(row, nowMs)) return { outcome: "expired_token" };
  if (row.status === "denied") return { outcome: "access_denied" };
  if (row.lastPollAt !== null && nowMs - row.lastPollAt < row.intervalS * 1000) {
    await env.DB.prepare(`UPDATE device_codes SET interval_s = interval_s + ?, last_poll_at = ? WHERE device_code_hash = ?`).bind(SLOW_DOWN_STEP_S, nowMs, row.deviceCodeHash).run();
    return { outcome: "slow_down" };
  }
  if (row.status === "pending") {
    await env.DB.prepare(`UPDATE device_codes SET last_poll_at = ? WHERE device_code_hash = ?`).bind(nowMs, row.deviceCodeHash).run();
    return { outcome: "authorization_pending" };
  }
  const consumed = await env.DB.prepare(`UPDATE device_codes SET status = 'consumed', last_poll_at = ? WHERE device_code_hash = ? AND status = 'approved'`)
    .bind(nowMs, row.deviceCodeHash)
    .run();
  if (consumed.meta.changes === 0 || !row.userId) return { outcome: "invalid_grant" };
  return { outcome: "approved", userId: row.userId };
}
