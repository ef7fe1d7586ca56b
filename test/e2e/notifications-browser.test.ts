/**
 * Notifications in headless Chromium against the stack started as `npm start` starts it:
 *   1. the top bar's bell shows the unread count live: a scripted task started through the API
 *      succeeds and the count goes up without a reload (the per-user socket); the list shows it
 *      (its body rendered as sanitised Markdown) and links to `/tasks/<id>`; opening it marks it
 *      read and the count goes down; "Mark all read" clears the rest;
 *   2. browser push, proved in two real halves joined by the test, since Chromium's own push
 *      service cannot be pointed at a local server (headless Chromium here refuses
 *      `pushManager.subscribe` outright: "Registration failed - permission denied"):
 *      (a) the settings page registers `/sw.js` and its service worker is active; the test
 *          registers with SAM a subscription whose endpoint is a local HTTP server it runs (standing
 *          in for the browser vendor's push service) with keys it made (ECDH P-256 and a 16-byte
 *          auth secret), a scripted task ends, and SAM sends a real Web Push request there: the
 *          test checks its VAPID `Authorization` (RFC 8292: the ES256 token verified with the key
 *          `GET /api/push/vapid-public-key` gives) and decrypts its body with `http_ece` (by its
 *          `Content-Encoding`: RFC 8291's aes128gcm, or the older aesgcm that SAM's push library
 *          sends today) to the payload `{title, body, link, id, kind}`;
 *      (b) the test hands that decrypted payload to the real registered service worker with the
 *          Chrome DevTools Protocol (`ServiceWorker.deliverPushMessage`), and the page's
 *          `registration.getNotifications()` then holds the notification the worker showed;
 *   3. the settings card saves the push kinds and an outgoing webhook, and shows the server's
 *      refusal of a bad URL.
 * Screenshots are kept in test-artifacts/.
 */
import { createECDH, createPublicKey, randomBytes, verify } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NotificationSettings } from "../../src/shared/notification.ts";
import { pollUntil } from "../support/poll.ts";
import { launchChromium, signedInPage } from "./chromium.ts";
import { call, startStack, waitForTaskEnd, type Stack } from "./stack.ts";

/** `http_ece` (the encrypted content-encoding of RFC 8188/8291) ships no types: the one call used. */
const ece = createRequire(import.meta.url)("http_ece") as {
  decrypt(body: Buffer, params: { version: "aes128gcm"; privateKey: ReturnType<typeof createECDH>; authSecret: Buffer }): Buffer;
};

/**
 * Decrypts a Web Push request's body as the receiving browser would: RFC 8291's `aes128gcm`
 * (RFC 8188: the salt and the sender's key in the body's header).
 * @throws Error for any other `Content-Encoding`.
 */
function decryptPush(push: { headers: IncomingHttpHeaders; body: Buffer }, receiver: ReturnType<typeof createECDH>, authSecret: Buffer): string {
  const encoding = push.headers["content-encoding"];
  if (encoding !== "aes128gcm") throw new Error(`not RFC 8291's aes128gcm: ${String(encoding)}`);
  return ece.decrypt(push.body, { version: "aes128gcm", privateKey: receiver, authSecret }).toString("utf8");
}

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
let stack: Stack;
let browser: Browser;
let projectId: string;

type NotificationPage = { notifications: { id: string; kind: string; link: string; title: string; readAt: string | null }[]; unreadCount: number };

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  stack = await startStack();
  browser = await launchChromium();
  projectId = (await call<{ id: string }>(stack, "/api/projects", { json: { name: `notifications ${Date.now()}` } })).id;
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Starts a scripted task that answers `summary` at once (it succeeds); returns its id. */
async function scriptedTask(prompt: string, summary: string): Promise<string> {
  const task = await call<{ id: string }>(stack, `/api/projects/${projectId}/tasks`, { json: { prompt, model: "scripted", script: [{ text: summary }] } });
  return task.id;
}

/** The bell of `page` once its accessible name is `label`. */
async function bellWithLabel(page: Page, label: string) {
  const bell = page.locator(`[data-testid="notification-bell"][aria-label="${label}"]`);
  await bell.waitFor({ timeout: 20_000 });
  return bell;
}

