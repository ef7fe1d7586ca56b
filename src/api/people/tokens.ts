/**
 * Personal access tokens in D1: made (`sam_pat_` + 256 random bits, shown once), listed (never
 * the secret), deleted, and looked up by their keyed hash (secrets.ts). A token may expire; a
 * deleted token is refused from the next request on (nothing caches a token across requests).
 */
import { newId } from "../../ids.ts";
import { legacySha256Hex, newSecret, PAT_PREFIX, secretDigest } from "./secrets.ts";
import { USER_COLUMNS, toAccount, type UserAccount, type UserRow } from "./users.ts";

/** A token as `GET /api/tokens` lists it. Times ISO 8601; `expiresAt` null: never. */
export interface TokenInfo {
  id: string;
  name: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** A token just made: its info and, this once, the secret itself. */
export interface NewToken extends TokenInfo {
  token: string;
}

/** How often a token's `lastUsedAt` is written at most, ms (each write is a D1 statement on the request path). */
export const LAST_USED_WRITE_MS = 60_000;

/**
 * Makes a personal access token for `userId` named `name`, expiring after `expiresInDays` days
 * (absent: never). Returns it with its secret (shown only here).
 * @throws TokenKeyUnavailableError when TOKEN_HASH_KEY is not set.
 */
export async function createPersonalToken(env: Env, userId: string, name: string, expiresInDays?: number): Promise<NewToken> {
  const token = newSecret(PAT_PREFIX);
  const id = newId("token");
  const createdAt = new Date().toISOString();
  const expiresAt = expiresInDays === undefined ? null : new Date(Date.now() + expiresInDays * 86_400_000).toISOString();
  await env.DB.prepare(`INSERT INTO api_tokens (id, user_id, token_hash, hash_kind, name, created_at, expires_at) VALUES (?, ?, ?, 'hmac', ?, ?, ?)`)
    .bind(id, userId, await secretDigest(env, token), name, createdAt, expiresAt)
    .run();
  return { id, name, token, createdAt, expiresAt, lastUsedAt: null };
}

/** `userId`'s tokens, newest first (no secret, no hash). */
export async function listPersonalTokens(env: Env, userId: string): Promise<TokenInfo[]> {
  const { results } = await env.DB.prepare(
    `SELECT id, name, created_at AS createdAt, expires_at AS expiresAt, last_used_at AS lastUsedAt FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC`,
  )
    .bind(userId)
    .all<TokenInfo>();
  return results;
}

/** Deletes `userId`'s token `tokenId`. Returns whether it existed (another user's token does not). */
export async function deletePersonalToken(env: Env, userId: string, tokenId: string): Promise<boolean> {
  const result = await env.DB.prepare(`DELETE FROM api_tokens WHERE id = ? AND user_id = ?`).bind(tokenId, userId).run();
  return result.meta.changes > 0;
}

/** A token found by its secret: whose it is, and whether it has expired. */
export interface FoundToken {
  tokenId: string;
  user: UserAccount;
  expired: boolean;
  /** When the token expires (ISO 8601), or null: never. */
  expiresAt: string | null;
}

/** The D1 row of a token with its user. */
type TokenRow = UserRow & { tokenId: string; tokenHash: string; hashKind: string; expiresAt: string | null; lastUsedAt: string | null };

/**
 * The statement that finds the token whose secret has `digest` (or, for a token stored before
 * keyed hashes, `legacy`) with its user; for a D1 batch with the throttle's read.
 */
export function tokenLookupStatement(env: Env, digest: string, legacy: string): D1PreparedStatement {
  return env.DB.prepare(
    `SELECT t.id AS tokenId, t.token_hash AS tokenHash, t.hash_kind AS hashKind, t.expires_at AS expiresAt, t.last_used_at AS lastUsedAt, ${USER_COLUMNS}
     FROM api_tokens t JOIN users u ON u.id = t.user_id
     WHERE (t.token_hash = ? AND t.hash_kind = 'hmac') OR (t.token_hash = ? AND t.hash_kind = 'sha256')`,
  ).bind(digest, legacy);
}

/** The two stored forms a token may have: its keyed hash, and the plain SHA-256 of older rows. */
export async function tokenDigests(env: Env, token: string): Promise<{ digest: string; legacy: string }> {
  const [digest, legacy] = await Promise.all([secretDigest(env, token), legacySha256Hex(token)]);
  return { digest, legacy };
}

/**
 * Reads a row of `tokenLookupStatement` into a found token; rewrites a legacy row to its keyed
 * hash and writes `lastUsedAt` (at most every LAST_USED_WRITE_MS).
 */
export async function foundToken(env: Env, row: TokenRow, digest: string, nowMs = Date.now()): Promise<FoundToken> {
  const writes: D1PreparedStatement[] = [];
  if (row.hashKind === "sha256") writes.push(env.DB.prepare(`UPDATE api_tokens SET token_hash = ?, hash_kind = 'hmac' WHERE id = ?`).bind(digest, row.tokenId));
  if (!row.lastUsedAt || nowMs - Date.parse(row.lastUsedAt) >= LAST_USED_WRITE_MS) {
    writes.push(env.DB.prepare(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`).bind(new Date(nowMs).toISOString(), row.tokenId));
  }
  if (writes.length) await env.DB.batch(writes);
  const { tokenId, tokenHash: _hash, hashKind: _kind, expiresAt, lastUsedAt: _used, ...user } = row;
  return { tokenId, user: toAccount(user), expired: expiresAt !== null && Date.parse(expiresAt) <= nowMs, expiresAt };
}

export type { TokenRow };
