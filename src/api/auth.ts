/**
 * Authentication: a personal access token (`Authorization: Bearer <token>`, or `?token=` on
 * WebSocket upgrades) or a browser's sign-in cookie (`sam_session`) is looked up in D1 by its
 * keyed hash (people/secrets.ts), together with its user's role and status, on every request: a
 * deleted token, an ended sign-in, a suspended account or an expired token is refused from the
 * next request on. Identity always comes from the credential, never from a request body
 * (docs/architecture.md §5). A request signed in by cookie that changes something must come from
 * SAM's own origin (its `Origin` header), so another site cannot make a browser act.
 *
 * Failed attempts are counted per client address; after 20 in a minute a further failure from
 * that address is answered 429 `rate_limited` (with `Retry-After`) instead of 401 until the
 * minute ends (people/throttle.ts). A valid credential is always let through, so people behind
 * the same address as a guesser are not locked out (a 256-bit secret cannot be guessed anyway;
 * the limit bounds the guessing and the work it causes).
 *
 * Local mode bootstraps itself: the first request bearing `SAM_DEV_TOKEN` creates the local user
 * (an active admin) and stores that token's hash.
 */
import { getAgentByName } from "agents";
import type { Context, MiddlewareHandler } from "hono";
import { newId } from "../ids.ts";
import { EMBED_TOKEN_PREFIX } from "../shared/embed.ts";
import { apiError } from "./http.ts";
import { secretDigest, TokenKeyUnavailableError } from "./people/secrets.ts";
import { clientAddress, failuresStatement, isThrottled, recordFailure, retryAfterSeconds } from "./people/throttle.ts";
import { SIGN_IN_COOKIE, signInLookupStatement, touchSignIn, type SignInRow } from "./people/sign-ins.ts";
import { foundToken, tokenDigests, tokenLookupStatement, type TokenRow } from "./people/tokens.ts";
import { toAccount, type UserAccount } from "./people/users.ts";
import { parse as parseCookies } from "hono/utils/cookie";

/** The authenticated caller: their account, and the credential they came with. */
export interface AuthUser extends Omit<UserAccount, "createdAt"> {
  /** The id of this request's personal access token (`tok_...`) or browser sign-in (`sgn_...`). */
  tokenId: string;
  /** How the caller signed in: a bearer token, or the browser's sign-in cookie. */
  via: "token" | "signIn";
  /**
   * When the credential stops working (ISO 8601): a personal access token's expiry; null for a
   * token without one and for a sign-in (its expiry moves with use). Sockets close at this time.
   */
  expiresAt: string | null;
}

/** A credential a request carries: a personal access token, or the secret of a sign-in cookie. */
export type Credential = { kind: "token" | "signIn"; secret: string };

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

/**
 * The credential of a request: the Authorization header's bearer token, else (for WebSocket
 * upgrades, `allowQuery`) `?token=`, else the sign-in cookie; null when it has none.
 */
export function credentialFromRequest(request: Request, allowQuery: boolean): Credential | null {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (match) return { kind: "token", secret: match[1] };
  const query = allowQuery ? new URL(request.url).searchParams.get("token") : null;
  if (query) return { kind: "token", secret: query };
  const cookie = parseCookies(request.headers.get("cookie") ?? "", SIGN_IN_COOKIE)[SIGN_IN_COOKIE];
  return cookie ? { kind: "signIn", secret: cookie } : null;
}

const UNAUTHORIZED = { ok: false, status: 401, code: "unauthorized", message: "a valid bearer token is required" } as const;

/** The 429 for a throttled address at `nowMs`. */
export function rateLimited(nowMs: number): Extract<Authentication, { status: 429 }> {
  const retryAfter = retryAfterSeconds(nowMs);
  return { ok: false, status: 429, code: "rate_limited", message: `too many failed attempts; try again in ${retryAfter} s`, retryAfterSeconds: retryAfter };
}

/** Records a failed attempt of `address` and answers it: `failure`, or 429 when the address already had its fill this minute. */
async function failed(env: Env, address: string, nowMs: number, failuresSoFar: number | undefined, failure: Extract<Authentication, { status: 401 }>): Promise<Authentication> {
  if (isThrottled(failuresSoFar)) return rateLimited(nowMs);
  await recordFailure(env, address, nowMs);
  return failure;
}

/** The 403 code for an account that is not active. */
export function inactiveCode(status: "pending" | "suspended"): "account_pending" | "account_suspended" {
  return status === "pending" ? "account_pending" : "account_suspended";
}

