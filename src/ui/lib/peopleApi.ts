/**
 * The people part of the HTTP API client (issue 13): sign-in (`/api/auth/*`), personal access
 * tokens, device approval, the admin's account list, and project members. Same-origin requests
 * through `api.ts` (the sign-in cookie rides along); every answer is checked with zod.
 */
import { z } from "zod";
import { parseRows, requestJson, send, userSchema, type User } from "./api.ts";

const seg = encodeURIComponent;

// ---- sign-in ----

const authConfigSchema = z.object({ github: z.boolean(), localMode: z.boolean() });
/** What the sign-in page may offer: GitHub sign-in (configured on the server), and whether SAM runs in local mode (login links). */
export type AuthConfig = z.infer<typeof authConfigSchema>;

/** `GET /api/auth/config` (no sign-in needed). */
export function getAuthConfig(signal?: AbortSignal): Promise<AuthConfig> {
  return requestJson("/api/auth/config", authConfigSchema, { signal, reportAuth: false });
}

/** Where the browser goes to sign in with GitHub (the server redirects to GitHub and back to `/`). */
export const GITHUB_SIGN_IN_PATH = "/api/auth/github";

/**
 * `POST /api/auth/session {token}`: exchanges a personal access token for this browser's sign-in
 * cookie (HttpOnly; the token is not kept). Resolves to the person; rejects with ApiError 401
 * (wrong, revoked or expired token) or 429 (too many failed attempts).
 */
export async function exchangeToken(token: string): Promise<User> {
  const body = await requestJson("/api/auth/session", z.object({ user: userSchema }), { method: "POST", body: { token }, reportAuth: false });
  return body.user;
}

/** `POST /api/auth/signout`: ends this browser's sign-in (204). A 401 (already signed out) counts as done. */
export async function endSignIn(): Promise<void> {
  await send("/api/auth/signout", { method: "POST", reportAuth: false });
}

// ---- personal access tokens ----

const tokenInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
/** A personal access token as listed (never its secret). Times ISO 8601; `expiresAt` null: never. */
export type TokenInfo = z.infer<typeof tokenInfoSchema>;
const newTokenSchema = z.object({ id: z.string(), name: z.string(), token: z.string(), createdAt: z.string(), expiresAt: z.string().nullable() });
/** A token just made: with its secret `token`, shown this once. */
export type NewToken = z.infer<typeof newTokenSchema>;

/** `GET /api/tokens`. */
export async function listTokens(signal?: AbortSignal): Promise<TokenInfo[]> {
  const body = await requestJson("/api/tokens", z.object({ tokens: z.array(z.unknown()) }), { signal });
  return parseRows(body.tokens, tokenInfoSchema, "token");
}

/** `POST /api/tokens`: a name and optionally a lifetime in days (1 to 3,650; absent: never expires). */
export function createToken(input: { name: string; expiresInDays?: number }): Promise<NewToken> {
  return requestJson("/api/tokens", newTokenSchema, { method: "POST", body: input });
}

/** `DELETE /api/tokens/:id`: revokes it (refused from the next request on). */
export async function revokeToken(tokenId: string): Promise<void> {
  await send(`/api/tokens/${seg(tokenId)}`, { method: "DELETE" });
}

// ---- device approval (RFC 8628) ----

const deviceStatusSchema = z.enum(["pending", "approved", "denied", "consumed"]);
/** Where a device code stands: waiting for a person, approved, denied, or approved and its token already taken. */
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;
const deviceRequestSchema = z.object({ userCode: z.string(), clientId: z.string(), status: deviceStatusSchema, expiresAt: z.string() });
/** A device's sign-in request as the approval page shows it. */
export type DeviceRequest = z.infer<typeof deviceRequestSchema>;
const deviceDecisionSchema = z.object({ userCode: z.string(), clientId: z.string(), status: deviceStatusSchema });

/** `GET /api/auth/device?user_code=`: rejects with ApiError 404 (unknown or expired), 429 (too many wrong codes), 400 (not a code). */
export function getDeviceRequest(userCode: string, signal?: AbortSignal): Promise<DeviceRequest> {
  return requestJson(`/api/auth/device?user_code=${seg(userCode)}`, deviceRequestSchema, { signal });
}

/** `POST /api/auth/device/approve|deny {user_code}`: resolves to the new status; ApiError 409 when it was already decided. */
export async function decideDevice(userCode: string, decision: "approve" | "deny"): Promise<DeviceStatus> {
  const body = await requestJson(`/api/auth/device/${decision}`, deviceDecisionSchema, { method: "POST", body: { user_code: userCode } });
  return body.status;
}

// ---- accounts (admins) ----

/** An account as the admin list shows it. */
export const accountSchema = userSchema.extend({ createdAt: z.string() });
/** An account with when it was made; see {@link accountSchema}. */
export type Account = z.infer<typeof accountSchema>;

/** `GET /api/admin/users` (admins only; 403 `forbidden` otherwise), oldest first. */
export async function listAccounts(signal?: AbortSignal): Promise<Account[]> {
  const body = await requestJson("/api/admin/users", z.object({ users: z.array(z.unknown()) }), { signal });
  return parseRows(body.users, accountSchema, "user");
}

/** `POST /api/admin/users {name}`: an active account and its first personal access token (shown this once). */
export function addAccount(name: string): Promise<{ user: Account; token: string }> {
  return requestJson("/api/admin/users", z.object({ user: accountSchema, token: z.string() }), { method: "POST", body: { name } });
}

/** An admin's status change of an account. */
export type AccountAction = "approve" | "suspend" | "reinstate";

/** `POST /api/admin/users/:id/approve|suspend|reinstate`: the account after it; ApiError 409 when it does not apply. */
export async function changeAccount(userId: string, action: AccountAction): Promise<Account> {
  const body = await requestJson(`/api/admin/users/${seg(userId)}/${action}`, z.object({ user: accountSchema }), { method: "POST" });
  return body.user;
}

// ---- project members ----

const projectRoleSchema = z.enum(["owner", "member", "viewer"]);
/** A member's role in a project: owners manage members, members read and write, viewers only read. */
export type ProjectRole = z.infer<typeof projectRoleSchema>;
/** The roles, in the order the UI offers them. */
export const PROJECT_ROLES: readonly ProjectRole[] = projectRoleSchema.options;
const memberSchema = z.object({ userId: z.string(), name: z.string(), role: projectRoleSchema, avatarUrl: z.string().optional(), addedAt: z.string() });
/** A member of a project. */
export type ProjectMember = z.infer<typeof memberSchema>;

/** `GET /api/projects/:id/members` (owners first); ApiError 404 when the caller is not (or no longer) a member. */
export async function listMembers(projectId: string, signal?: AbortSignal): Promise<ProjectMember[]> {
  const body = await requestJson(`/api/projects/${seg(projectId)}/members`, z.object({ members: z.array(z.unknown()) }), { signal });
  return parseRows(body.members, memberSchema, "member");
}

/** `POST /api/projects/:id/members {userId, role}` (owners): adds a person or changes a role; ApiError 404 unknown user, 409 last owner. */
export function setMember(projectId: string, userId: string, role: ProjectRole): Promise<ProjectMember> {
  return requestJson(`/api/projects/${seg(projectId)}/members`, memberSchema, { method: "POST", body: { userId, role } });
}

/** `DELETE /api/projects/:id/members/:userId` (owners); ApiError 409 when they are the last owner. */
export async function removeMember(projectId: string, userId: string): Promise<void> {
  await send(`/api/projects/${seg(projectId)}/members/${seg(userId)}`, { method: "DELETE" });
}
