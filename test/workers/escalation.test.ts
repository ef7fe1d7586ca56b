/**
 * A task's escalation to a VM in the Workers runtime (issue 16): the decisions (policy refused,
 * limit reached, an agent's request and an automatic one), idempotent provisioning and a crash in
 * the middle, the reconciliation (a stray server, `limits.vm.maxHours`) and the Worker's cron sweep
 * behind it, and the VM's cost in the
 * usage ledger and the budgets.
 *
 * Hetzner Cloud is the local VM host in dry-run mode (global-setup.ts): servers are made, listed
 * and deleted through its Hetzner API, but their user data is kept instead of run (the Worker
 * here has no address a process could call). The test plays the VM: it reads the one-time token
 * from the server's user data, connects to `/vm/connect` as the VM's runner does
 * (src/sandbox/runner/vm-agent.ts) and forwards the actor's requests to a real runner with the VM
 * profile (hostname `sam-vm`, `SAM_RUNTIME=vm`, 16 GiB of address space).
 */
import { abortAllDurableObjects, createScheduledController, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { VM_SWEEP_CRON } from "../../src/actors/project/vm-reconcile.ts";
import { newId } from "../../src/ids.ts";
import worker from "../../src/worker.ts";
import { vmActorFrameSchema } from "../../src/sandbox/vm/protocol.ts";
import type { TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { apiJson, transcript, waitForTask, waitForTranscript } from "./helpers.ts";

type Escalation = Extract<TranscriptEvent, { type: "escalation" }>;
type HetznerServer = { id: number; labels: Record<string, string>; created: string };

const HETZNER = env.HETZNER_API_BASE_URL ?? "";
const auth = { authorization: `Bearer ${env.HETZNER_API_TOKEN ?? ""}` };

/** The servers the (local) Hetzner API lists for a label selector. */
async function servers(selector: string): Promise<HetznerServer[]> {
  const answer = await fetch(`${HETZNER}/v1/servers?label_selector=${encodeURIComponent(selector)}`, { headers: auth });
  return ((await answer.json()) as { servers: HetznerServer[] }).servers;
}

/** Creates a server through the Hetzner API as something other than the task would (a stray, another task's). */
async function createServer(name: string, labels: Record<string, string>): Promise<HetznerServer> {
  const answer = await fetch(`${HETZNER}/v1/servers`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ name, server_type: "cx22", image: "ubuntu-24.04", user_data: "#!/bin/bash\ntrue\n", labels }),
  });
  expect(answer.status).toBe(201);
  return ((await answer.json()) as { server: HetznerServer }).server;
}

async function project(vm: Record<string, unknown> | null, name = "vm project"): Promise<string> {
  const made = await apiJson<{ id: string }>("/api/projects", { method: "POST", json: { name } }, 201);
  if (vm) await apiJson(`/api/projects/${made.id}`, { method: "PATCH", json: { limits: { vm } } });
  return made.id;
}

async function startTask(projectId: string, script: unknown[], runtime?: string): Promise<string> {
  return (await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "vm", script, ...(runtime ? { runtime } : {}) } }, 201)).id;
}

const escalations = (events: TranscriptEvent[]): Escalation[] => events.filter((e): e is Escalation => e.type === "escalation");
const results = (events: TranscriptEvent[]) => events.flatMap((e) => (e.type === "tool_result" ? [e] : []));

/** A VM played by the test: its socket to the task's actor, forwarding requests to the VM-profile runner. */
interface PlayedVm {
  serverId: number;
  registered: Promise<void>;
  close(): void;
}
const played: PlayedVm[] = [];

afterEach(() => {
  for (const vm of played.splice(0)) vm.close();
});

/**
 * Plays the VM of task `taskId`: waits for its server, reads the registration token from the
 * server's user data, connects to `/vm/connect` and presents it; then answers every `request`
 * by making it against the VM-profile runner.
 */
