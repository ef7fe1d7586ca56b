/**
 * Browser sign-in (issue 13): with GitHub (deployed: OAuth authorization code with `state` and
 * S256 PKCE), or by exchanging a personal access token for a sign-in (local mode's login link,
 * teams without GitHub). Either way the browser holds only an HttpOnly cookie (SameSite=Lax,
 * Secure on https), never a token; signing out ends the sign-in at once.
 */
import { getAgentByName } from "agents";
import { generateCodeVerifier, generateState } from "arctic";
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { authenticate, authFailure, userGuard, type AuthedEnv } from "../auth.ts";
import { apiError, parseJsonBody } from "../http.ts";
import { GITHUB_CALLBACK_PATH, githubAuthorizationUrl, githubConfigured, githubProfile } from "../people/github.ts";
import { closeSockets } from "../people/sockets.ts";
import { createSignIn, deleteSignIn, SIGN_IN_COOKIE } from "../people/sign-ins.ts";
import { clientAddress } from "../people/throttle.ts";
import { accountOfGitHub, createAccount } from "../people/users.ts";

/** The short-lived cookie that carries an OAuth attempt's `state` and PKCE verifier to the callback. */
export const OAUTH_COOKIE = "sam_oauth";
/** How long a GitHub sign-in attempt may take, in s. */
const OAUTH_ATTEMPT_TTL_S = 600;

const exchangeSchema = z.object({ token: z.string().min(1).max(512) });

/** Whether cookies of this request's origin must be `Secure` (https). */
function secure(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** Starts a sign-in for `userId` (made from personal access token `tokenId`, if so) and sets its cookie. */
async function signIn(c: Context<AuthedEnv>, userId: string, tokenId?: string): Promise<void> {
  const made = await createSignIn(c.env, userId, tokenId);
  setCookie(c, SIGN_IN_COOKIE, made.secret, { httpOnly: true, secure: secure(c), sameSite: "Lax", path: "/", expires: made.expiresAt });
}

/** Routes under /api/auth (besides the device flow). */
export const signInRoutes = new Hono<AuthedEnv>();

/** What the sign-in page may offer. */
signInRoutes.get("/api/auth/config", (c) => c.json({ github: githubConfigured(c.env), localMode: c.env.SAM_MODE === "local" }));

/**
 * Exchanges a personal access token for a browser sign-in (the login link, or a pasted token).
 * Only from SAM's own pages (their `Origin`): another site must not sign a visitor's browser in
 * as someone else (login CSRF). The sign-in ends when the token is revoked, and at its expiry.
 */
signInRoutes.post("/api/auth/session", async (c) => {
  if (c.req.header("origin") !== new URL(c.req.url).origin) return apiError(c, 403, "forbidden", "a sign-in may be started only from SAM's own pages");
  const body = await parseJsonBody(c, exchangeSchema);
  if (!body.ok) return body.response;
  const auth = await authenticate(c.env, { kind: "token", secret: body.value.token }, clientAddress(c.req.raw));
  if (!auth.ok) return authFailure(c, auth);
  await signIn(c, auth.user.id, auth.user.tokenId);
  const { tokenId: _token, via: _via, expiresAt: _expires, ...user } = auth.user;
  return c.json({ user });
});

/** Ends this browser's sign-in (and closes the sockets it opened); a pending or suspended account may too. */
signInRoutes.post("/api/auth/signout", userGuard({ allowInactive: true }), async (c) => {
  const user = c.get("user");
  if (user.via === "signIn") {
    await deleteSignIn(c.env, user.tokenId);
    await closeSockets(c.env, user.id, { tokenId: user.tokenId }, "signed out");
  }
  deleteCookie(c, SIGN_IN_COOKIE, { path: "/", secure: secure(c) });
  return c.body(null, 204);
});

/** Sends the browser to GitHub, keeping the attempt's `state` and PKCE verifier in an HttpOnly cookie. */
signInRoutes.get("/api/auth/github", (c) => {
  if (!githubConfigured(c.env)) return apiError(c, 503, "auth_unavailable", "GitHub sign-in is not configured (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET)");
  const state = generateState();
  const verifier = generateCodeVerifier();
  const origin = new URL(c.req.url).origin;
  setCookie(c, OAUTH_COOKIE, `${state}.${verifier}`, { httpOnly: true, secure: secure(c), sameSite: "Lax", path: "/api/auth", maxAge: OAUTH_ATTEMPT_TTL_S });
  return c.redirect(githubAuthorizationUrl(c.env, origin, state, verifier).toString(), 302);
});

/**
 * GitHub's redirect back: the `state` must match the attempt's cookie (else 400, nothing
 * signed in); the code is exchanged with the PKCE verifier, the GitHub user found or made into an
 * account (the first ever an active admin; later ones pending unless SAM_OPEN_SIGNUP=1), and the
 * browser signed in and sent to the app.
 */
signInRoutes.get(GITHUB_CALLBACK_PATH, async (c) => {
  if (!githubConfigured(c.env)) return apiError(c, 503, "auth_unavailable", "GitHub sign-in is not configured");
  const attempt = getCookie(c, OAUTH_COOKIE) ?? "";
  deleteCookie(c, OAUTH_COOKIE, { path: "/api/auth", secure: secure(c) });
  const [expectedState, verifier] = attempt.split(".");
  const query = z.object({ code: z.string().min(1).max(500), state: z.string().min(1).max(500) }).safeParse(c.req.query());
  if (!query.success || !expectedState || !verifier || query.data.state !== expectedState) {
    return apiError(c, 400, "invalid_input", "this sign-in attempt is not valid (its state does not match); start again");
  }
  let profile;
  try {
    profile = await githubProfile(c.env, new URL(c.req.url).origin, query.data.code, verifier);
  } catch (error) {
    console.error(`GitHub sign-in failed: ${error instanceof Error ? error.message : String(error)}`);
    return apiError(c, 400, "invalid_input", "GitHub did not confirm this sign-in; start again");
  }
  const account =
    (await accountOfGitHub(c.env, profile.id)) ??
    (await createAccount(c.env, { name: profile.name, avatarUrl: profile.avatarUrl, githubId: profile.id, status: c.env.SAM_OPEN_SIGNUP === "1" ? "active" : "pending" }));
  await (await getAgentByName(c.env.UserAgent, account.id)).ensureProfile({ id: account.id, name: account.name, createdAt: account.createdAt });
  await signIn(c, account.id);
  return c.redirect("/", 302);
});
