/**
 * Accounts in D1 (docs/architecture.md §1: D1 holds the global indexes of people — users, token
 * hashes, memberships; what is per user lives in `UserAgent`). An account has a role (`admin`
 * or `member`) and a status (`active`, `pending` until an admin approves it, or `suspended`).
 */
import { z } from "zod";
import { newId } from "../../ids.ts";

/** `admin` may manage accounts (`/api/admin/*`); `member` may not. */
export const userRoleSchema = z.enum(["admin", "member"]);
export type UserRole = z.infer<typeof userRoleSchema>;
/** Only an `active` account may use SAM; a `pending` or `suspended` one may read `GET /api/me` and sign out. */
export const userStatusSchema = z.enum(["active", "pending", "suspended"]);
export type UserStatus = z.infer<typeof userStatusSchema>;

/** An account as `GET /api/me` and `/api/admin/users` show it. Times ISO 8601. */
export interface UserAccount {
  id: string;
  name: string;
  role: UserRole;
  status: UserStatus;
  avatarUrl?: string;
  createdAt: string;
}

/** The columns of `users` an account is read from. */
export const USER_COLUMNS = "u.id AS id, u.name AS name, u.role AS role, u.status AS status, u.avatar_url AS avatarUrl, u.created_at AS createdAt";

/** An account row as D1 returns it (avatarUrl may be null). */
export type UserRow = Omit<UserAccount, "avatarUrl"> & { avatarUrl: string | null };

/** The account of a row, without a null avatar. */
export function toAccount(row: UserRow): UserAccount {
  const { avatarUrl, ...rest } = row;
  return avatarUrl ? { ...rest, avatarUrl } : rest;
}

/**
 * Creates an account named `name`. The first account ever made is an active `admin`; later ones
 * are `member`s, `active` when `status` says so (an admin adding someone, open signup), else
 * `pending`. Returns the account.
 */
export async function createAccount(env: Env, input: { name: string; status: "active" | "pending"; avatarUrl?: string; githubId?: string }): Promise<UserAccount> {
  const id = newId("user");
  const now = new Date().toISOString();
  // One statement, so two first sign-ups at once cannot both become the admin; OR IGNORE, so a
  // second sign-up of the same GitHub user at once leaves the first account (found below).
  await env.DB.prepare(
    `INSERT OR IGNORE INTO users (id, name, is_local, created_at, avatar_url, github_id, role, status)
     SELECT ?, ?, 0, ?, ?, ?,
       CASE WHEN EXISTS (SELECT 1 FROM users) THEN 'member' ELSE 'admin' END,
       CASE WHEN EXISTS (SELECT 1 FROM users) THEN ? ELSE 'active' END`,
  )
    .bind(id, input.name, now, input.avatarUrl ?? null, input.githubId ?? null, input.status)
    .run();
  const account = input.githubId ? await accountOfGitHub(env, input.githubId) : await getAccount(env, id);
  if (!account) throw new Error(`account ${id} was not stored`);
  return account;
}

/** The account linked to GitHub user `githubId` (GitHub's numeric id, as a string), or null. */
export async function accountOfGitHub(env: Env, githubId: string): Promise<UserAccount | null> {
  const row = await env.DB.prepare(`SELECT ${USER_COLUMNS} FROM users u WHERE u.github_id = ?`).bind(githubId).first<UserRow>();
  return row ? toAccount(row) : null;
}

/** The account `userId`, or null. */
export async function getAccount(env: Env, userId: string): Promise<UserAccount | null> {
  const row = await env.DB.prepare(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = ?`).bind(userId).first<UserRow>();
  return row ? toAccount(row) : null;
}

/** Every account, oldest first. */
export async function listAccounts(env: Env): Promise<UserAccount[]> {
  const { results } = await env.DB.prepare(`SELECT ${USER_COLUMNS} FROM users u ORDER BY u.created_at, u.id`).all<UserRow>();
  return results.map(toAccount);
}

/**
 * Changes the status of `userId` to `to` only from one of `from` (compare-and-set), never leaving
 * SAM without an active admin. Returns the account after the change, or null when it does not
 * exist, was in another status, or is the last active admin.
 */
export async function setAccountStatus(env: Env, userId: string, from: UserStatus[], to: UserStatus): Promise<UserAccount | null> {
  const placeholders = from.map(() => "?").join(", ");
  // In the same statement: an active admin is never set inactive unless another active admin remains.
  const result = await env.DB.prepare(
    `UPDATE users SET status = ? WHERE id = ? AND status IN (${placeholders})
     AND (? = 'active' OR role <> 'admin' OR status <> 'active' OR (SELECT COUNT(*) FROM users WHERE role = 'admin' AND status = 'active' AND id <> ?) > 0)`,
  )
    .bind(to, userId, ...from, to, userId)
    .run();
  return result.meta.changes > 0 ? getAccount(env, userId) : null;
}

/** The projects `userId` is a member of (to close their sockets there). */
export async function projectsOf(env: Env, userId: string): Promise<string[]> {
  const { results } = await env.DB.prepare(`SELECT project_id AS projectId FROM project_members WHERE user_id = ?`).bind(userId).all<{ projectId: string }>();
  return results.map((r) => r.projectId);
}