async function playVm(taskId: string): Promise<PlayedVm> {
  const [server] = await pollUntil(`a server for ${taskId}`, () => servers(`sam=1,task=${taskId}`), (list) => list.length > 0, { timeoutMs: 10_000 });
  const userData = await (await fetch(`${HETZNER}/_local/servers/${server.id}/user_data`, { headers: auth })).text();
  const token = /SAM_VM_TOKEN='([A-Za-z0-9_-]+)'/.exec(userData)?.[1];
  expect(token, userData).toBeTruthy();
  const response = await exports.default.fetch(new Request(`http://sam.test/vm/connect?task=${taskId}`, { headers: { upgrade: "websocket" } }));
  expect(response.status).toBe(101);
  const ws = response.webSocket!;
  ws.accept();
  let welcomed: () => void = () => {};
  const registered = new Promise<void>((resolve) => (welcomed = resolve));
  ws.addEventListener("message", (event) => {
    const frame = vmActorFrameSchema.safeParse(JSON.parse(String(event.data)));
    if (!frame.success) return;
    const f = frame.data;
    if (f.type === "welcome") welcomed();
    if (f.type !== "request") return;
    void (async () => {
      const answer = await fetch(`${env.VM_RUNNER_URL}${f.path}`, {
        method: f.method,
        headers: { authorization: `Bearer ${env.VM_RUNNER_SECRET}`, "content-type": "application/json" },
        body: f.body,
      });
      ws.send(JSON.stringify({ type: "response", id: f.id, status: answer.status, body: await answer.text() }));
    })();
  });
  ws.send(JSON.stringify({ type: "hello", token, version: 1 }));
  const vm = { serverId: server.id, registered, close: () => ws.close(1000, "test over") };
  played.push(vm);
  return vm;
}

