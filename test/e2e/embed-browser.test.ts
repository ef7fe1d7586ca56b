/**
 * The embeddable agent against the started stack, in headless Chromium: a host page served from
 * another origin (a small HTTP server on another loopback port, with its own CSS) loads
 * `<script type=module src="<SAM>/embed.js">` and a `<sam-agent>` with an embed token minted for
 * that origin. The visitor writes; their message and the tech lead's streamed reply (the
 * `scripted` model, Markdown rendered) appear live; a task started through the API appears in the
 * widget's task list and changes live; a token without `chat:write` shows the history read-only
 * with no composer; the host page's styles are unchanged and its selectors do not reach the
 * widget; the widget follows a dark scheme (emulated) and the host's `color-scheme`, and fits a
 * phone's width. Also: a Node program imports `sam/client` by the package's name and receives a
 * live frame. Screenshots are kept in test-artifacts/.
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import type { Browser, Page, WebSocketRoute } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./chromium.ts";
import { call, freePort, startStack, type Stack } from "./stack.ts";

const root = resolve(import.meta.dirname, "../..");
const artifacts = resolve(root, "test-artifacts");
/** How long a live change may take to show: generous, the machine is small and runs workerd. */
const LIVE = { timeout: 60_000 };
const REPLY = "**Hello**, visitor: I am the tech lead.";

let stack: Stack;
let browser: Browser;
let hostServer: Server;
let hostOrigin: string;
/** The host site's pages by path, set by each test. */
const pages = new Map<string, string>();

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  stack = await startStack();
  browser = await launchChromium();
  const port = await freePort();
  hostOrigin = `http://127.0.0.1:${port}`;
  hostServer = createServer((request, response) => {
    const page = pages.get(new URL(request.url ?? "/", hostOrigin).pathname);
    response.writeHead(page ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    response.end(page ?? "not found");
  });
  await new Promise<void>((done) => hostServer.listen(port, "127.0.0.1", done));
});

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => hostServer?.close(done));
  await stack?.stop();
});

/** A project with a tech-lead session whose scripted tech lead answers REPLY. */
async function projectWithLead(name: string): Promise<{ projectId: string; sessionId: string }> {
  const project = await call<{ id: string }>(stack, "/api/projects", { json: { name } });
  await call(stack, `/api/projects/${project.id}`, { method: "PATCH", json: { techLead: { model: "scripted", script: [{ text: REPLY }] } } });
  const session = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "help", kind: "tech-lead" } });
  return { projectId: project.id, sessionId: session.id };
}

/** Mints an embed token as an app's backend does (with a PAT), for the host site's origin. */
async function mint(projectId: string, sessionId: string, capabilities: string[]): Promise<string> {
  const minted = await call<{ token: string }>(stack, `/api/projects/${projectId}/embed-tokens`, { json: { name: "Visitor", capabilities, sessionId, origins: [hostOrigin], expiresInMinutes: 30 } });
  return minted.token;
}

/**
 * A host page at `path` with its own styles (a `p` colour, a `.message` background, a font) and a
 * `<sam-agent>`; `embed.js` is added by `loadWidget`, so styles can be read before and after.
 */
