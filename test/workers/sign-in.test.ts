/**
 * Browser sign-in in the Workers runtime: GitHub's OAuth flow against a fake GitHub on loopback
 * (state and S256 PKCE checked on both sides), the token-for-cookie exchange of the login link,
 * the cookie's attributes, sign-out, and what a forged, ended or cross-site cookie gets.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, apiJson, connect, projectWithSession, TOKEN } from "./helpers.ts";

const ORIGIN = "http://sam.test";

/** Calls the Worker with a cookie (and our own Origin on changes, as a browser would). */
function withCookie(path: string, cookie: string, init: RequestInit & { origin?: string } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("cookie", cookie);
  if (init.method && init.method !== "GET") headers.set("origin", init.origin ?? ORIGIN);
  return exports.default.fetch(new Request(`${ORIGIN}${path}`, { ...init, headers, redirect: "manual" }));
}

/** Exchanges `token` for a sign-in cookie from SAM's own page (its Origin), as the login link does. */
function exchange(token: string): Promise<Response> {
  return api("/api/auth/session", { method: "POST", token: null, headers: { origin: ORIGIN }, json: { token } });
}

/** The `name=value` of a Set-Cookie header for `name`, and the whole header. */
function cookieOf(response: Response, name: string): { pair: string; header: string } {
  const header = response.headers.getSetCookie().find((h) => h.startsWith(`${name}=`));
  if (!header) throw new Error(`no ${name} cookie set; got ${JSON.stringify(response.headers.getSetCookie())}`);
  return { pair: header.split(";")[0], header };
}

/** Runs GitHub sign-in as `login` up to GitHub's redirect back; returns the callback URL and the OAuth cookie. */
async function throughGitHub(identity: { id: number; login: string; name: string }): Promise<{ callback: URL; oauthCookie: string }> {
  await fetch(`${env.GITHUB_OAUTH_BASE_URL}/__control/identity`, { method: "PUT", body: JSON.stringify(identity) });
  const start = await exports.default.fetch(new Request(`${ORIGIN}/api/auth/github`, { redirect: "manual" }));
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get("location") ?? "");
  expect(authorize.origin).toBe(env.GITHUB_OAUTH_BASE_URL);
  expect(authorize.searchParams.get("code_challenge_method")).toBe("S256");
  expect(authorize.searchParams.get("redirect_uri")).toBe(`${ORIGIN}/api/auth/callback/github`);
  const oauth = cookieOf(start, "sam_oauth");
  expect(oauth.header).toMatch(/HttpOnly/i);
  const page = await fetch(authorize);
  expect(await page.text()).toContain("Authorize SAM");
  const approve = new URL(`${env.GITHUB_OAUTH_BASE_URL}/login/oauth/authorize/approve`);
  for (const key of ["redirect_uri", "state", "code_challenge"]) approve.searchParams.set(key, authorize.searchParams.get(key) ?? "");
  const back = await fetch(approve, { redirect: "manual" });
  return { callback: new URL(back.headers.get("location") ?? ""), oauthCookie: oauth.pair };
}

describe("signing in with GitHub", () => {
  it("offers GitHub when it is configured", async () => {
    expect(await apiJson("/api/auth/config", { token: null })).toEqual({ github: true, localMode: true });
  });

  it("signs a new person in by an HttpOnly cookie; they wait for an admin, who approves them", async () => {
    // The local admin exists first, so the new person is not the first account.
    expect((await apiJson<{ user: { role: string } }>("/api/me")).user.role).toBe("admin");
    const { callback, oauthCookie } = await throughGitHub({ id: 7001, login: "grace", name: "Grace H" });
    const done = await withCookie(`${callback.pathname}${callback.search}`, oauthCookie);
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/");
    const session = cookieOf(done, "sam_session");
    expect(session.header).toMatch(/HttpOnly/i);
    expect(session.header).toMatch(/SameSite=Lax/i);
    expect(session.header).not.toMatch(/Secure/i);
    const me = (await (await withCookie("/api/me", session.pair)).json()) as { user: { id: string; name: string; status: string; avatarUrl: string } };
    expect(me.user).toMatchObject({ name: "Grace H", role: "member", status: "pending", avatarUrl: "https://avatars.example/grace.png" });
    expect((await withCookie("/api/projects", session.pair)).status).toBe(403);
    await apiJson(`/api/admin/users/${me.user.id}/approve`, { method: "POST" });
    expect((await withCookie("/api/projects", session.pair)).status).toBe(200);
    // Signing in again finds the same account.
    const again = await throughGitHub({ id: 7001, login: "grace", name: "Grace H" });
    const second = cookieOf(await withCookie(`${again.callback.pathname}${again.callback.search}`, again.oauthCookie), "sam_session");
    expect(((await (await withCookie("/api/me", second.pair)).json()) as { user: { id: string } }).user.id).toBe(me.user.id);
  });

  it("refuses a callback whose state does not match, and signs nobody in", async () => {
    const { callback, oauthCookie } = await throughGitHub({ id: 7002, login: "mallory", name: "M" });
    callback.searchParams.set("state", "forged-state");
    const refused = await withCookie(`${callback.pathname}${callback.search}`, oauthCookie);
    expect(refused.status).toBe(400);
    expect(refused.headers.getSetCookie().some((h) => h.startsWith("sam_session="))).toBe(false);
    const noCookie = await withCookie(`${callback.pathname}${callback.search}`, "");
    expect(noCookie.status).toBe(400);
  });
});

