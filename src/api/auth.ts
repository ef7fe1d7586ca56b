/**
 * Authentication: a personal access token (`Authorization: Bearer <token>`, or `?token=` on
 * WebSocket upgrades) is looked up in D1 by its keyed hash (people/secrets.ts), together with its
 * user's role and status, on every request: a deleted token, a suspended account or an expired
 * token is refused from the next request on. Identity always comes from the credential, never
 * from a request body (docs/architecture.md §5).
 *
 * Failed attempts are counted per client address; after 20 in a minute the address gets 429
 * `rate_limited` (with `Retry-After`) before its token is even checked (people/throttle.ts).
 *
 * Local mode bootstraps itself: the first request bearing `SAM_DEV_TOKEN` creates the local user
 * (an active admin) and stores that token's hash.
 */
import { getAgentByName } from "agents";
import type { Context, MiddlewareHandler } from "hono";
import { newId } from "../ids.ts";
import { apiError } from "./http.ts";
import { secretDigest, TokenKeyUnavailableError } from "./people/secrets.ts";
import { clientAddress, failuresStatement, isThrottled, recordFailure, retryAfterSeconds } from "./people/throttle.ts";
import { foundToken, tokenDigests, tokenLookupStatement, type TokenRow } from "./people/tokens.ts";
import type { UserAccount } from "./people/users.ts";

/** The authenticated caller: their account, and the token they came with. */
export interface AuthUser extends Omit<UserAccount, "createdAt"> {
  /** The personal access token of this request. */
  tokenId: string;
}

/** Hono environment of authenticated routes. */
export type AuthedEnv = { Bindings: Env; Variables: { user: AuthUser } };

/** Name given to the local-mode user. */
export const LOCAL_USER_NAME = "local";

/** The outcome of checking a token: the caller, or why not (with the HTTP status to answer). */
export type Authentication =
  | { ok: true; user: AuthUser }
  | { ok: false; status: 401; code: "unauthorized"; message: string }
  | { ok: false; status: 429; code: "rate_limited"; message: string; retryAfterSeconds: number }
  | { ok: false; status: 503; code: "auth_unavailable"; message: string };

/** The bearer token of a request: the Authorization header, else (for upgrades) `?token=`. */
export function tokenFromRequest(request: Request, allowQuery: boolean): string | null {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (match) return match[1];
  if (allowQuery) return new URL(request.url).searchParams.get("token");
  return null;
}

const UNAUTHORIZED = { ok: false, status: 401, code: "unauthorized", message: "a valid bearer token is required" } as const;

/**
 * Checks `token` for a request from client address `address`: refused while the address is
 * rate-limited, else the token's user (its role and status included), else a 401 that counts as
 * a failure of the address. One D1 round trip on the common path.
 */
export async function authenticate(env: Env, token: string | null, address: string): Promise<Authentication> {
  const nowMs = Date.now();
  try {
    if (!token || token.length < 16 || token.length > 512) {
      if (token) await recordFailure(env, address, nowMs);
      return UNAUTHORIZED;
    }
    const { digest, legacy } = await tokenDigests(env, token);
    const [lookup, failures] = await env.DB.batch<TokenRow | { count: number }>([tokenLookupStatement(env, digest, legacy), failuresStatement(env, address, nowMs)]);
    const count = (failures.results[0] as { count: number } | undefined)?.count;
    if (isThrottled(count)) {
      const retryAfter = retryAfterSeconds(nowMs);
      return { ok: false, status: 429, code: "rate_limited", message: `too many failed attempts; try again in ${retryAfter} s`, retryAfterSeconds: retryAfter };
    }
    let row = lookup.results[0] as TokenRow | undefined;
    if (!row && env.SAM_MODE === "local" && env.SAM_DEV_TOKEN && digest === (await secretDigest(env, env.SAM_DEV_TOKEN))) {
      row = await bootstrapLocalUser(env, digest);
    }
    if (!row) {
      await recordFailure(env, address, nowMs);
      return UNAUTHORIZED;
    }
    const found = await foundToken(env, row, digest, nowMs);
    if (found.expired) {
      await recordFailure(env, address, nowMs);
      return { ok: false, status: 401, code: "unauthorized", message: "the token has expired" };
    }
    const { createdAt: _created, ...account } = found.user;
    return { ok: true, user: { ...account, tokenId: found.tokenId } };
  } catch (error) {
    if (error instanceof TokenKeyUnavailableError) return { ok: false, status: 503, code: "auth_unavailable", message: error.message };
    throw error;
  }
}

/** Creates the local user (once, atomically; an active admin) and stores the dev token's hash; returns the token's row. */
async function bootstrapLocalUser(env: Env, digest: string): Promise<TokenRow> {
  const now = new Date().toISOString();
  await env.DB.prepare(
    `INSERT INTO users (id, name, is_local, created_at, role, status) SELECT ?, ?, 1, ?, 'admin', 'active' WHERE NOT EXISTS (SELECT 1 FROM users WHERE is_local = 1)`,
  )
    .bind(newId("user"), LOCAL_USER_NAME, now)
    .run();
  const user = await env.DB.prepare(`SELECT id, name FROM users WHERE is_local = 1 LIMIT 1`).first<{ id: string; name: string }>();
  if (!user) throw new Error("local user could not be created");
  await env.DB.prepare(`INSERT OR IGNORE INTO api_tokens (id, user_id, token_hash, hash_kind, name, created_at) VALUES (?, ?, ?, 'hmac', ?, ?)`)
    .bind(newId("token"), user.id, digest, "local dev token", now)
    .run();
  await (await getAgentByName(env.UserAgent, user.id)).ensureProfile({ id: user.id, name: user.name, createdAt: now });
  const row = await tokenLookupStatement(env, digest, digest).first<TokenRow>();
  if (!row) throw new Error("local token could not be stored");
  return row;
}

/** Answers a failed authentication: the error object with its status (and `Retry-After` on 429). */
export function authFailure(c: Context, failure: Exclude<Authentication, { ok: true }>): Response {
  if (failure.status === 429) c.header("Retry-After", String(failure.retryAfterSeconds));
  return apiError(c, failure.status, failure.code, failure.message);
}

/**
 * Middleware for routes of signed-in users: 401 without a valid token, 429 while the address is
 * rate-limited, and 403 `account_pending` / `account_suspended` for an account that is not
 * active unless `allowInactive` (only `GET /api/me` and sign-out allow it).
 */
export function userGuard(options: { allowInactive: boolean }): MiddlewareHandler<AuthedEnv> {
  return async (c, next) => {
    const result = await authenticate(c.env, tokenFromRequest(c.req.raw, false), clientAddress(c.req.raw));
    if (!result.ok) return authFailure(c as Context, result);
    if (!options.allowInactive && result.user.status !== "active") {
      const code = result.user.status === "pending" ? "account_pending" : "account_suspended";
      return apiError(c as Context, 403, code, result.user.status === "pending" ? "your account waits for an admin's approval" : "your account is suspended");
    }
    c.set("user", result.user);
    await next();
  };
}

/** Middleware for routes of active users (every route but `GET /api/me` and sign-out). */
export const requireUser: MiddlewareHandler<AuthedEnv> = userGuard({ allowInactive: false });

/** Middleware for `/api/admin/*`, after `requireUser`: 403 `forbidden` unless the caller is an admin. */
export const requireAdmin: MiddlewareHandler<AuthedEnv> = async (c, next) => {
  if (c.get("user").role !== "admin") return apiError(c as Context, 403, "forbidden", "only an admin may do this");
  await next();
};