describe("notifications in the browser", () => {
  it("shows the unread count live in the top bar, lists the notification with its link, and marks read", async () => {
    await call(stack, "/api/notifications/read", { json: { all: true } });
    const page = await signedInPage(browser, stack);
    await bellWithLabel(page, "Notifications");
    // Anything that reloads the page would lose this.
    await page.evaluate(() => ((window as unknown as { samMarker: string }).samMarker = "same page"));

    const prompt = `notify me ${Date.now()}`;
    const taskId = await scriptedTask(prompt, "All done: **tests pass** <img src=x onerror=\"window.samPwned=1\">");
    expect((await waitForTaskEnd(stack, taskId)).status).toBe("succeeded");
    const bell = await bellWithLabel(page, "Notifications, 1 unread");
    expect(await bell.getAttribute("data-unread")).toBe("1");
    expect(await page.getByTestId("notification-unread-count").innerText()).toBe("1");
    expect(await page.evaluate(() => (window as unknown as { samMarker?: string }).samMarker)).toBe("same page");
    await page.screenshot({ path: resolve(artifacts, "notifications-bell.png") });

    // The list: the task's notification, unread, linking to the task, its body rendered safely.
    await bell.click();
    await page.waitForURL(`${stack.url}/notifications`);
    const item = page.getByTestId("notification-item").filter({ hasText: prompt });
    await item.and(page.locator('[data-read="false"][data-kind="task.succeeded"]')).waitFor();
    expect(await item.getByTestId("notification-link").getAttribute("href")).toBe(`/tasks/${taskId}`);
    expect(await item.getByTestId("notification-link").innerText()).toBe(`Task "${prompt}" succeeded`);
    expect(await item.getByTestId("notification-body").locator("strong").innerText()).toBe("tests pass");
    expect(await item.locator("img[onerror]").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { samPwned?: number }).samPwned)).toBeUndefined();
    expect(await item.locator("time").innerText()).toMatch(/just now|minute/);
    await page.screenshot({ path: resolve(artifacts, "notifications-list.png"), fullPage: true });

    // Opening it goes to the task and marks it read: the count goes down, here and on the server.
    await item.getByTestId("notification-link").click();
    await page.waitForURL(`${stack.url}/tasks/${taskId}`);
    await bellWithLabel(page, "Notifications");
    expect((await call<NotificationPage>(stack, "/api/notifications?unread=1")).unreadCount).toBe(0);

    // Two more arrive while the list is open; "Mark all read" clears both.
    await page.getByTestId("notification-bell").click();
    await page.waitForURL(`${stack.url}/notifications`);
    const more = [await scriptedTask(`second ${prompt}`, "two"), await scriptedTask(`third ${prompt}`, "three")];
    for (const id of more) expect((await waitForTaskEnd(stack, id)).status).toBe("succeeded");
    await bellWithLabel(page, "Notifications, 2 unread");
    expect(await page.locator('[data-testid="notification-item"][data-read="false"]').count()).toBe(2);
    await page.getByTestId("notifications-mark-all").click();
    await bellWithLabel(page, "Notifications");
    expect(await page.locator('[data-testid="notification-item"][data-read="false"]').count()).toBe(0);
    expect((await call<NotificationPage>(stack, "/api/notifications?unread=1")).unreadCount).toBe(0);
    await page.context().close();
  });

  it("pushes through a local push endpoint to the real service worker, which shows the notification", async () => {
    // A local push service: records each request and answers 201 Created (RFC 8030 §5).
    const received: { path: string; headers: IncomingHttpHeaders; body: Buffer }[] = [];
    const pushService: Server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        received.push({ path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
        response.writeHead(201).end();
      });
    });
    await new Promise<void>((done) => pushService.listen(0, "127.0.0.1", done));
    const port = (pushService.address() as { port: number }).port;
    try {
      const page = await signedInPage(browser, stack);
      const context = page.context();
      // (a) The page registers /sw.js. Notifications allowed for SAM's origin through CDP, as a person would.
      const cdp = await context.newCDPSession(page);
      const { targetInfo } = (await cdp.send("Target.getTargetInfo")) as { targetInfo: { browserContextId: string } };
      const browserCdp = await browser.newBrowserCDPSession();
      await browserCdp.send("Browser.grantPermissions", { origin: stack.url, permissions: ["notifications"], browserContextId: targetInfo.browserContextId });
      const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
      cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => registrations.push(...(event as { registrations: typeof registrations }).registrations));
      await cdp.send("ServiceWorker.enable");

      await page.goto(`${stack.url}/settings`);
      await page.locator('[data-testid="push-status"][data-state="off"]').waitFor();
      await page.getByTestId("push-enable-button").click();
      // Headless Chromium has no push service of its own: it refuses the subscription, and the page says so.
      const refusal = page.getByTestId("push-error");
      await refusal.waitFor();
      expect(await refusal.innerText()).toContain("The browser's push service refused the subscription");
      expect((await call<{ subscriptions: unknown[] }>(stack, "/api/me/push-subscriptions")).subscriptions).toEqual([]);
      // ...but the service worker is registered at the root and active.
      const worker = await page.evaluate(async () => {
        const registration = await navigator.serviceWorker.ready;
        return { scope: registration.scope, script: registration.active?.scriptURL, state: registration.active?.state };
      });
      expect(worker).toEqual({ scope: `${stack.url}/`, script: `${stack.url}/sw.js`, state: "activated" });
      await page.screenshot({ path: resolve(artifacts, "notifications-settings.png"), fullPage: true });

      // The test's own subscription: the local push service, with keys made here.
      const receiver = createECDH("prime256v1");
      receiver.generateKeys();
      const authSecret = randomBytes(16);
      const endpoint = `http://127.0.0.1:${port}/push/e2e-${Date.now()}`;
      const stored = await call<{ id: string; endpoint: string }>(
        stack,
        "/api/me/push-subscriptions",
        { json: { endpoint, expirationTime: null, keys: { p256dh: receiver.getPublicKey().toString("base64url"), auth: authSecret.toString("base64url") } } },
        [201],
      );
      expect(stored.endpoint).toBe(endpoint);
      const settings = await call<NotificationSettings>(stack, "/api/me/notification-settings");
      expect(settings.push.kinds).toContain("task.succeeded");

      const prompt = `push me ${Date.now()}`;
      const taskId = await scriptedTask(prompt, "Pushed: the build is green.");
      expect((await waitForTaskEnd(stack, taskId)).status).toBe("succeeded");
      type Received = (typeof received)[number];
      const push = await pollUntil(
        "a push request at the local push service",
        () => received.find((r) => r.path === new URL(endpoint).pathname),
        (r): r is Received => r !== undefined,
        { timeoutMs: 20_000, show: () => received.map((r) => r.path) },
      );

      // The request is a Web Push request (RFC 8030/8291/8292).
      expect(["aes128gcm", "aesgcm"]).toContain(push.headers["content-encoding"]);
      expect(Number(push.headers.ttl)).toBeGreaterThan(0);
      const vapidKey = (await call<{ publicKey: string }>(stack, "/api/push/vapid-public-key")).publicKey;
      const authorization = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(push.headers.authorization));
      expect(authorization, String(push.headers.authorization)).not.toBeNull();
      const [, jwt, k] = authorization!;
      expect(k).toBe(vapidKey);
      const [header64, claims64, signature64] = jwt.split(".");
      expect(JSON.parse(Buffer.from(header64, "base64url").toString())).toMatchObject({ alg: "ES256" });
      const raw = Buffer.from(vapidKey, "base64url");
      const publicKey = createPublicKey({ key: { kty: "EC", crv: "P-256", x: raw.subarray(1, 33).toString("base64url"), y: raw.subarray(33, 65).toString("base64url") }, format: "jwk" });
      expect(verify("sha256", Buffer.from(`${header64}.${claims64}`), { key: publicKey, dsaEncoding: "ieee-p1363" }, Buffer.from(signature64, "base64url"))).toBe(true);
      const claims = JSON.parse(Buffer.from(claims64, "base64url").toString()) as { aud: string; exp: number; sub: string };
      // The audience is the push service's origin (SAM builds a loopback http: endpoint's request as its https: twin).
      expect(claims.aud).toBe(`https://127.0.0.1:${port}`);
      expect(claims.exp * 1000).toBeGreaterThan(Date.now());
      expect(claims.exp * 1000).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
      expect(claims.sub).toMatch(/^(mailto:|https:)/);

      const payloadText = decryptPush(push, receiver, authSecret);
      const payload = JSON.parse(payloadText) as { title: string; body: string; link: string; id: string; kind: string };
      expect(payload).toMatchObject({ title: `Task "${prompt}" succeeded`, body: "Pushed: the build is green.", link: `/tasks/${taskId}`, kind: "task.succeeded" });
      const listed = await call<NotificationPage>(stack, "/api/notifications");
      expect(listed.notifications.find((n) => n.id === payload.id)).toMatchObject({ link: `/tasks/${taskId}` });

      // (b) The decrypted payload, delivered to the real service worker through CDP, is shown.
      const registration = await pollUntil(
        "the service worker's registration in CDP",
        () => registrations.find((r) => r.scopeURL === `${stack.url}/` && !r.isDeleted),
        (r): r is (typeof registrations)[number] => r !== undefined,
        { show: () => registrations },
      );
      const notifications = () =>
        page.evaluate(async () => (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({ title: n.title, body: n.body, tag: n.tag, data: n.data as unknown })));
      // Once in a clean-clone CI run a delivery showed nothing within 10 s (cause not found; the
      // worker was registered and ready). A push service redelivers what was not acknowledged,
      // so the test delivers again, up to four times, until one is shown.
      let shown: Awaited<ReturnType<typeof notifications>> = [];
      for (let attempt = 1; shown.length === 0; attempt++) {
        await cdp.send("ServiceWorker.deliverPushMessage", { origin: stack.url, registrationId: registration.registrationId, data: payloadText });
        try {
          shown = await pollUntil("the pushed notification shown by the service worker", notifications, (list) => list.length > 0, { timeoutMs: 5_000 });
        } catch (error) {
          if (attempt === 4) throw error;
        }
      }
      expect(shown).toEqual([{ title: `Task "${prompt}" succeeded`, body: "Pushed: the build is green.", tag: payload.id, data: { link: `/tasks/${taskId}` } }]);

      await call(stack, `/api/me/push-subscriptions/${stored.id}`, { method: "DELETE" }, [204]);
      await browserCdp.detach();
      await context.close();
    } finally {
      await new Promise<void>((done) => pushService.close(() => done()));
    }
  });

  it("saves the push kinds and an outgoing webhook in the settings, and shows a refused URL", async () => {
    const page = await signedInPage(browser, stack);
    await page.goto(`${stack.url}/settings`);
    const card = page.getByTestId("notification-settings");
    await card.getByTestId("notification-settings-save").waitFor();

    // A URL the server refuses (not https, not loopback): its message is shown, nothing is stored.
    await card.getByTestId("webhook-url-input").fill("http://example.com/hook");
    await card.getByTestId("notification-settings-save").click();
    const error = card.getByTestId("notification-settings-error");
    await error.waitFor();
    expect(await error.innerText()).toMatch(/webhook\.url must be https/);
    expect((await call<NotificationSettings>(stack, "/api/me/notification-settings")).webhook.url).toBeNull();

    await card.getByTestId("push-kind-chat.mention").uncheck();
    await card.getByTestId("webhook-url-input").fill("https://hooks.example.com/sam");
    await card.getByTestId("webhook-kind-task.succeeded").uncheck();
    await card.getByTestId("notification-settings-save").click();
    await card.getByTestId("notification-settings-saved").waitFor();
    const saved = await call<NotificationSettings>(stack, "/api/me/notification-settings");
    expect(saved.push.kinds).not.toContain("chat.mention");
    expect(saved.push.kinds).toContain("task.succeeded");
    expect(saved.webhook).toEqual({ url: "https://hooks.example.com/sam", kinds: ["task.failed", "task.waiting", "mission.ended", "chat.mention", "trigger.failed"] });

    // Back after a reload, as stored.
    await page.reload();
    await expect.poll(() => card.getByTestId("webhook-url-input").inputValue()).toBe("https://hooks.example.com/sam");
    expect(await card.getByTestId("push-kind-chat.mention").isChecked()).toBe(false);
    expect(await card.getByTestId("webhook-kind-task.succeeded").isChecked()).toBe(false);
    await page.screenshot({ path: resolve(artifacts, "notifications-settings-saved.png"), fullPage: true });
    await call(stack, "/api/me/notification-settings", { method: "PUT", json: { push: { kinds: saved.push.kinds.concat("chat.mention") }, webhook: { url: null, kinds: saved.webhook.kinds } } });
    await page.context().close();
  });
});
