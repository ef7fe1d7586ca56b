/**
 * Escalation to a VM end to end against the started stack (issue 16): `npm start`'s local VM
 * host stands in for Hetzner Cloud. A scripted task writes a file in its sandbox, calls
 * `request_vm`; SAM creates a server through the Hetzner API subset, the host runs the real user
 * data (downloads /vm/runner.js, starts the runner in VM mode), the runner connects out and
 * registers, the workspace moves, and the next command runs on the "VM" (its hostname and
 * SAM_RUNTIME say so) with the file still there. When the task ends the server is deleted.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { call, startStack, type Stack } from "./stack.ts";

let stack: Stack | undefined;

afterAll(async () => {
  await stack?.stop();
});

describe("a task escalates to a VM", () => {
  it("request_vm provisions through the local Hetzner stand-in, the runner calls back, the task finishes on the VM and the server is deleted", async () => {
    stack = await startStack();
    expect(stack.output()).toContain("VMs are local");
    const hetzner = /VMs are local: (http:\/\/127\.0\.0\.1:\d+)/.exec(stack.output())![1];
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "vm" } });
    await call(stack, `/api/projects/${project.id}`, { method: "PATCH", json: { limits: { vm: { allowed: true } } } });

    const script = [
      { toolCalls: [{ toolName: "bash", input: { command: "echo kept > notes.txt; echo $SAM_RUNTIME $(hostname)" } }] },
      { toolCalls: [{ toolName: "request_vm", input: { reason: "needs more memory", needs: { memoryGb: 2 } } }] },
      { toolCalls: [{ toolName: "bash", input: { command: "echo $SAM_RUNTIME $(hostname); cat notes.txt; echo more >> notes.txt" } }] },
      { text: "done on a VM" },
    ];
    const task = await call<TaskView>(stack, `/api/projects/${project.id}/tasks`, { json: { prompt: "use a VM", model: "scripted", script } });
    const ended = await pollUntil(
      `task ${task.id} to end`,
      () => call<TaskView>(stack!, `/api/tasks/${task.id}`),
      (t) => ["succeeded", "failed", "cancelled"].includes(t.status),
      { timeoutMs: 90_000, intervalMs: 300, show: (t) => t.status },
    );
    const { events } = await call<{ events: TranscriptEvent[] }>(stack, `/api/tasks/${task.id}/transcript`);
    const results = events.filter((e) => e.type === "tool_result");
    expect(ended.status, JSON.stringify(events.slice(-6))).toBe("succeeded");
    expect(results[0].output).toContain("sandbox sam-sandbox");
    expect(results[1].isError).toBe(false);
    expect(results[2].output).toBe("vm sam-vm\nkept\n");
    // Each tool call ran once.
    expect(events.filter((e) => e.type === "tool_call")).toHaveLength(3);
    const phases = events.flatMap((e) => (e.type === "escalation" ? [e.phase] : []));
    expect(phases).toEqual(["requested", "provisioning", "ready", "moved", "released"]);
    expect(ended.changedFiles).toEqual(["notes.txt"]);
    expect(ended.runtime).toMatchObject({ tier: "vm", provider: "hetzner", serverType: "cx22" });
    expect(ended.runtime!.costUsd).toBeGreaterThan(0);

    // The server is gone from the (local) Hetzner API.
    const token = /HETZNER_API_TOKEN=(.+)/.exec(await import("node:fs").then((fs) => fs.readFileSync(`${stack!.stateDir}/worker.env`, "utf8")))![1];
    const servers = await fetch(`${hetzner}/v1/servers?label_selector=sam=1`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json() as Promise<{ servers: unknown[] }>);
    expect(servers.servers).toEqual([]);
  }, 180_000);
});
