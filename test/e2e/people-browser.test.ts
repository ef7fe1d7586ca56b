/**
 * People in headless Chromium (playwright-core driving Debian's chromium) against the stack
 * started as `npm start` starts it, with a local fake of GitHub's OAuth web flow and `/user` API
 * (test/support/fake-github.ts) as its GitHub:
 *   1. someone signs in with GitHub, lands on the "waiting for approval" page; the local admin
 *      approves them on the People page and adds them to a project; both chat live and see who
 *      wrote what, and who is online (the server's `presence` frames) while they are there;
 *   2. the Tokens page makes a token (shown once, copied with the copy button), lists it and
 *      revokes it, after which the API refuses it; the sign-in is an HttpOnly cookie, nothing is
 *      kept in the page's storage, and signing out ends it;
 *   3. the device page approves a CLI's RFC 8628 sign-in: a visitor signed out signs in with
 *      GitHub first and comes back to the code; the polling client (honouring `interval` and
 *      `slow_down`) then gets a bearer token that works;
 *   4. a viewer's project page is read-only; a new role applies while the page is open; a member
 *      removed while the page is open loses the live connection and is told so; someone suspended
 *      while the page is open sees that their account is suspended, and can sign out.
 * Screenshots are kept in test-artifacts/.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github.ts";
import { pollUntil } from "../support/poll.ts";
import { launchChromium, signedInPage } from "./chromium.ts";
import { call, startStack, type Stack } from "./stack.ts";

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
let stack: Stack;
let github: FakeGitHub;
let browser: Browser;
let adminId: string;

type Me = { id: string; name: string; role: string; status: string };

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  github = await startFakeGitHub();
  stack = await startStack({
    env: {
      GITHUB_CLIENT_ID: github.clientId,
      GITHUB_CLIENT_SECRET: github.clientSecret,
      GITHUB_OAUTH_BASE_URL: github.url,
      GITHUB_API_BASE_URL: github.url,
    },
  });
  browser = await launchChromium();
  adminId = (await call<{ user: Me }>(stack, "/api/me")).user.id;
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await github?.close();
});

/** Sets who the fake GitHub's "Authorize SAM" page signs in as. */
async function githubIdentity(user: { id: number; login: string; name: string }): Promise<void> {
  const response = await fetch(`${github.url}/__control/identity`, { method: "PUT", body: JSON.stringify(user) });
  expect(response.status).toBe(200);
}

/** From SAM's signed-out page: "Sign in with GitHub", then the fake's "Authorize SAM" page, then Authorize. */
async function signInWithGitHub(page: Page): Promise<void> {
  await page.getByTestId("github-signin-link").click();
  await page.waitForURL(`${github.url}/login/oauth/authorize?**`);
  expect(await page.title()).toBe("Authorize SAM");
  await page.getByRole("button", { name: "Authorize" }).click();
}

/** Makes a project with one chat session as the admin, through the API; returns their ids. */
async function projectWithSession(name: string): Promise<{ projectId: string; sessionId: string }> {
  const project = await call<{ id: string }>(stack, "/api/projects", { json: { name } });
  const session = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "general" } });
  return { projectId: project.id, sessionId: session.id };
}

