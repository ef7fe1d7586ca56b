/**
 * Triggers end to end against the started stack (issue 15): a webhook call signed the way a
 * sender does it (HMAC-SHA256 of the raw body, `X-Hub-Signature-256`) starts a task that runs a
 * real command in its workspace and succeeds, with the payload in its prompt; a wrong signature is
 * refused; and a cron trigger (`* * * * *`) fires on the project actor's alarm while the stack runs.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerRun } from "../../src/shared/trigger.ts";
import { pollUntil } from "../support/poll.ts";
import { call, startStack, waitForTaskEnd, type Stack } from "./stack.ts";

let stack: Stack;
let projectId: string;
let cronId: string;

const template = (prompt: string, word: string) => ({
  task: { prompt, model: "scripted", script: [{ toolCalls: [{ toolName: "bash", input: { command: `echo ${word} > out.txt; cat out.txt` } }] }, { text: `wrote ${word}` }] },
});

beforeAll(async () => {
  stack = await startStack();
  projectId = (await call<{ id: string }>(stack, "/api/projects", { json: { name: "triggers e2e" } })).id;
  // Made first, so its first minute passes while the webhook test runs.
  cronId = (await call<{ id: string }>(stack, `/api/projects/${projectId}/triggers`, { json: { name: "every minute", kind: "cron", schedule: "* * * * *", template: template("tick", "tick") } })).id;
});

afterAll(async () => {
  await stack?.stop();
});

describe("triggers against the started stack", () => {
  it("a signed webhook call starts a task that succeeds; a wrong signature is refused", async () => {
    const hook = await call<{ id: string; url: string; secret: string }>(stack, `/api/projects/${projectId}/triggers`, {
      json: { name: "on push", kind: "webhook", template: template("Handle this push: {{payload}}", "pushed") },
    });
    expect(hook.url).toBe(`${stack.url}/hooks/${hook.id}`);
    const body = JSON.stringify({ ref: "refs/heads/main", after: "abc123" });
    const signature = `sha256=${createHmac("sha256", hook.secret).update(body).digest("hex")}`;
    const send = (sig: string) => fetch(hook.url, { method: "POST", headers: { "content-type": "application/json", "x-hub-signature-256": sig, "x-github-delivery": "e2e-delivery-1" }, body });

    const refused = await send(`sha256=${createHmac("sha256", "wrong").update(body).digest("hex")}`);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("unauthorized");

    const accepted = await send(signature);
    expect(accepted.status).toBe(202);
    const { run } = (await accepted.json()) as { run: TriggerRun };
    expect(run.outcome).toBe("started");
    const task = await waitForTaskEnd(stack, run.taskId ?? "");
    expect(task.status).toBe("succeeded");
    expect(task.summary).toBe("wrote pushed");
    const view = await call<{ prompt: string }>(stack, `/api/tasks/${run.taskId}`);
    expect(view.prompt).toBe(`Handle this push: ${body}`);
    const file = await fetch(`${stack.url}/api/tasks/${run.taskId}/files/out.txt`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect((await file.text()).trim()).toBe("pushed");

    // The same delivery again is acknowledged and starts nothing.
    const again = await send(signature);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { duplicate: boolean }).duplicate).toBe(true);
    const { runs } = await call<{ runs: TriggerRun[] }>(stack, `/api/projects/${projectId}/triggers/${hook.id}/runs`);
    expect(runs.map((r) => r.outcome)).toEqual(["duplicate", "started"]);
  });

  it("a cron trigger fires on its schedule while the stack runs, and its task succeeds", async () => {
    const [run] = await pollUntil(
      "the cron trigger's first run",
      async () => (await call<{ runs: TriggerRun[] }>(stack, `/api/projects/${projectId}/triggers/${cronId}/runs`)).runs,
      (runs) => runs.some((r) => r.taskId !== null),
      { timeoutMs: 75_000, intervalMs: 500, show: (runs) => runs.map((r) => `${r.outcome} ${r.dueAt}`) },
    );
    expect(run.outcome).toBe("started");
    expect(new Date(run.dueAt ?? "").getUTCSeconds()).toBe(0);
    const task = await waitForTaskEnd(stack, run.taskId ?? "");
    expect(task.status).toBe("succeeded");
    expect(task.summary).toBe("wrote tick");
    // Switched off, it fires no more: its schedule is gone.
    const off = await call<{ enabled: boolean; nextDueAt: string | null }>(stack, `/api/projects/${projectId}/triggers/${cronId}`, { method: "PATCH", json: { enabled: false } });
    expect(off).toMatchObject({ enabled: false, nextDueAt: null });
  }, 120_000);
});