/**
 * Checks `credential` for a request from client address `address`: the credential's user (its
 * role and status included), else a 401 that counts as a failure of the address — or a 429 when
 * the address already failed MAX_FAILURES_PER_MINUTE times this minute. One D1 round trip on the
 * common path (the lookup and the address's failures in one batch).
 */
export async function authenticate(env: Env, credential: Credential | null, address: string): Promise<Authentication> {
  const nowMs = Date.now();
  try {
    if (!credential) return UNAUTHORIZED;
    if (credential.secret.length < 16 || credential.secret.length > 512) {
      return failed(env, address, nowMs, (await failuresStatement(env, address, nowMs).first<{ count: number }>())?.count, UNAUTHORIZED);
    }
    if (credential.kind === "signIn") return await authenticateSignIn(env, credential.secret, address, nowMs);
    if (credential.secret.startsWith(EMBED_TOKEN_PREFIX)) {
      return { ok: false, status: 401, code: "unauthorized", message: "an embed token works only on its project's WebSocket" };
    }
    const token = credential.secret;
    const { digest, legacy } = await tokenDigests(env, token);
    const [lookup, failures] = await env.DB.batch<TokenRow | { count: number }>([tokenLookupStatement(env, digest, legacy), failuresStatement(env, address, nowMs)]);
    const count = (failures.results[0] as { count: number } | undefined)?.count;
    let row = lookup.results[0] as TokenRow | undefined;
    if (!row && env.SAM_MODE === "local" && env.SAM_DEV_TOKEN && digest === (await secretDigest(env, env.SAM_DEV_TOKEN))) {
      row = await bootstrapLocalUser(env, digest);
    }
    if (!row) return failed(env, address, nowMs, count, UNAUTHORIZED);
    const found = await foundToken(env, row, digest, nowMs);
    if (found.expired) return failed(env, address, nowMs, count, { ok: false, status: 401, code: "unauthorized", message: "the token has expired" });
    const { createdAt: _created, ...account } = found.user;
    return { ok: true, user: { ...account, tokenId: found.tokenId, via: "token", expiresAt: found.expiresAt } };
  } catch (error) {
    if (error instanceof TokenKeyUnavailableError) return { ok: false, status: 503, code: "auth_unavailable", message: error.message };
    throw error;
  }
}

/** `authenticate` for a sign-in cookie's secret. */
async function authenticateSignIn(env: Env, secret: string, address: string, nowMs: number): Promise<Authentication> {
  const digest = await secretDigest(env, secret);
  const [lookup, failures] = await env.DB.batch<SignInRow | { count: number }>([signInLookupStatement(env, digest, nowMs), failuresStatement(env, address, nowMs)]);
  const row = lookup.results[0] as SignInRow | undefined;
  if (!row) {
    const count = (failures.results[0] as { count: number } | undefined)?.count;
    return failed(env, address, nowMs, count, { ok: false, status: 401, code: "unauthorized", message: "you are signed out; sign in again" });
  }
  await touchSignIn(env, row, nowMs);
  const { signInId, expiresAt: _expires, lastSeenAt: _seen, ...user } = row;
  const { createdAt: _created, ...account } = toAccount(user);
  return { ok: true, user: { ...account, tokenId: signInId, via: "signIn", expiresAt: null } };
}

/** Whether a request may act on the caller's behalf: a cookie-signed-in change must come from SAM's own origin. */
export function sameOriginOrSafe(request: Request, via: AuthUser["via"]): boolean {
  if (via !== "signIn" || ["GET", "HEAD", "OPTIONS"].includes(request.method)) return true;
  return request.headers.get("origin") === new URL(request.url).origin;
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
 * Middleware for routes of signed-in users: 401 without a valid token or sign-in, 429 while the
 * address is rate-limited, 403 `forbidden` for a cookie-signed-in change from another origin, and
 * 403 `account_pending` / `account_suspended` for an account that is not active unless
 * `allowInactive` (only `GET /api/me` and sign-out allow it).
 */
export function userGuard(options: { allowInactive: boolean }): MiddlewareHandler<AuthedEnv> {
  return async (c, next) => {
    const result = await authenticate(c.env, credentialFromRequest(c.req.raw, false), clientAddress(c.req.raw));
    if (!result.ok) return authFailure(c as Context, result);
    if (!sameOriginOrSafe(c.req.raw, result.user.via)) return apiError(c as Context, 403, "forbidden", "a change made with a sign-in cookie must come from SAM's own pages");
    if (!options.allowInactive && result.user.status !== "active") {
      const code = inactiveCode(result.user.status);
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