describe("sign-in cookies", () => {
  it("a token is exchanged for a cookie; the cookie works on HTTP and on the socket, and signing out ends it at once", async () => {
    const exchanged = await exchange(TOKEN);
    expect(exchanged.status).toBe(200);
    const session = cookieOf(exchanged, "sam_session");
    expect(((await (await withCookie("/api/me", session.pair)).json()) as { user: { name: string } }).user.name).toBe("local");
    const { projectId } = await projectWithSession();
    const socket = await exports.default.fetch(new Request(`${ORIGIN}/agents/project-agent/${projectId}`, { headers: { upgrade: "websocket", cookie: session.pair, origin: ORIGIN } }));
    expect(socket.status).toBe(101);
    socket.webSocket?.accept();
    const closed = new Promise<number>((resolve) => socket.webSocket?.addEventListener("close", (e: CloseEvent) => resolve(e.code)));
    const out = await withCookie("/api/auth/signout", session.pair, { method: "POST" });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().find((h) => h.startsWith("sam_session="))).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    expect(await closed).toBe(4003);
    expect((await withCookie("/api/me", session.pair)).status).toBe(401);
  });

  it("a wrong token is not exchanged, and no page of another site may start a sign-in", async () => {
    expect((await exchange("sam_pat_not_a_real_token_000")).status).toBe(401);
    const crossSite = await api("/api/auth/session", { method: "POST", token: null, headers: { origin: "https://evil.example" }, json: { token: TOKEN } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie()).toEqual([]);
    expect((await api("/api/auth/session", { method: "POST", token: null, json: { token: TOKEN } })).status).toBe(403);
  });

  it("a sign-in made from a token ends when the token is revoked", async () => {
    const made = await apiJson<{ id: string; token: string }>("/api/tokens", { method: "POST", json: { name: "to exchange" } }, 201);
    const session = cookieOf(await exchange(made.token), "sam_session");
    expect((await withCookie("/api/me", session.pair)).status).toBe(200);
    await api(`/api/tokens/${made.id}`, { method: "DELETE" });
    expect((await withCookie("/api/me", session.pair)).status).toBe(401);
  });

  it("a forged cookie is refused; a change from another origin with a good cookie is refused", async () => {
    expect((await withCookie("/api/me", "sam_session=sam_ss_forged_forged_forged_forged")).status).toBe(401);
    const session = cookieOf(await exchange(TOKEN), "sam_session");
    const crossSite = await withCookie("/api/projects", session.pair, { method: "POST", origin: "https://evil.example", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "x" }) });
    expect(crossSite.status).toBe(403);
    const sameSite = await withCookie("/api/projects", session.pair, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "x" }) });
    expect(sameSite.status).toBe(201);
  });

  it("an ended sign-in (expired) is refused", async () => {
    const session = cookieOf(await exchange(TOKEN), "sam_session");
    await env.DB.prepare(`UPDATE sign_ins SET expires_at = ?`).bind(new Date(Date.now() - 1000).toISOString()).run();
    expect((await withCookie("/api/me", session.pair)).status).toBe(401);
    // Bearer tokens are not affected.
    expect((await connect((await projectWithSession()).projectId)).ws.readyState).toBe(1);
  });
});
