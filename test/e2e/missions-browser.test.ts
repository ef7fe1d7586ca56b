/**
 * The missions view in headless Chromium (playwright-core driving Debian's chromium) against
 * the stack started as `npm start` starts it: a mission created through the API while the
 * project page is open shows up, and its tasks' statuses change live (no reload) until the
 * mission succeeds; a task's `ask_human` question appears on top of the page, and answering it
 * there lets the task finish; an open task page shows what the task journals as it happens
 * (it watches the task's events); the tech lead, set up in the settings panel, answers in a
 * tech-lead session with its tool calls as cards, live and in history. Screenshots are kept in test-artifacts/.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium, signedInPage } from "./chromium.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, startStack, type Stack } from "./stack.ts";

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
/** How long a live change may take to show: generous, the machine is small and runs workerd. */
const LIVE = { timeout: 60_000 };
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

/** A signed-in page showing a new project's missions tab, connected, with a marker that a reload would erase. */
async function missionsPage(name: string): Promise<{ page: Page; projectId: string }> {
  const project = await call<{ id: string }>(stack, "/api/projects", { json: { name } });
  const page = await signedInPage(browser, stack, { width: 1400, height: 900 });
  await page.goto(`${stack.url}/projects/${project.id}`);
  await page.getByTestId("connection-status").filter({ hasText: /^connected$/ }).waitFor();
  await page.getByTestId("tab-missions").click();
  await page.getByTestId("missions-panel").waitFor();
  await page.evaluate(() => {
    (window as unknown as { samNotReloaded?: boolean }).samNotReloaded = true;
  });
  return { page, projectId: project.id };
}

async function notReloaded(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { samNotReloaded?: boolean }).samNotReloaded === true);
}

/** A scripted task that runs one real command, then says it is done. */
function commandTask(key: string, command: string, dependsOn: string[] = []) {
  return {
    key,
    prompt: `Task ${key}: ${command}`,
    dependsOn,
    model: "scripted",
    script: [{ toolCalls: [{ toolName: "bash", input: { command } }] }, { text: `done ${key}` }],
  };
}

