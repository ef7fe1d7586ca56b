/**
 * Escalation to a VM end to end against the started stack (issue 16): `npm start`'s local VM
 * host stands in for Hetzner Cloud. A scripted task writes a file in its sandbox, calls
 * `request_vm`; SAM creates a server through the Hetzner API subset, the host runs the real user
 * data (downloads /vm/runner.js, starts the runner in VM mode), the runner connects out and
 * registers, the workspace moves — 40 MiB of it, more than one frame may carry, so in parts — and
 * the next command runs on the "VM" (its hostname and SAM_RUNTIME say so) with the files there byte
 * for byte and a script still executable. When the task ends the server is deleted.
 * A task started with `runtime: "vm"` runs its first command on the VM and gives the server
 * back; a project whose policy does not allow VMs refuses `runtime: "vm"` at start (400).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { call, startStack, type Stack } from "./stack.ts";

let stack: Stack;
/** The local Hetzner API's base URL and token (`npm start` prints the one, writes the other to worker.env). */
let hetzner: { url: string; token: string };

beforeAll(async () => {
  stack = await startStack();
  expect(stack.output()).toContain("VMs are local");
  hetzner = {
    url: /VMs are local: (http:\/\/127\.0\.0\.1:\d+)/.exec(stack.output())![1],
    token: /HETZNER_API_TOKEN=(.+)/.exec(readFileSync(`${stack.stateDir}/worker.env`, "utf8"))![1],
  };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

/** The servers the local Hetzner API holds with SAM's label (`sam=1`) and, when given, the task's. */
async function samServers(taskId?: string): Promise<unknown[]> {
  const selector = encodeURIComponent(taskId ? `sam=1,task=${taskId}` : "sam=1");
  const response = await fetch(`${hetzner.url}/v1/servers?label_selector=${selector}`, { headers: { authorization: `Bearer ${hetzner.token}` } });
  return ((await response.json()) as { servers: unknown[] }).servers;
}

/** The ended task's transcript, once its VM is given back (the `released` event comes just after a task that succeeded ends). */
async function transcriptWhenReleased(taskId: string, status: string): Promise<TranscriptEvent[]> {
  if (status !== "succeeded") return (await call<{ events: TranscriptEvent[] }>(stack, `/api/tasks/${taskId}/transcript`)).events;
  const { events } = await pollUntil(
    `task ${taskId}'s VM to be released`,
    () => call<{ events: TranscriptEvent[] }>(stack, `/api/tasks/${taskId}/transcript`),
    (t) => t.events.some((e) => e.type === "escalation" && (e.phase === "released" || e.phase === "failed")),
    { timeoutMs: 30_000, intervalMs: 200 },
  );
  return events;
}

/** Polls a task until it ends; returns its view. */
function taskEnd(taskId: string): Promise<TaskView> {
  return pollUntil(
    `task ${taskId} to end`,
    () => call<TaskView>(stack, `/api/tasks/${taskId}`),
    (t) => ["succeeded", "failed", "cancelled"].includes(t.status),
    { timeoutMs: 90_000, intervalMs: 300, show: (t) => t.status },
  );
}

describe("a task escalates to a VM", () => {
  it("request_vm provisions through the local Hetzner stand-in, the runner calls back, the task finishes on the VM and the server is deleted", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "vm" } });
    await call(stack, `/api/projects/${project.id}`, { method: "PATCH", json: { limits: { vm: { allowed: true } } } });

    const script = [
      {
        toolCalls: [
          {
            toolName: "bash",
            input: { command: "echo kept > notes.txt; head -c 41943040 /dev/urandom > big.bin; printf '#!/bin/sh\\necho ran\\n' > run.sh; chmod +x run.sh; sha256sum big.bin; echo $SAM_RUNTIME $(hostname)" },
          },
        ],
      },
      { toolCalls: [{ toolName: "request_vm", input: { reason: "needs more memory", needs: { memoryGb: 2 } } }] },
      { toolCalls: [{ toolName: "bash", input: { command: "echo $SAM_RUNTIME $(hostname); cat notes.txt; ./run.sh; sha256sum big.bin; echo more >> notes.txt" } }] },
      { text: "done on a VM" },
    ];
    const task = await call<TaskView>(stack, `/api/projects/${project.id}/tasks`, { json: { prompt: "use a VM", model: "scripted", script } });
    const ended = await taskEnd(task.id);
    const events = await transcriptWhenReleased(task.id, ended.status);
    const results = events.filter((e) => e.type === "tool_result");
    expect(ended.status, JSON.stringify(events.slice(-6))).toBe("succeeded");
    expect(results[0].output).toContain("sandbox sam-sandbox");
    const checksum = /^([0-9a-f]{64})  big\.bin$/m.exec(results[0].output)?.[1];
    expect(checksum, results[0].output).toBeTruthy();
    expect(results[1].isError).toBe(false);
    expect(results[2].output).toBe(`vm sam-vm\nkept\nran\n${checksum}  big.bin\n`);
    // Each tool call ran once.
    expect(events.filter((e) => e.type === "tool_call")).toHaveLength(3);
    const phases = events.flatMap((e) => (e.type === "escalation" ? [e.phase] : []));
    expect(phases).toEqual(["requested", "provisioning", "ready", "moved", "released"]);
    const moved = events.find((e) => e.type === "escalation" && e.phase === "moved");
    expect(moved?.type === "escalation" ? moved.reason : "").toMatch(/the workspace moved to the VM \(3 files, 40\.0 MiB, and the diff base, in [6-9] part\(s\)\)/);
    expect(ended.changedFiles).toEqual(["big.bin", "notes.txt", "run.sh"]);
    expect(ended.runtime).toMatchObject({ tier: "vm", provider: "hetzner", serverType: "cx22" });
    expect(ended.runtime!.costUsd).toBeGreaterThan(0);

    // The server is gone from the (local) Hetzner API.
    expect(await samServers(task.id)).toEqual([]);
  }, 180_000);

  it('a task started with runtime "vm" runs its first command on the VM, and the server is deleted when it ends', async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "vm at start" } });
    await call(stack, `/api/projects/${project.id}`, { method: "PATCH", json: { limits: { vm: { allowed: true } } } });
    const script = [
      { toolCalls: [{ toolName: "bash", input: { command: "echo $SAM_RUNTIME $(hostname); cat seed.txt" } }] },
      { text: "ran on a VM from the start" },
    ];
    const task = await call<TaskView>(stack, `/api/projects/${project.id}/tasks`, {
      json: { prompt: "start on a VM", model: "scripted", runtime: "vm", workspace: { files: { "seed.txt": "seeded\n" } }, script },
    });
    const ended = await taskEnd(task.id);
    const events = await transcriptWhenReleased(task.id, ended.status);
    expect(ended.status, JSON.stringify(events.slice(-6))).toBe("succeeded");
    const results = events.filter((e) => e.type === "tool_result");
    expect(results).toHaveLength(1);
    // The first (and only) command ran on the VM, with the seeded workspace moved there.
    expect(results[0].output).toBe("vm sam-vm\nseeded\n");
    const escalations = events.flatMap((e) => (e.type === "escalation" ? [e] : []));
    expect(escalations.map((e) => e.phase)).toEqual(["requested", "provisioning", "ready", "moved", "released"]);
    expect(escalations[0].reason).toContain('runtime is "vm"');
    // The move came before the first step's command.
    const firstCall = events.find((e) => e.type === "tool_call")!;
    expect(escalations.find((e) => e.phase === "moved")!.seq).toBeLessThan(firstCall.seq);
    expect(ended.runtime).toMatchObject({ tier: "vm", provider: "hetzner", serverType: "cx22" });
    expect(ended.runtime!.costUsd).toBeGreaterThan(0);
    expect(await samServers(task.id)).toEqual([]);
  }, 180_000);

  it('a project whose policy does not allow VMs refuses runtime "vm" at start with a clear 400, and creates nothing', async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "no vms" } });
    const response = await fetch(`${stack.url}/api/projects/${project.id}/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.token}`, "content-type": "application/json" },
      body: JSON.stringify({ prompt: "start on a VM", model: "scripted", runtime: "vm", script: [{ text: "never" }] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_input");
    expect(body.error.message).toContain("does not allow VMs");
    expect(body.error.message).toContain("limits.vm.allowed");
    // Nothing was started: the project has no task.
    const tasks = await call<{ tasks: TaskView[] }>(stack, `/api/projects/${project.id}/tasks`);
    expect(tasks.tasks).toEqual([]);
    // The same refusal for a mission's task.
    const mission = await fetch(`${stack.url}/api/projects/${project.id}/missions`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.token}`, "content-type": "application/json" },
      body: JSON.stringify({ goal: "vm", tasks: [{ key: "a", prompt: "on a VM", model: "scripted", runtime: "vm", script: [{ text: "never" }] }] }),
    });
    expect(mission.status).toBe(400);
    expect(((await mission.json()) as { error: { message: string } }).error.message).toContain('task "a" asks for runtime "vm"');
    // Only "vm" is refused: a "sandbox" task starts (and stays in its sandbox) in the same project.
    const sandbox = await call<TaskView>(stack, `/api/projects/${project.id}/tasks`, { json: { prompt: "stay", model: "scripted", runtime: "sandbox", script: [{ text: "ok" }] } });
    expect((await taskEnd(sandbox.id)).runtime).toMatchObject({ tier: "sandbox" });
  }, 120_000);
});
