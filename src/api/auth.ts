/**
 * Authentication: a personal access token (`Authorization: Bearer <token>`, or `?token=` on
 * WebSocket upgrades) is looked up by its SHA-256 hash in D1. Identity always comes from the
 * credential, never from a request body (docs/architecture.md §5).
 *
 * Local mode bootstraps itself: the first request bearing `SAM_DEV_TOKEN` creates the one local
 * user and registers that token's hash.
 */
import { getAgentByName } from "agents";
import type { Context, MiddlewareHandler } from "hono";
import { newId } from "../ids.ts";
import { apiError } from "./http.ts";

/** The authenticated caller. */
export interface AuthUser {
  id: string;
  name: string;
}

/** Hono environment of authenticated routes. */
export type AuthedEnv = { Bindings: Env; Variables: { user: AuthUser } };

/** Name given to the local-mode user. */
export const LOCAL_USER_NAME = "local";

/** Hex SHA-256 of a string (WebCrypto). */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The bearer token of a request: the Authorization header, else (for upgrades) `?token=`. */
export function tokenFromRequest(request: Request, allowQuery: boolean): string | null {
  const header = request.headers.get("authorization");
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (match) return match[1];
  if (allowQuery) return new URL(request.url).searchParams.get("token");
  return null;
}

/**
 * How long a token found in D1 is trusted without asking again, ms. Every API and proxy
 * request authenticates, and the D1 lookup is the largest part of the proxy's own latency;
 * a revoked token therefore keeps working for at most this long in an isolate that used it.
 */
export const TOKEN_CACHE_TTL_MS = 30_000;
const TOKEN_CACHE_MAX = 1000;
const tokenCache = new Map<string, { user: AuthUser; until: number }>();

/** Returns the user a token belongs to, or null. Creates the local user on first use in local mode. */
export async function authenticate(env: Env, token: string): Promise<AuthUser | null> {
  if (token.length < 16 || token.length > 512) return null;
  const hash = await sha256Hex(token);
  const cached = tokenCache.get(hash);
  if (cached && cached.until > Date.now()) return cached.user;
  const user = await lookupToken(env, hash, token);
  if (user) {
    if (tokenCache.size >= TOKEN_CACHE_MAX) tokenCache.clear();
    tokenCache.set(hash, { user, until: Date.now() + TOKEN_CACHE_TTL_MS });
  }
  return user;
}

async function lookupToken(env: Env, hash: string, token: string): Promise<AuthUser | null> {
  const found = await env.DB.prepare(
    `SELECT u.id AS id, u.name AS name FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`,
  )
    .bind(hash)
    .first<AuthUser>();
  if (found) return found;
  if (env.SAM_MODE === "local" && env.SAM_DEV_TOKEN && hash === (await sha256Hex(env.SAM_DEV_TOKEN))) {
    return bootstrapLocalUser(env, hash);
  }
  return null;
}

/** Creates the single local user (once, atomically) and registers the dev token's hash. */
async function bootstrapLocalUser(env: Env, tokenHash: string): Promise<AuthUser> {
  const now = new Date().toISOString();
  await env.DB.prepare(`INSERT INTO users (id, name, is_local, created_at) SELECT ?, ?, 1, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE is_local = 1)`)
    .bind(newId("user"), LOCAL_USER_NAME, now)
    .run();
  const user = await env.DB.prepare(`SELECT id, name FROM users WHERE is_local = 1 LIMIT 1`).first<AuthUser>();
  if (!user) throw new Error("local user could not be created");
  const tokenId = newId("token");
  const inserted = await env.DB.prepare(`INSERT OR IGNORE INTO api_tokens (id, user_id, token_hash, name, created_at) VALUES (?, ?, ?, ?, ?)`)
    .bind(tokenId, user.id, tokenHash, "local dev token", now)
    .run();
  const userAgent = await getAgentByName(env.UserAgent, user.id);
  await userAgent.ensureProfile({ id: user.id, name: user.name, createdAt: now });
  if (inserted.meta.changes > 0) await userAgent.recordToken({ id: tokenId, name: "local dev token", createdAt: now });
  return user;
}

/** Middleware for routes that need a signed-in user: 401 without a valid bearer token. */
export const requireUser: MiddlewareHandler<AuthedEnv> = async (c, next) => {
  const token = tokenFromRequest(c.req.raw, false);
  const user = token ? await authenticate(c.env, token) : null;
  if (!user) return apiError(c as Context, 401, "unauthorized", "a valid bearer token is required");
  c.set("user", user);
  await next();
};