describe("missions, questions and the tech lead in the UI", () => {
  it("shows a three-task mission and its tasks' statuses changing live until it succeeds", async () => {
    const { page, projectId } = await missionsPage(`missions browser ${Date.now()}`);
    const created = await call<{ id: string; status: string }>(stack, `/api/projects/${projectId}/missions`, {
      json: {
        goal: "Write three files, the last after the first two",
        tasks: [
          commandTask("a", "sleep 1; echo a > a.txt"),
          commandTask("b", "sleep 1; echo b > b.txt"),
          commandTask("c", "sleep 1; echo c > c.txt", ["a", "b"]),
        ],
      },
    });

    // The mission arrives over the socket: the page was open before it existed.
    const row = page.getByTestId("mission-row").and(page.locator(`[data-mission-id="${created.id}"]`));
    await row.waitFor(LIVE);
    await row.click();
    const details = page.getByTestId("mission-details").and(page.locator(`[data-mission-id="${created.id}"]`));
    await details.waitFor();
    const task = (key: string) => details.getByTestId("plan-task").and(page.locator(`[data-key="${key}"]`));

    // c is drawn after its dependencies, with a chip for each.
    expect(await details.getByTestId("plan-task").evaluateAll((nodes) => nodes.map((n) => n.getAttribute("data-key")))).toEqual(["a", "b", "c"]);
    expect(await task("c").getByTestId("plan-task-dependency").allInnerTexts()).toEqual(["after a", "after b"]);

    // a runs while c waits on it, then a succeeds, then c runs and succeeds.
    await task("a").getByTestId("plan-task-status").filter({ hasText: /^running$/ }).waitFor(LIVE);
    expect(await task("c").getByTestId("plan-task-status").innerText()).toBe("pending");
    await page.screenshot({ path: resolve(artifacts, "ui-mission-running.png"), fullPage: true });
    await task("a").getByTestId("plan-task-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);
    await task("c").getByTestId("plan-task-status").filter({ hasText: /^running$/ }).waitFor(LIVE);
    await task("c").getByTestId("plan-task-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);
    await details.getByTestId("mission-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);
    expect(await task("b").getByTestId("plan-task-status").innerText()).toBe("succeeded");
    expect(await row.getByTestId("mission-row-status").innerText()).toBe("succeeded");
    expect(await task("c").getByTestId("plan-task-attempts").innerText()).toBe("1 attempt");
    expect(await notReloaded(page)).toBe(true);
    await page.screenshot({ path: resolve(artifacts, "ui-mission-succeeded.png"), fullPage: true });

    // A plan task opens its task view, which ran the real command.
    await task("c").click();
    await page.waitForURL(/\/tasks\/tsk_[0-9A-Z]+$/);
    await page.getByTestId("task-status").filter({ hasText: /^succeeded$/ }).waitFor();
    await page.getByTestId("tool-call-card").filter({ hasText: "echo c > c.txt" }).waitFor();
    expect(await page.getByTestId("tool-exit-code").innerText()).toBe("exit 0");
  });

  it("shows a task's question on top of the page and lets the task finish once answered there", async () => {
    const { page, projectId } = await missionsPage(`question browser ${Date.now()}`);
    const question = "Which colour should the button be?";
    const created = await call<{ id: string }>(stack, `/api/projects/${projectId}/missions`, {
      json: {
        goal: "Paint the button",
        tasks: [
          {
            key: "paint",
            prompt: "Ask which colour, then write it down",
            script: [
              { toolCalls: [{ toolName: "ask_human", input: { question } }] },
              { toolCalls: [{ toolName: "bash", input: { command: "echo chosen > colour.txt" } }] },
              { text: "Painted." },
            ],
          },
        ],
      },
    });

    const pending = page.getByTestId("pending-question").filter({ hasText: question });
    await pending.waitFor(LIVE);
    expect(await pending.getByTestId("pending-question-text").innerText()).toBe(question);
    const details = page.getByTestId("mission-details").and(page.locator(`[data-mission-id="${created.id}"]`));
    await details.getByTestId("plan-task-status").filter({ hasText: /^waiting$/ }).waitFor(LIVE);
    await page.screenshot({ path: resolve(artifacts, "ui-question.png"), fullPage: true });

    await pending.getByTestId("answer-input").fill("Blue, please");
    await pending.getByTestId("answer-button").click();
    await page.getByTestId("pending-questions").waitFor({ state: "detached", ...LIVE });
    await details.getByTestId("plan-task-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);
    await details.getByTestId("mission-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);
    expect(await notReloaded(page)).toBe(true);

    // The answer is in the task's transcript.
    await details.getByTestId("plan-task").click();
    await page.getByTestId("task-status").filter({ hasText: /^succeeded$/ }).waitFor();
    const answer = page.getByTestId("transcript-message").and(page.locator('[data-kind="answer"]'));
    await answer.waitFor();
    expect(await answer.innerText()).toContain("Blue, please");
    await page.screenshot({ path: resolve(artifacts, "ui-question-answered.png"), fullPage: true });
  });

  it("shows a task's transcript live on its open page, with no status change to prompt it", async () => {
    const { page, projectId } = await missionsPage(`live transcript ${Date.now()}`);
    const task = await call<{ id: string }>(stack, `/api/projects/${projectId}/tasks`, {
      json: {
        prompt: "Ask, then finish",
        model: "scripted",
        script: [{ toolCalls: [{ toolName: "ask_human", input: { question: "Which colour?" } }] }, { text: "Finished." }],
      },
    });
    await page.getByTestId("tab-tasks").click();
    await page.getByTestId("task-row").and(page.locator(`[data-task-id="${task.id}"]`)).click();
    await page.getByTestId("task-status").filter({ hasText: /^waiting$/ }).waitFor(LIVE);

    // A message journals an event while the task keeps waiting: only the watched events carry it.
    await call(stack, `/api/tasks/${task.id}/messages`, { json: { text: "Take your time" } }, [202]);
    const message = page.getByTestId("transcript-message").and(page.locator('[data-kind="message"]'));
    await message.waitFor(LIVE);
    expect(await message.innerText()).toContain("Take your time");
    expect(await page.getByTestId("task-status").innerText()).toBe("waiting");

    await call(stack, `/api/tasks/${task.id}/answer`, { json: { text: "Green" } });
    await page.getByTestId("task-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);
    const answer = page.getByTestId("transcript-message").and(page.locator('[data-kind="answer"]'));
    await answer.waitFor(LIVE);
    expect(await answer.innerText()).toContain("Green");
    expect(await notReloaded(page)).toBe(true);
  });

  it("shows the tech lead's reply with its tool-call cards, live and after a reload", async () => {
    const { page } = await missionsPage(`tech lead browser ${Date.now()}`);
    await page.getByTestId("settings-toggle").click();
    await page.getByTestId("tech-lead-model-input").fill("scripted");
    await page.getByTestId("tech-lead-script-input").fill(
      JSON.stringify([{ toolCalls: [{ toolName: "list_missions", input: {} }] }, { text: "No missions yet: tell me the goal." }]),
    );
    await page.getByTestId("tech-lead-save-button").click();
    await page.getByTestId("tech-lead-saved").waitFor();

    await page.getByTestId("session-title-input").fill("Planning");
    await page.getByTestId("session-kind-select").selectOption("tech-lead");
    await page.getByTestId("session-create-button").click();
    await page.waitForURL(/\/sessions\/ses_[0-9A-Z]+$/);
    await page.getByTestId("session-kind-lead").waitFor();
    await page.getByTestId("chat-input").fill("What is going on?");
    await page.getByTestId("chat-send-button").click();

    const reply = page.getByTestId("chat-message").filter({ hasText: "No missions yet: tell me the goal." });
    await reply.waitFor(LIVE);
    const card = reply.getByTestId("chat-tool-card");
    expect(await card.getAttribute("data-tool-name")).toBe("list_missions");
    expect(await card.getAttribute("data-error")).toBe("false");
    // The stored message replaced the streamed draft: one reply, no draft left behind.
    expect(await page.getByTestId("chat-draft").count()).toBe(0);
    expect(await page.getByTestId("chat-message").count()).toBe(2);
    await page.screenshot({ path: resolve(artifacts, "ui-tech-lead.png"), fullPage: true });

    // History shows the same card.
    await page.reload();
    const stored = page.getByTestId("chat-message").filter({ hasText: "No missions yet: tell me the goal." });
    await stored.waitFor();
    expect(await stored.getByTestId("chat-tool-card").getAttribute("data-tool-name")).toBe("list_missions");
  });
});
