/**
 * GitHub sign-in (OAuth 2.0 authorization code with `state` and S256 PKCE), through arctic's
 * generic OAuth2Client so that the authorize, token and API URLs come from settings
 * (GITHUB_OAUTH_BASE_URL, GITHUB_API_BASE_URL; tests point them at a fake GitHub on loopback).
 * GitHub's `/user` is not OpenID Connect: the profile is read from the REST API.
 */
import { CodeChallengeMethod, OAuth2Client } from "arctic";
import { z } from "zod";

/** GitHub's OAuth base URL unless GITHUB_OAUTH_BASE_URL says otherwise. */
export const GITHUB_OAUTH_BASE_URL = "https://github.com";
/** GitHub's REST API base URL unless GITHUB_API_BASE_URL says otherwise. */
export const GITHUB_API_BASE_URL = "https://api.github.com";
/** The callback path GitHub redirects to (register `<origin>/api/auth/callback/github` in the OAuth app). */
export const GITHUB_CALLBACK_PATH = "/api/auth/callback/github";

/** Whether GitHub sign-in is configured (client id and secret set). */
export function githubConfigured(env: Env): boolean {
  return Boolean(env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET);
}

function client(env: Env, origin: string): OAuth2Client {
  return new OAuth2Client(env.GITHUB_CLIENT_ID ?? "", env.GITHUB_CLIENT_SECRET ?? "", `${origin}${GITHUB_CALLBACK_PATH}`);
}

function oauthBase(env: Env): string {
  return (env.GITHUB_OAUTH_BASE_URL ?? GITHUB_OAUTH_BASE_URL).replace(/\/$/, "");
}

/** The URL to send the browser to, for `state` and the PKCE `codeVerifier` kept in the browser's OAuth cookie. */
export function githubAuthorizationUrl(env: Env, origin: string, state: string, codeVerifier: string): URL {
  return client(env, origin).createAuthorizationURLWithPKCE(`${oauthBase(env)}/login/oauth/authorize`, state, CodeChallengeMethod.S256, codeVerifier, ["read:user"]);
}

/** A GitHub user as SAM keeps them: the stable numeric id, the login, a display name, the avatar. */
export interface GitHubProfile {
  id: string;
  login: string;
  name: string;
  avatarUrl?: string;
}

const githubUserSchema = z.object({
  id: z.number().int(),
  login: z.string().min(1),
  name: z.string().nullable().optional(),
  avatar_url: z.string().url().optional(),
});

/**
 * Exchanges the callback's `code` (with the PKCE verifier) for an access token, then reads the
 * user's profile from the REST API. @throws on a refused code or an unreadable profile (arctic's
 * OAuth2RequestError, or an Error naming the HTTP status).
 */
export async function githubProfile(env: Env, origin: string, code: string, codeVerifier: string): Promise<GitHubProfile> {
  const tokens = await client(env, origin).validateAuthorizationCode(`${oauthBase(env)}/login/oauth/access_token`, code, codeVerifier);
  const response = await fetch(`${(env.GITHUB_API_BASE_URL ?? GITHUB_API_BASE_URL).replace(/\/$/, "")}/user`, {
    headers: { authorization: `Bearer ${tokens.accessToken()}`, accept: "application/vnd.github+json", "user-agent": "sam" },
  });
  if (!response.ok) throw new Error(`GitHub's /user answered ${response.status}`);
  const user = githubUserSchema.parse(await response.json());
  return { id: String(user.id), login: user.login, name: user.name?.trim() || user.login, ...(user.avatar_url ? { avatarUrl: user.avatar_url } : {}) };
}
