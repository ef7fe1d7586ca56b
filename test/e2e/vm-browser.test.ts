/**
 * The task page shows a task's move to a VM (issue 16), in headless Chromium against the stack
 * started as `npm start` starts it (its local Hetzner stand-in, as in vm.test.ts). A scripted
 * task calls `request_vm` with a reason and finishes on the VM; its page then shows the runtime
 * "VM" with the provider and server type, the VM's cost, and in the transcript each escalation
 * step with its phase, the request's reason first. A task that stayed in its sandbox shows
 * "Sandbox" and no VM cost. Screenshot in test-artifacts/ui-vm-task.png.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskView } from "../../src/shared/protocol.ts";
import { launchChromium, signedInPage } from "./chromium.ts";
import { call, startStack, waitForTaskEnd, type Stack } from "./stack.ts";

const artifacts = resolve(import.meta.dirname, "../../test-artifacts");
/** How long a live change may take to show: generous, the machine is small and runs workerd. */
const LIVE = { timeout: 60_000 };

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  stack = await startStack();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the task page shows where a task runs", () => {
  it("shows VM, its provider and server type, the escalation with its reason, and the VM's cost", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "vm page" } });
    await call(stack, `/api/projects/${project.id}`, { method: "PATCH", json: { limits: { vm: { allowed: true, serverType: "cx32" } } } });
    const reason = "the test suite needs 6 GB of memory";
    const task = await call<TaskView>(stack, `/api/projects/${project.id}/tasks`, {
      json: {
        prompt: "Run the big test suite",
        model: "scripted",
        script: [
          { toolCalls: [{ toolName: "request_vm", input: { reason, needs: { memoryGb: 6 } } }] },
          { toolCalls: [{ toolName: "bash", input: { command: "echo $SAM_RUNTIME $(hostname)" } }] },
          { text: "ran on a VM" },
        ],
      },
    });
    const ended = await waitForTaskEnd(stack, task.id, 90_000);
    expect(ended.status, ended.error ?? "").toBe("succeeded");
    const view = await call<TaskView>(stack, `/api/tasks/${task.id}`);
    expect(view.runtime).toMatchObject({ tier: "vm", provider: "hetzner", serverType: "cx32" });

    const page = await signedInPage(browser, stack, { width: 1300, height: 1100 });
    await page.goto(`${stack.url}/tasks/${task.id}`);
    await page.getByTestId("task-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);

    // The runtime: VM, with its provider and server type; the VM's cost as the view has it.
    await page.getByTestId("task-runtime-tier").filter({ hasText: /^VM$/ }).waitFor(LIVE);
    expect(await page.getByTestId("task-runtime-detail").innerText()).toBe("hetzner · cx32");
    const cost = await page.getByTestId("task-runtime-cost").innerText();
    expect(cost).toMatch(/^\$\d+\.\d+$/);
    expect(Number(cost.slice(1))).toBeCloseTo(view.runtime!.costUsd, 2);
    expect(view.runtime!.costUsd).toBeGreaterThan(0);

    // The transcript: each escalation step with its phase, the request's reason on the first.
    const steps = page.getByTestId("transcript-escalation");
    await steps.filter({ hasText: "VM released" }).waitFor(LIVE);
    expect(await steps.evaluateAll((els) => els.map((el) => el.getAttribute("data-phase")))).toEqual(["requested", "provisioning", "ready", "moved", "released"]);
    const requested = steps.and(page.locator('[data-phase="requested"]'));
    expect(await requested.getByTestId("transcript-escalation-reason").innerText()).toBe(reason);
    expect(await requested.innerText()).toContain("VM requested");
    const released = steps.and(page.locator('[data-phase="released"]'));
    expect(await released.innerText()).toContain("hetzner · cx32");
    expect(await released.innerText()).toMatch(/cost \$\d/);
    // The command after the move ran on the VM (its output in the tool card).
    await page.getByTestId("tool-output").filter({ hasText: "vm sam-vm" }).waitFor(LIVE);
    await page.screenshot({ path: resolve(artifacts, "ui-vm-task.png"), fullPage: true });

    // A task that stayed in its sandbox: "Sandbox", no VM cost, no escalation.
    const plain = await call<TaskView>(stack, `/api/projects/${project.id}/tasks`, { json: { prompt: "Stay", model: "scripted", script: [{ text: "ok" }] } });
    expect((await waitForTaskEnd(stack, plain.id)).status).toBe("succeeded");
    await page.goto(`${stack.url}/tasks/${plain.id}`);
    await page.getByTestId("task-status").filter({ hasText: /^succeeded$/ }).waitFor(LIVE);
    expect(await page.getByTestId("task-runtime-tier").innerText()).toBe("Sandbox");
    expect(await page.getByTestId("task-runtime-cost").count()).toBe(0);
    expect(await page.getByTestId("transcript-escalation").count()).toBe(0);
  }, 240_000);
});