/** Status of `GET /api/me` with `token` as a bearer token. */
async function meStatus(token: string): Promise<number> {
  return (await fetch(`${stack.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status;
}

describe("people in the browser", () => {
  it("signs in with GitHub as a pending account; the admin approves and adds them; both chat live with names", async () => {
    await githubIdentity({ id: 4242, login: "octo", name: "Octo Cat" });
    const octoContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    const octo = await octoContext.newPage();
    await octo.goto(`${stack.url}/`);
    await octo.getByTestId("signed-out-page").waitFor();
    await signInWithGitHub(octo);
    await octo.waitForURL(`${stack.url}/`);
    await octo.getByTestId("account-pending").waitFor();
    const octoId = (await octo.getByTestId("account-user-id").innerText()).trim();
    expect(octoId).toMatch(/^usr_/);
    await octo.screenshot({ path: resolve(artifacts, "people-pending.png"), fullPage: true });
    // The server agrees: pending, and refused everywhere but /api/me.
    expect((await octoContext.request.get(`${stack.url}/api/me`).then((r) => r.json())).user).toMatchObject({ id: octoId, name: "Octo Cat", status: "pending" });
    expect((await octoContext.request.get(`${stack.url}/api/projects`)).status()).toBe(403);

    // The local admin approves them on the People page.
    const admin = await signedInPage(browser, stack);
    await admin.getByTestId("nav-admin-users").click();
    await admin.waitForURL(`${stack.url}/admin/users`);
    const row = admin.locator(`[data-testid="admin-user-row"][data-user-id="${octoId}"]`);
    await row.and(admin.locator('[data-status="pending"]')).waitFor();
    await admin.getByTestId("admin-pending-count").waitFor();
    await row.getByTestId("admin-approve-button").click();
    await row.and(admin.locator('[data-status="active"]')).waitFor();
    await admin.screenshot({ path: resolve(artifacts, "people-admin.png"), fullPage: true });

    // ...then adds them to a project as a member, picking them from the list of people.
    const { projectId, sessionId } = await projectWithSession(`people project ${Date.now()}`);
    const sessionPath = `/projects/${projectId}/sessions/${sessionId}`;
    await admin.goto(`${stack.url}${sessionPath}`);
    await admin.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
    await admin.getByTestId("members-toggle").click();
    await admin.getByTestId("member-user-select").selectOption(octoId);
    await admin.getByTestId("member-new-role-select").selectOption("member");
    await admin.getByTestId("member-add-button").click();
    await admin.locator(`[data-testid="member-row"][data-user-id="${octoId}"][data-role="member"]`).waitFor();

    // Octo's page notices the approval ("Check again"), and the project is theirs to open.
    await octo.getByTestId("account-check-button").click();
    await octo.getByTestId("project-link").first().waitFor();
    await octo.goto(`${stack.url}${sessionPath}`);
    await octo.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
    expect(await octo.getByTestId("project-role").innerText()).toBe("member");
    // Both are listed as online in each other's project header.
    for (const page of [admin, octo]) {
      for (const id of [adminId, octoId]) await page.locator(`[data-testid="presence-user"][data-user-id="${id}"]`).waitFor();
    }

    // Each sees the other's message live, under the writer's name.
    await admin.getByTestId("chat-input").fill("hello Octo, welcome aboard");
    await admin.getByTestId("chat-send-button").click();
    const fromAdmin = octo.getByTestId("chat-message").filter({ hasText: "hello Octo, welcome aboard" });
    await fromAdmin.waitFor();
    expect(await fromAdmin.getAttribute("data-author-id")).toBe(adminId);
    expect(await fromAdmin.getByTestId("chat-message-author").innerText()).toBe("local");

    await octo.getByTestId("chat-input").fill("thanks, glad to be here");
    await octo.getByTestId("chat-send-button").click();
    const fromOcto = admin.getByTestId("chat-message").filter({ hasText: "thanks, glad to be here" });
    await fromOcto.waitFor();
    expect(await fromOcto.getAttribute("data-author-id")).toBe(octoId);
    expect(await fromOcto.getAttribute("data-author-kind")).toBe("user");
    expect(await fromOcto.getByTestId("chat-message-author").innerText()).toBe("Octo Cat");
    // Octo's own message is marked as theirs on their page, the admin's is not.
    await octo.getByTestId("chat-message").filter({ hasText: "thanks, glad to be here" }).and(octo.locator(".message-mine")).waitFor();
    expect(await octo.locator(".message-mine").count()).toBe(1);
    await octo.screenshot({ path: resolve(artifacts, "people-chat-octo.png"), fullPage: true });
    await admin.screenshot({ path: resolve(artifacts, "people-chat-admin.png"), fullPage: true });
    await octoContext.close();
    await admin.context().close();
  });

  it("shows who is online in the project header, and drops someone who leaves", async () => {
    const added = await call<{ user: Me; token: string }>(stack, "/api/admin/users", { json: { name: "Olive Online" } });
    const { projectId, sessionId } = await projectWithSession(`presence project ${Date.now()}`);
    await call(stack, `/api/projects/${projectId}/members`, { json: { userId: added.user.id, role: "member" } });
    const admin = await signedInPage(browser, stack);
    await admin.goto(`${stack.url}/projects/${projectId}/sessions/${sessionId}`);
    await admin.locator(`[data-testid="presence-user"][data-user-id="${adminId}"]`).waitFor();
    const olive = await signedInPage(browser, stack, undefined, added.token);
    await olive.goto(`${stack.url}/projects/${projectId}/sessions/${sessionId}`);
    const oliveOnline = admin.locator(`[data-testid="presence-user"][data-user-id="${added.user.id}"]`);
    await oliveOnline.waitFor();
    expect(await oliveOnline.innerText()).toContain("Olive Online");
    await olive.context().close();
    await oliveOnline.waitFor({ state: "detached" });
    await admin.context().close();
  });

  it("makes a token shown once with a copy button, lists it and revokes it; the API then refuses it; sign-out ends the cookie", async () => {
    const page = await signedInPage(browser, stack);
    const context = page.context();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    // The browser's sign-in is an HttpOnly cookie: nothing for scripts, nothing in storage.
    expect((await context.cookies(stack.url)).find((c) => c.name === "sam_session")).toMatchObject({ httpOnly: true, sameSite: "Lax" });
    expect(await page.evaluate(() => document.cookie)).not.toContain("sam_session");
    expect(await page.evaluate(() => JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage }))).not.toContain(stack.token);

    await page.getByTestId("nav-tokens").click();
    await page.waitForURL(`${stack.url}/tokens`);
    expect(await page.getByTestId("my-user-id").innerText()).toBe(adminId);
    const name = `e2e token ${Date.now()}`;
    await page.getByTestId("token-name-input").fill(name);
    await page.getByTestId("token-lifetime-select").selectOption("30");
    await page.getByTestId("token-create-button").click();
    const secret = await page.getByTestId("secret-value").inputValue();
    expect(secret).toMatch(/^sam_pat_/);
    await page.getByTestId("secret-copy-button").click();
    await page.getByTestId("secret-copy-button").filter({ hasText: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    expect(await page.getByTestId("secret-once").innerText()).toContain("will not be shown again");
    await page.screenshot({ path: resolve(artifacts, "people-token-once.png"), fullPage: true });
    expect(await meStatus(secret)).toBe(200);

    // Listed (with its expiry), never shown again: not after dismissing, not after a reload.
    const row = page.getByTestId("token-row").filter({ hasText: name });
    await row.waitFor();
    expect(await row.innerText()).toContain("expires");
    await page.getByTestId("secret-dismiss-button").click();
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(secret);

    // Revoke (after the confirm): gone from the list, refused by the API from then on.
    page.once("dialog", (dialog) => void dialog.accept());
    await row.getByTestId("token-revoke-button").click();
    await row.waitFor({ state: "detached" });
    expect(await meStatus(secret)).toBe(401);
    const listed = await call<{ tokens: { name: string }[] }>(stack, "/api/tokens");
    expect(listed.tokens.map((t) => t.name)).not.toContain(name);

    // Signing out ends this browser's sign-in on the server, not only on the page.
    await page.getByTestId("sign-out-button").click();
    await page.getByTestId("signed-out-page").waitFor();
    expect((await context.request.get(`${stack.url}/api/me`)).status()).toBe(401);
    await context.close();
  });

  it("approves a CLI's device sign-in: signed out, the visitor signs in with GitHub and comes back to the code", async () => {
    const asked = await fetch(`${stack.url}/api/auth/device/code`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: "sam-cli" }),
    });
    expect(asked.status).toBe(200);
    const pair = (await asked.json()) as { device_code: string; user_code: string; verification_uri: string; verification_uri_complete: string; interval: number; expires_in: number };
    expect(pair.verification_uri).toBe(`${stack.url}/device`);

    // The CLI polls as RFC 8628 §3.4-3.5 says: every `interval` s, 5 s more after a slow_down.
    const polls: string[] = [];
    const cli = (async () => {
      let intervalS = pair.interval;
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, intervalS * 1000));
        const response = await fetch(`${stack.url}/api/auth/device/token`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: pair.device_code, client_id: "sam-cli" }),
        });
        const body = (await response.json()) as { access_token?: string; token_type?: string; error?: string };
        polls.push(body.error ?? "token");
        if (response.status === 200) return body;
        if (body.error === "slow_down") intervalS += 5;
        else if (body.error !== "authorization_pending") throw new Error(`device token refused: ${JSON.stringify(body)}`);
      }
      throw new Error(`no token before the deadline; polls: ${polls.join(", ")}`);
    })();

    // Someone new opens the link signed out, signs in with GitHub: pending at first.
    await githubIdentity({ id: 5151, login: "devi", name: "Devi Ce" });
    const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    const page = await context.newPage();
    await page.goto(pair.verification_uri_complete);
    await page.getByTestId("signed-out-page").waitFor();
    await signInWithGitHub(page);
    await page.getByTestId("account-pending").waitFor();
    const deviId = (await page.getByTestId("account-user-id").innerText()).trim();
    await call(stack, `/api/admin/users/${deviId}/approve`, { method: "POST" });

    // Approved, the page goes on to the code it was opened for.
    await page.getByTestId("account-check-button").click();
    await page.waitForURL(`${stack.url}/device?user_code=${encodeURIComponent(pair.user_code)}`);
    expect(await page.getByTestId("device-user-code").innerText()).toBe(pair.user_code);
    expect(await page.getByTestId("device-approval").innerText()).toContain("sam-cli");
    await page.screenshot({ path: resolve(artifacts, "people-device-ask.png"), fullPage: true });
    await page.getByTestId("device-approve-button").click();
    await page.getByTestId("device-result").waitFor();
    expect(await page.getByTestId("device-result").innerText()).toContain("You can close this window; the CLI is signed in");
    await page.screenshot({ path: resolve(artifacts, "people-device-done.png"), fullPage: true });

    const granted = await cli;
    expect(granted.token_type).toBe("Bearer");
    expect(polls[polls.length - 1]).toBe("token");
    const me = await call<{ user: Me }>(stack, "/api/me", { token: granted.access_token });
    expect(me.user).toMatchObject({ id: deviId, name: "Devi Ce", status: "active" });

    // A second visit of the same code says it is done; a wrong code is said to be unknown.
    await page.reload();
    await page.getByTestId("device-result").waitFor();
    await page.goto(`${stack.url}/device`);
    await page.getByTestId("device-code-input").fill("bcdf-ghjk");
    await page.getByTestId("device-code-submit-button").click();
    await page.waitForURL(`${stack.url}/device?user_code=BCDF-GHJK`);
    expect(await page.getByTestId("device-error").innerText()).toContain("unknown or has expired");
    await context.close();
  });

  it("shows a viewer the project read-only, applies a new role live, and tells a removed member they lost access", async () => {
    const added = await call<{ user: Me; token: string }>(stack, "/api/admin/users", { json: { name: "Vera Viewer" } });
    const vera = added.user;
    const { projectId, sessionId } = await projectWithSession(`viewer project ${Date.now()}`);
    await call(stack, `/api/projects/${projectId}/members`, { json: { userId: vera.id, role: "viewer" } });

    const page = await signedInPage(browser, stack, { width: 1280, height: 860 }, added.token);
    await page.goto(`${stack.url}/projects/${projectId}/sessions/${sessionId}`);
    await page.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
    await page.getByTestId("project-role").filter({ hasText: /^viewer$/ }).waitFor();
    await page.getByTestId("read-only-notice").first().waitFor();
    for (const testId of ["chat-input", "session-create-button", "settings-toggle", "task-prompt-input"]) {
      expect(await page.getByTestId(testId).count(), testId).toBe(0);
    }
    await page.getByTestId("tab-missions").click();
    expect(await page.getByTestId("new-mission-toggle").count()).toBe(0);
    await page.getByTestId("tab-tasks").click();
    // A viewer still reads the chat live.
    await call(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages`, { json: { text: "for your eyes only" } });
    await page.getByTestId("chat-message").filter({ hasText: "for your eyes only" }).waitFor();
    await page.getByTestId("members-toggle").click();
    await page.locator(`[data-testid="member-row"][data-user-id="${vera.id}"]`).waitFor();
    expect(await page.getByTestId("member-add-button").count()).toBe(0);
    expect(await page.getByTestId("member-remove-button").count()).toBe(0);
    await page.screenshot({ path: resolve(artifacts, "people-viewer.png"), fullPage: true });

    // Made a member while the page is open: the server closes the socket (4003), the page
    // re-checks, reconnects with the new role and offers writing.
    await call(stack, `/api/projects/${projectId}/members`, { json: { userId: vera.id, role: "member" } });
    await page.getByTestId("project-role").filter({ hasText: /^member$/ }).waitFor();
    await page.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
    await page.getByTestId("chat-input").fill("now I can write");
    await page.getByTestId("chat-send-button").click();
    await pollUntil(
      "Vera's message to be stored",
      () => call<{ messages: { text: string; author: { id: string } }[] }>(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages`),
      (body) => body.messages.some((m) => m.text === "now I can write" && m.author.id === vera.id),
    );

    // Removed while the page is open: the live connection ends and the page says so.
    await call(stack, `/api/projects/${projectId}/members/${vera.id}`, { method: "DELETE" }, [204]);
    await page.getByTestId("project-access-lost").waitFor();
    expect(await page.getByTestId("connection-status").count()).toBe(0);
    expect(await page.getByTestId("chat-message").count()).toBe(0);
    await page.screenshot({ path: resolve(artifacts, "people-removed.png"), fullPage: true });
    await page.context().close();
  });

  it("shows someone suspended while their project page is open that their account is suspended, with a way to sign out", async () => {
    const added = await call<{ user: Me; token: string }>(stack, "/api/admin/users", { json: { name: "Sus Pended" } });
    const { projectId, sessionId } = await projectWithSession(`suspend project ${Date.now()}`);
    await call(stack, `/api/projects/${projectId}/members`, { json: { userId: added.user.id, role: "member" } });
    const page = await signedInPage(browser, stack, undefined, added.token);
    await page.goto(`${stack.url}/projects/${projectId}/sessions/${sessionId}`);
    await page.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();

    await call(stack, `/api/admin/users/${added.user.id}/suspend`, { method: "POST" });
    await page.getByTestId("account-suspended").waitFor();
    expect(await page.getByTestId("chat-input").count()).toBe(0);
    await page.screenshot({ path: resolve(artifacts, "people-suspended.png"), fullPage: true });
    await page.getByTestId("sign-out-button").click();
    await page.getByTestId("signed-out-page").waitFor();
    expect((await page.context().request.get(`${stack.url}/api/me`)).status()).toBe(401);
    await page.context().close();
  });
});
