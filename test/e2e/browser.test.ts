/**
 * The UI in headless Chromium (playwright-core driving Debian's chromium) against the stack
 * started as `npm start` starts it: sign in through the login link, create a project, chat
 * between two browser contexts, start a scripted task and watch it succeed. Screenshots are
 * kept in test-artifacts/.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, signedInPage } from "./chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "./stack.ts";

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  stack = await startStack();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the UI", () => {
  it("signs in, chats live across two browsers, and runs a scripted task", async () => {
    const alice = await signedInPage(browser, stack);
    const projectName = `browser project ${Date.now()}`;
    await alice.getByTestId("project-name-input").fill(projectName);
    await alice.getByTestId("project-create-button").click();
    await alice.getByTestId("project-link").filter({ hasText: projectName }).click();
    await alice.getByTestId("session-create-button").click();
    await alice.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
    await alice.waitForURL(/\/projects\/prj_[0-9A-Z]+\/sessions\/ses_[0-9A-Z]+$/);

    const bob = await signedInPage(browser, stack);
    await bob.goto(alice.url());
    await bob.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();

    await alice.getByTestId("chat-input").fill("hello from alice's browser");
    await alice.getByTestId("chat-send-button").click();
    await bob.getByTestId("chat-message").filter({ hasText: "hello from alice's browser" }).waitFor();
    expect(await bob.getByTestId("chat-message").count()).toBe(1);

    await alice.getByTestId("task-prompt-input").fill("Create a greeting file and show it");
    await alice.getByTestId("task-script-input").fill(
      JSON.stringify([
        { toolCalls: [{ toolName: "write_file", input: { path: "hello.txt", content: "hello from the browser test\n" } }] },
        { toolCalls: [{ toolName: "bash", input: { command: "cat hello.txt" } }] },
        { text: "Wrote hello.txt." },
      ]),
    );
    await alice.getByTestId("task-start-button").click();
    // Bob sees the task reach succeeded live, without reloading.
    await bob.getByTestId("task-row").filter({ hasText: "succeeded" }).waitFor({ timeout: 30_000 });
    await alice.getByTestId("task-row").filter({ hasText: "succeeded" }).click();
    await alice.getByTestId("task-status").filter({ hasText: /^succeeded$/ }).waitFor();
    await expect.poll(() => alice.getByTestId("tool-call-card").count()).toBe(2);
    expect(await alice.getByTestId("tool-call-card").nth(1).innerText()).toContain("hello from the browser test");
    await alice.screenshot({ path: resolve(artifacts, "ui-task.png"), fullPage: true });
    await bob.screenshot({ path: resolve(artifacts, "ui-chat.png"), fullPage: true });

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const mobile = await phone.newPage();
    await mobile.goto(`${stack.url}/login#token=${stack.token}`);
    await mobile.waitForURL(`${stack.url}/`);
    await mobile.goto(alice.url());
    await mobile.getByTestId("tool-call-card").first().waitFor();
    await mobile.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
    await mobile.screenshot({ path: resolve(artifacts, "ui-task-phone.png"), fullPage: true });
  });
});