describe("escalation decisions", () => {
  it("refuses with a clear tool error when the project does not allow VMs (or network on them), or the task's runtime is sandbox; a runtime-vm task is refused up front", async () => {
    const closed = await project(null);
    const refused = await startTask(closed, [
      { toolCalls: [{ toolName: "request_vm", input: { reason: "needs Docker", needs: { docker: true } } }] },
      // A sandbox limit (memory) in a project without VMs: the result says why the task did not move.
      { toolCalls: [{ toolName: "bash", input: { command: "python3 -c 'import mmap; mmap.mmap(-1, 5 * 1024**3)'" } }] },
      { text: "stayed" },
    ]);
    expect((await waitForTask(refused)).status).toBe("succeeded");
    const [asked, command] = results(await transcript(refused));
    expect(asked).toMatchObject({ isError: true });
    expect(asked.output).toMatch(/^no VM: this project does not allow VMs \(limits\.vm\.allowed is false/);
    expect(command.isError).toBe(true);
    expect(command.output).toMatch(/Cannot allocate memory/);
    expect(command.output).toMatch(/ran out of the sandbox's memory.*could not move to a VM: this project does not allow VMs/);
    expect(await servers(`sam=1,task=${refused}`)).toEqual([]);

    const open = await project({ allowed: true });
    const sandboxOnly = await startTask(open, [{ toolCalls: [{ toolName: "request_vm", input: { reason: "more memory" } }] }, { text: "stayed" }], "sandbox");
    expect((await waitForTask(sandboxOnly)).status).toBe("succeeded");
    expect(results(await transcript(sandboxOnly))[0].output).toMatch(/runtime is "sandbox": it may not move to a VM/);

    const network = await startTask(open, [{ toolCalls: [{ toolName: "request_vm", input: { reason: "fetch deps", needs: { network: true } } }] }, { text: "stayed" }]);
    expect((await waitForTask(network)).status).toBe("succeeded");
    expect(results(await transcript(network))[0].output).toMatch(/does not allow network on VMs \(limits\.vm\.network is false\)/);

    // A task that must run on a VM is refused up front by a project without VMs.
    const vmOnly = await apiJson<{ error: { message: string } }>(`/api/projects/${closed}/tasks`, { method: "POST", json: { prompt: "vm", runtime: "vm", script: [{ text: "never" }] } }, 400);
    expect(vmOnly.error.message).toMatch(/asks for runtime "vm", but this project does not allow VMs/);
  });

  it("refuses at the project's limit of VMs at once; the reconciliation deletes a stray server and one whose task ended", async () => {
    const projectId = await project({ allowed: true, maxConcurrent: 1 });
    const strayTask = newId("task");
    const stray = await createServer(`sam-stray-${Date.now()}`, { sam: "1", project: projectId, task: strayTask });
    const limited = await startTask(projectId, [{ toolCalls: [{ toolName: "request_vm", input: { reason: "more memory" } }] }, { text: "stayed" }]);
    expect((await waitForTask(limited)).status).toBe("succeeded");
    expect(results(await transcript(limited))[0].output).toMatch(/already holds 1 VM\(s\), its limit \(limits\.vm\.maxConcurrent = 1\)/);

    // A server left behind by the task that has ended (as a crash would leave it).
    const leftover = await createServer(`sam-leftover-${Date.now()}`, { sam: "1", project: projectId, task: limited });
    const report = await (await env.ProjectAgent.getByName(projectId)).reconcileVms();
    expect(report?.servers).toEqual(
      expect.arrayContaining([
        { serverId: String(stray.id), taskId: strayTask, action: "delete" },
        { serverId: String(leftover.id), taskId: limited, action: "delete" },
      ]),
    );
    expect(report?.remaining).toBe(0);
    expect(await servers(`sam=1,project=${projectId}`)).toEqual([]);
  });

  it("an agent's request: the VM is made, its runner registers, the workspace moves, the task finishes there, the VM is deleted and its cost is in the ledger and the budget", async () => {
    const before = await apiJson<{ monthlyUsd: { used: number } }>("/api/me/budgets");
    const projectId = await project({ allowed: true });
    const taskId = await startTask(projectId, [
      { toolCalls: [{ toolName: "bash", input: { command: "echo kept > notes.txt; echo $SAM_RUNTIME $(hostname)" } }] },
      { toolCalls: [{ toolName: "request_vm", input: { reason: "needs more memory", needs: { memoryGb: 2 } } }] },
      { toolCalls: [{ toolName: "bash", input: { command: "echo $SAM_RUNTIME $(hostname); cat notes.txt" } }] },
      { text: "done on a VM" },
    ]);
    await waitForTranscript(taskId, "provisioning", (events) => escalations(events).some((e) => e.phase === "provisioning"));
    const [server] = await servers(`sam=1,task=${taskId}`);
    expect(server.labels).toEqual({ sam: "1", project: projectId, task: taskId });
    await (await playVm(taskId)).registered;
    const ended = await waitForTask(taskId, undefined, 30_000);
    expect(ended.status, JSON.stringify((await transcript(taskId)).slice(-4))).toBe("succeeded");
    // The VM is released right after the task's end is published.
    const events = await waitForTranscript(taskId, "released", (all) => escalations(all).some((e) => e.phase === "released"));
    const [first, asked, onVm] = results(events);
    expect(first.output).toBe("sandbox sam-sandbox\n");
    expect(asked.isError).toBe(false);
    expect(onVm.output).toBe("vm sam-vm\nkept\n");
    expect(escalations(events).map((e) => e.phase)).toEqual(["requested", "provisioning", "ready", "moved", "released"]);
    expect(escalations(events)[0].reason).toBe("needs more memory");
    const view = await apiJson<TaskView>(`/api/tasks/${taskId}`);
    expect(view.runtime).toMatchObject({ tier: "vm", provider: "hetzner", serverType: "cx22", serverId: String(server.id) });
    // One started hour of a cx22 at the local host's price (0.006 EUR) × 1.1.
    expect(view.runtime!.costUsd).toBeCloseTo(0.0066, 6);
    expect(await servers(`sam=1,task=${taskId}`)).toEqual([]);

    const usage = await apiJson<{ groups: { key: string; costUsd: number; calls: number }[] }>("/api/usage?groupBy=source");
    expect(usage.groups.find((g) => g.key === "vm")?.costUsd).toBeGreaterThan(0);
    const byTask = await apiJson<{ groups: { key: string; costUsd: number }[] }>("/api/usage?groupBy=task");
    expect(byTask.groups.find((g) => g.key === taskId)?.costUsd).toBeCloseTo(0.0066, 6);
    const after = await apiJson<{ monthlyUsd: { used: number } }>("/api/me/budgets");
    expect(after.monthlyUsd.used - before.monthlyUsd.used).toBeGreaterThanOrEqual(0.0066 - 1e-9);
  });

  it("an automatic escalation: a command the sandbox's memory ceiling stopped moves the task to a VM and runs again there", async () => {
    const projectId = await project({ allowed: true });
    // 5 GiB of address space (mapped, never touched): beyond the sandbox's 4 GiB, within a VM's 16.
    const command = "echo $SAM_RUNTIME && python3 -c 'import mmap; m = mmap.mmap(-1, 5 * 1024**3); print(\"mapped\", len(m))'";
    const taskId = await startTask(projectId, [{ toolCalls: [{ toolName: "bash", input: { command } }] }, { text: "mapped" }]);
    await waitForTranscript(taskId, "provisioning", (events) => escalations(events).some((e) => e.phase === "provisioning"));
    await (await playVm(taskId)).registered;
    const ended = await waitForTask(taskId, undefined, 30_000);
    const events = await transcript(taskId);
    expect(ended.status).toBe("succeeded");
    const [result] = results(events);
    expect(result.isError).toBe(false);
    expect(result.output).toBe("[the command ran out of the sandbox's memory (4 GiB of address space) in the sandbox; the task moved to a VM and ran it again there]\nvm\nmapped 5368709120\n");
    expect(events.filter((e) => e.type === "tool_call")).toHaveLength(1);
    expect(escalations(events)[0].reason).toBe("the command ran out of the sandbox's memory (4 GiB of address space) (automatic escalation)");
  });
});

describe("a crash in the middle of an escalation", () => {
  it("resumes with the server made before the crash, never a second one", async () => {
    const projectId = await project({ allowed: true });
    const taskId = await startTask(projectId, [
      { toolCalls: [{ toolName: "request_vm", input: { reason: "needs more memory" } }] },
      { toolCalls: [{ toolName: "bash", input: { command: "echo $SAM_RUNTIME" } }] },
      { text: "done" },
    ]);
    await waitForTranscript(taskId, "provisioning", (events) => escalations(events).some((e) => e.phase === "provisioning"));
    const [made] = await servers(`sam=1,task=${taskId}`);
    const stub = env.TaskAgent.getByName(taskId);
    // The crash came after the provider made the server but before its id was stored.
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec(`UPDATE vm_lease SET phase = 'requested', server_id = NULL WHERE id = 1`);
    });
    await abortAllDurableObjects();
    // A stub used before the crash is broken with it: a fresh one reaches the restarted actor.
    const restarted = env.TaskAgent.getByName(taskId);
    // The fiber's keep-alive alarm resumes the loop: the journaled request_vm call runs again and picks up the lease.
    await pollUntil(
      "the resumed escalation to find its server",
      async () => {
        await runDurableObjectAlarm(restarted);
        return escalations(await transcript(taskId)).filter((e) => e.phase === "provisioning");
      },
      (provisioning) => provisioning.length === 2,
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect((await servers(`sam=1,task=${taskId}`)).map((s) => s.id)).toEqual([made.id]);
    await (await playVm(taskId)).registered;
    const ended = await waitForTask(taskId, undefined, 30_000);
    const events = await transcript(taskId);
    expect(ended.status, JSON.stringify(events.slice(-4))).toBe("succeeded");
    await waitForTranscript(taskId, "released", (all) => escalations(all).some((e) => e.phase === "released"));
    expect(results(events)[1].output).toBe("vm\n");
    expect(events.filter((e) => e.type === "tool_call")).toHaveLength(2);
    expect(new Set(escalations(events).flatMap((e) => (e.serverId ? [e.serverId] : [])))).toEqual(new Set([String(made.id)]));
    expect(await servers(`sam=1,task=${taskId}`)).toEqual([]);
  });
});

describe("a task cancelled while its VM is provisioning", () => {
  for (const how of ["request_vm", "runtime vm"] as const) {
    it(`(${how}) ends cancelled, its server deleted, and stops waiting for the runner`, async () => {
      const projectId = await project({ allowed: true });
      const taskId =
        how === "request_vm"
          ? await startTask(projectId, [{ toolCalls: [{ toolName: "request_vm", input: { reason: "more memory" } }] }, { text: "never" }])
          : await startTask(projectId, [{ text: "never" }], "vm");
      await waitForTranscript(taskId, "provisioning", (events) => escalations(events).some((e) => e.phase === "provisioning"));
      expect(await servers(`sam=1,task=${taskId}`)).toHaveLength(1);
      // Nobody plays the VM: its runner never calls back.
      expect((await apiJson<TaskView>(`/api/tasks/${taskId}/cancel`, { method: "POST" })).status).toBe("cancelled");
      expect(await servers(`sam=1,task=${taskId}`)).toEqual([]);
      const last = escalations(await transcript(taskId)).at(-1);
      expect(last?.phase).toBe("released");
      // The loop stopped waiting for a runner that will never come (it would otherwise poll for 5 minutes).
      const stub = await env.TaskAgent.getByName(taskId);
      await pollUntil("the task's loop to stop", () => runInDurableObject(stub, (instance) => (instance as unknown as { loopRunning: boolean }).loopRunning), (running) => !running, { timeoutMs: 10_000 });
      expect((await apiJson<TaskView>(`/api/tasks/${taskId}`)).status).toBe("cancelled");
    });
  }
});

describe("limits.vm.maxHours", () => {
  it("the reconciliation releases a VM older than the limit and fails its task clearly", async () => {
    // 0.0005 h = 1.8 s.
    const projectId = await project({ allowed: true, maxHours: 0.0005 });
    const taskId = await startTask(projectId, [
      { toolCalls: [{ toolName: "request_vm", input: { reason: "long job" } }] },
      { toolCalls: [{ toolName: "bash", input: { command: "sleep 60", timeout_ms: 90_000 } }] },
      { text: "never" },
    ]);
    await waitForTranscript(taskId, "provisioning", (events) => escalations(events).some((e) => e.phase === "provisioning"));
    await (await playVm(taskId)).registered;
    await waitForTranscript(taskId, "the sleep on the VM", (events) => events.some((e) => e.type === "tool_call" && JSON.stringify(e.input).includes("sleep")), 15_000);
    const report = await pollUntil(
      "the reconciliation to expire the VM",
      async () => (await env.ProjectAgent.getByName(projectId)).reconcileVms(),
      (r) => r?.servers.some((s) => s.action === "expire") === true,
      { timeoutMs: 10_000, intervalMs: 300 },
    );
    expect(report?.servers).toEqual([expect.objectContaining({ taskId, action: "expire" })]);
    const ended = await waitForTask(taskId);
    expect(ended.status).toBe("failed");
    expect(ended.failure?.message).toMatch(/its VM reached the project's limit of 0\.0005 hour\(s\) \(limits\.vm\.maxHours\) and was deleted/);
    expect(await servers(`sam=1,task=${taskId}`)).toEqual([]);
    const released = escalations(await transcript(taskId)).at(-1)!;
    expect(released).toMatchObject({ phase: "released" });
    expect(released.costUsd).toBeGreaterThan(0);
  });
});

describe("the Worker's cron sweep", () => {
  it("reconciles a project whose alarm was never armed and judges a server that names no project; a live task's server stays", async () => {
    const projectId = await project({ allowed: true });
    const ended = await startTask(projectId, [{ text: "done" }]);
    expect((await waitForTask(ended)).status).toBe("succeeded");
    const waiting = await startTask(projectId, [{ toolCalls: [{ toolName: "ask_human", input: { question: "hold on?" } }] }, { text: "ok" }]);
    await pollUntil("the task to wait", () => apiJson<TaskView>(`/api/tasks/${waiting}`), (t) => t.status === "waiting", { timeoutMs: 15_000 });
    // Servers no alarm watches: made outside the tasks' escalations (as a crash before `watchVms` would leave them).
    const leftover = await createServer(`sam-swept-${Date.now()}`, { sam: "1", project: projectId, task: ended });
    const orphan = await createServer(`sam-orphan-${Date.now()}`, { sam: "1", task: newId("task") });
    const live = await createServer(`sam-live-${Date.now()}`, { sam: "1", task: waiting });
    const other = await createServer(`sam-other-${Date.now()}`, { sam: "1", project: "not-a-project-id", task: newId("task") });

    expect((await servers("sam=1")).map((s) => s.id)).toEqual(expect.arrayContaining([leftover.id, orphan.id, live.id, other.id]));
    await worker.scheduled(createScheduledController({ cron: VM_SWEEP_CRON, scheduledTime: Date.now() }), env);
    const left = (await servers("sam=1")).map((s) => s.id);
    expect(left).not.toContain(leftover.id);
    expect(left).not.toContain(orphan.id);
    expect(left).not.toContain(other.id);
    expect(left).toContain(live.id);

    await fetch(`${HETZNER}/v1/servers/${live.id}`, { method: "DELETE", headers: auth });
    await apiJson(`/api/tasks/${waiting}/cancel`, { method: "POST" });
  });
});

describe("/vm/connect refusals", () => {
  it("refuses a plain request, an unknown task, and a wrong token (close 4001)", async () => {
    expect((await exports.default.fetch(new Request(`http://sam.test/vm/connect?task=${newId("task")}`))).status).toBe(426);
    expect((await exports.default.fetch(new Request(`http://sam.test/vm/connect?task=${newId("task")}`, { headers: { upgrade: "websocket" } }))).status).toBe(404);
    expect((await exports.default.fetch(new Request(`http://sam.test/vm/connect?task=nope`, { headers: { upgrade: "websocket" } }))).status).toBe(404);
    const projectId = await project(null);
    const taskId = await startTask(projectId, [{ text: "done" }]);
    await waitForTask(taskId);
    const response = await exports.default.fetch(new Request(`http://sam.test/vm/connect?task=${taskId}`, { headers: { upgrade: "websocket" } }));
    expect(response.status).toBe(101);
    const ws = response.webSocket!;
    ws.accept();
    const closed = new Promise<number>((resolve) => ws.addEventListener("close", (event) => resolve(event.code)));
    ws.send(JSON.stringify({ type: "hello", token: "a-wrong-token-0123456789", version: 1 }));
    expect(await closed).toBe(4001);
  });
});
