/**
 * Browser sign-in sessions: a random secret in an HttpOnly cookie (`sam_session`), stored in D1
 * only as its keyed hash (secrets.ts), valid for SIGN_IN_TTL_MS. Signing out deletes the row, so
 * the cookie is refused from the next request on.
 */
import { newId } from "../../ids.ts";
import { newSecret, secretDigest } from "./secrets.ts";
import { USER_COLUMNS, type UserRow } from "./users.ts";

/** Name of the sign-in cookie. */
export const SIGN_IN_COOKIE = "sam_session";
/** How long a sign-in lasts, ms (30 days). */
export const SIGN_IN_TTL_MS = 30 * 86_400_000;
/** How often a sign-in's `last_seen_at` is written at most, ms. */
const LAST_SEEN_WRITE_MS = 3_600_000;

/** A new sign-in: its id, its secret (for the cookie, never stored) and when it ends. */
export interface NewSignIn {
  id: string;
  secret: string;
  expiresAt: Date;
}

/**
 * Starts a sign-in for `userId`; made from personal access token `tokenId`, it ends with that
 * token (its revocation, its expiry). Forgets ended sign-ins. @throws TokenKeyUnavailableError
 * without TOKEN_HASH_KEY.
 */
export async function createSignIn(env: Env, userId: string, tokenId?: string): Promise<NewSignIn> {
  const id = newId("signIn");
  const secret = newSecret("sam_ss_");
  const now = Date.now();
  let expiresMs = now + SIGN_IN_TTL_MS;
  if (tokenId) {
    const token = await env.DB.prepare(`SELECT expires_at AS expiresAt FROM api_tokens WHERE id = ?`).bind(tokenId).first<{ expiresAt: string | null }>();
    if (token?.expiresAt) expiresMs = Math.min(expiresMs, Date.parse(token.expiresAt));
  }
  const expiresAt = new Date(expiresMs);
  await env.DB.batch([
    env.DB.prepare(`DELETE FROM sign_ins WHERE expires_at < ?`).bind(new Date(now).toISOString()),
    env.DB.prepare(`INSERT INTO sign_ins (id, user_id, secret_hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`).bind(
      id,
      userId,
      await secretDigest(env, secret),
      tokenId ?? null,
      new Date(now).toISOString(),
      expiresAt.toISOString(),
    ),
  ]);
  return { id, secret, expiresAt };
}

/** Ends the sign-ins made from personal access token `tokenId`; returns their ids (to close their sockets). */
export async function deleteSignInsOfToken(env: Env, tokenId: string): Promise<string[]> {
  const { results } = await env.DB.prepare(`DELETE FROM sign_ins WHERE token_id = ? RETURNING id`).bind(tokenId).all<{ id: string }>();
  return results.map((r) => r.id);
}

/** A sign-in row with its user, as `signInLookupStatement` reads it. */
export type SignInRow = UserRow & { signInId: string; expiresAt: string; lastSeenAt: string | null };

/** The statement that finds the live sign-in whose secret has `digest`, with its user (for a D1 batch). */
export function signInLookupStatement(env: Env, digest: string, nowMs = Date.now()): D1PreparedStatement {
  return env.DB.prepare(
    `SELECT s.id AS signInId, s.expires_at AS expiresAt, s.last_seen_at AS lastSeenAt, ${USER_COLUMNS}
     FROM sign_ins s JOIN users u ON u.id = s.user_id WHERE s.secret_hash = ? AND s.expires_at > ?`,
  ).bind(digest, new Date(nowMs).toISOString());
}

/** Records that a sign-in was used (at most every LAST_SEEN_WRITE_MS). */
export async function touchSignIn(env: Env, row: SignInRow, nowMs = Date.now()): Promise<void> {
  if (row.lastSeenAt && nowMs - Date.parse(row.lastSeenAt) < LAST_SEEN_WRITE_MS) return;
  await env.DB.prepare(`UPDATE sign_ins SET last_seen_at = ? WHERE id = ?`).bind(new Date(nowMs).toISOString(), row.signInId).run();
}

/** Ends the sign-in `signInId`. Returns whether it existed. */
export async function deleteSignIn(env: Env, signInId: string): Promise<boolean> {
  const result = await env.DB.prepare(`DELETE FROM sign_ins WHERE id = ?`).bind(signInId).run();
  return result.meta.changes > 0;
}