function hostPage(path: string, attributes: { projectId: string; sessionId: string; token: string }, extraCss = ""): string {
  pages.set(
    path,
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Host app</title>
<style>
  body { font-family: Georgia, serif; font-size: 18px; margin: 16px; }
  p { color: rgb(1, 2, 3); margin: 7px; }
  .message { background-color: rgb(4, 5, 6); color: rgb(250, 250, 250); padding: 3px; }
  button, textarea { font-family: "Courier New", monospace; }
  sam-agent { height: 560px; }
  ${extraCss}
</style></head><body>
<p id="host-p">The host app's own paragraph.</p>
<div class="message" id="host-message">The host app's own message box.</div>
<sam-agent project="${attributes.projectId}" token="${attributes.token}" session="${attributes.sessionId}" host="${stack.url}" title="Ask our agent"></sam-agent>
</body></html>`,
  );
  return `${hostOrigin}${path}`;
}

/** Loads the widget's module from SAM's origin into `page` (as the snippet's `<script type=module>` does) and waits until it is live. */
async function loadWidget(page: Page): Promise<void> {
  await page.evaluate((src) => {
    const script = document.createElement("script");
    script.type = "module";
    script.src = src;
    document.head.appendChild(script);
  }, `${stack.url}/embed.js`);
  await page.locator("sam-agent .status").filter({ hasText: "Live" }).waitFor(LIVE);
}

/** The computed styles of the host's own elements that the widget must leave alone. */
function hostStyles(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const out: Record<string, string> = {};
    for (const selector of ["body", "#host-p", "#host-message"]) {
      const style = getComputedStyle(document.querySelector(selector)!);
      for (const property of ["color", "background-color", "font-family", "font-size", "line-height", "margin-top", "padding-top", "color-scheme"]) out[`${selector} ${property}`] = style.getPropertyValue(property);
    }
    return out;
  });
}

describe("<sam-agent> on another origin's page", () => {
  it("chats live: the visitor's message and the tech lead's streamed reply; tasks appear and change live; host styles untouched", async () => {
    const { projectId, sessionId } = await projectWithLead("embed chat");
    const token = await mint(projectId, sessionId, ["chat:read", "chat:write", "tasks:read"]);
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 }, colorScheme: "light" });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(String(error)));
    await page.goto(hostPage("/chat", { projectId, sessionId, token }));
    const before = await hostStyles(page);
    expect(before["#host-p color"]).toBe("rgb(1, 2, 3)");
    await loadWidget(page);

    // Every draft node the widget adds is recorded: the reply must be seen while it streams.
    await page.evaluate(() => {
      const list = document.querySelector("sam-agent")!.shadowRoot!.querySelector(".messages")!;
      const seen: string[] = [];
      (window as unknown as { drafts: string[] }).drafts = seen;
      new MutationObserver(() => {
        for (const draft of list.querySelectorAll(".message.draft .text")) seen.push(draft.textContent ?? "");
      }).observe(list, { childList: true, subtree: true, characterData: true });
    });

    const widget = page.locator("sam-agent");
    await widget.locator("textarea").fill("Hello from the host page");
    await widget.locator("button[type=submit]").click();
    await widget.locator(".message.mine").filter({ hasText: "Hello from the host page" }).waitFor(LIVE);
    const reply = widget.locator('.message[data-author-kind="tech-lead"]:not(.draft)');
    await reply.filter({ hasText: "visitor: I am the tech lead." }).waitFor(LIVE);
    expect(await reply.locator("strong").first().textContent()).toBe("Hello");
    expect(await widget.locator(".message.draft").count()).toBe(0);
    const drafts = await page.evaluate(() => (window as unknown as { drafts: string[] }).drafts);
    expect(drafts.length, "the reply was shown while it streamed").toBeGreaterThan(0);
    expect(drafts.some((text) => text.length > 0 && !text.includes("I am the tech lead."))).toBe(true);

    // A task submitted through the API appears, waits for an answer, then succeeds: live.
    const task = await call<{ id: string }>(stack, `/api/projects/${projectId}/tasks`, {
      json: { prompt: "Write the greeting\nwith details", script: [{ toolCalls: [{ toolName: "ask_human", input: { question: "Which greeting?" } }] }, { text: "Wrote the **greeting**." }] },
    });
    const row = widget.locator(`.task[data-task-id="${task.id}"]`);
    await widget.locator(`.task[data-task-id="${task.id}"][data-status="waiting"]`).waitFor(LIVE);
    expect(await row.locator(".task-prompt").textContent()).toBe("Write the greeting");
    expect(await row.textContent()).toContain("Which greeting?");
    await page.screenshot({ path: resolve(artifacts, "embed-host-page.png"), fullPage: true });
    await call(stack, `/api/tasks/${task.id}/answer`, { json: { text: "Hello, world" } });
    await widget.locator(`.task[data-task-id="${task.id}"][data-status="succeeded"]`).waitFor(LIVE);
    expect(await row.locator(".task-summary strong").textContent()).toBe("greeting");

    // The host's styles are as they were, and its selectors do not reach into the widget.
    expect(await hostStyles(page)).toEqual(before);
    const inside = await page.evaluate(() => {
      const shadow = document.querySelector("sam-agent")!.shadowRoot!;
      const p = shadow.querySelector(".message p")!;
      const message = shadow.querySelector(".message")!;
      const button = shadow.querySelector("button[type=submit]")!;
      return { p: getComputedStyle(p).color, message: getComputedStyle(message).backgroundColor, font: getComputedStyle(button).fontFamily, host: getComputedStyle(document.querySelector("sam-agent")!).fontFamily };
    });
    expect(inside.p).not.toBe("rgb(1, 2, 3)");
    expect(inside.message).not.toBe("rgb(4, 5, 6)");
    expect(inside.font).not.toContain("Courier");
    expect(inside.host).not.toContain("Georgia");
    expect(problems).toEqual([]);
    await page.screenshot({ path: resolve(artifacts, "embed-chat.png"), fullPage: true });
    await context.close();
  });

  it("a token without chat:write shows the session's history read-only, with no composer and no tasks; it reconnects by itself", async () => {
    const { projectId, sessionId } = await projectWithLead("embed read-only");
    await call(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages`, { json: { text: "Written *before* the visitor came." } });
    await call(stack, `/api/projects/${projectId}/tasks`, { json: { prompt: "hidden task", script: [{ text: "done" }] } });
    const token = await mint(projectId, sessionId, ["chat:read"]);
    const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
    const page = await context.newPage();
    // The project socket passes through Playwright, so the test can drop it as a network would.
    const sockets: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/agents\/project-agent\//, (ws) => {
      ws.connectToServer();
      sockets.push(ws);
    });
    await page.goto(hostPage("/read-only", { projectId, sessionId, token }));
    await loadWidget(page);
    const widget = page.locator("sam-agent");
    await widget.locator(".message").filter({ hasText: "Written before the visitor came." }).waitFor(LIVE);
    expect(await widget.locator(".message em").textContent()).toBe("before");
    await widget.locator(".notice.read-only").waitFor();
    expect(await widget.locator(".notice.read-only").textContent()).toContain("Read only");
    expect(await widget.locator(".composer").isVisible()).toBe(false);
    expect(await widget.locator("textarea").isVisible()).toBe(false);
    expect(await widget.locator(".tasks").isVisible()).toBe(false);
    // Live too: a message posted now appears.
    await call(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages`, { json: { text: "And one while they read." } });
    await widget.locator(".message").filter({ hasText: "And one while they read." }).waitFor(LIVE);
    await page.screenshot({ path: resolve(artifacts, "embed-read-only.png"), fullPage: true });

    // The connection drops: the bar says so, the widget reconnects by itself, and what was said
    // meanwhile comes with the history it asks for again.
    expect(sockets).toHaveLength(1);
    await sockets[0].close({ code: 1012, reason: "test drop" });
    await widget.locator('.status[data-status="reconnecting"]').waitFor(LIVE);
    await call(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages`, { json: { text: "Said during the drop." } });
    await widget.locator('.status[data-status="open"]').waitFor(LIVE);
    await widget.locator(".message").filter({ hasText: "Said during the drop." }).waitFor(LIVE);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    expect(await widget.locator(".message").filter({ hasText: "Written before the visitor came." }).count()).toBe(1);
    await context.close();
  });

  it("follows a dark scheme (the reader's preference, emulated; or the host's color-scheme) and fits a phone", async () => {
    const { projectId, sessionId } = await projectWithLead("embed dark");
    const token = await mint(projectId, sessionId, ["chat:read", "chat:write", "tasks:read"]);
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Emulation.setEmulatedMedia", { features: [{ name: "prefers-color-scheme", value: "dark" }] });
    await page.goto(hostPage("/phone", { projectId, sessionId, token }));
    await loadWidget(page);
    const background = () => page.evaluate(() => getComputedStyle(document.querySelector("sam-agent")!.shadowRoot!.querySelector(".root")!).backgroundColor);
    expect(await background()).toBe("rgb(13, 17, 23)");
    const widget = page.locator("sam-agent");
    await widget.locator("textarea").fill("From my phone");
    await widget.locator("button[type=submit]").click();
    await widget.locator('.message[data-author-kind="tech-lead"]:not(.draft)').waitFor(LIVE);
    // Nothing wider than the phone: the widget, its composer and its messages fit 375 px.
    const widths = await page.evaluate(() => {
      const shadow = document.querySelector("sam-agent")!.shadowRoot!;
      const root = shadow.querySelector(".root")!;
      return { page: document.documentElement.scrollWidth, root: root.scrollWidth, rootClient: root.clientWidth, composer: shadow.querySelector(".composer")!.getBoundingClientRect().right };
    });
    expect(widths.page).toBeLessThanOrEqual(375);
    expect(widths.root).toBeLessThanOrEqual(widths.rootClient);
    expect(widths.composer).toBeLessThanOrEqual(375);
    await page.screenshot({ path: resolve(artifacts, "embed-phone-dark.png"), fullPage: true });

    // Back to a light preference: light; a host page that declares `color-scheme: dark`: dark again.
    await cdp.send("Emulation.setEmulatedMedia", { features: [{ name: "prefers-color-scheme", value: "light" }] });
    await expect.poll(background, LIVE).toBe("rgb(255, 255, 255)");
    await page.goto(hostPage("/host-dark", { projectId, sessionId, token }, ":root { color-scheme: dark; } body { background: #111; }"));
    await loadWidget(page);
    expect(await background()).toBe("rgb(13, 17, 23)");
    await context.close();
  });

  it("serves /embed.js and its lazy chunks to other origins as JavaScript, with CORS", async () => {
    const response = await fetch(`${stack.url}/embed.js`, { headers: { origin: hostOrigin } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("javascript");
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    expect(response.headers.get("cache-control")).toContain("max-age=");
    const code = await response.text();
    expect(code).toContain("sam-agent");
    // Mermaid (megabytes) is not in the main bundle: embed.js imports it lazily from a chunk
    // under /embed/, served the same way.
    expect(code.length).toBeLessThan(400_000);
    const chunk = /import\(\s*[`"'](\.\/embed\/mermaid[^`"']*\.js)[`"']\s*\)/.exec(code)?.[1];
    expect(chunk, "embed.js imports Mermaid lazily from its own chunk").toBeTruthy();
    const lazy = await fetch(new URL(chunk!, `${stack.url}/embed.js`));
    expect(lazy.status).toBe(200);
    expect(lazy.headers.get("access-control-allow-origin")).toBe("*");
    expect(lazy.headers.get("cache-control")).toContain("immutable");
    expect((await fetch(`${stack.url}/embed/not-built.js`)).status).toBe(404);
  });
});

describe("sam/client", () => {
  it("a Node program imports it by the package's name and receives a live frame", async () => {
    const { projectId, sessionId } = await projectWithLead("sam client");
    const child = spawn(resolve(root, "node_modules/.bin/node"), ["test/e2e/sam-client-consumer.ts", stack.url, projectId, stack.token], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((done) => child.once("exit", done));
    await expect.poll(() => output.includes('"type":"welcome"'), LIVE).toBe(true);
    await call(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages`, { json: { text: "to the client" } });
    expect(await exited, output).toBe(0);
    const frames = output.trim().split("\n").map((line) => JSON.parse(line) as { type: string; message?: { text: string } });
    expect(frames.at(-1)).toMatchObject({ type: "chat.message", message: { text: "to the client" } });
  });
});
