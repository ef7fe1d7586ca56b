/**
 * Triggers in the Workers runtime (issue 15): making, reading, changing and deleting them with
 * their validation; cron firings driven by the project actor's real alarms (the Agents SDK's
 * schedule), at most once per due time across retries and restarts; webhook calls with good, bad
 * and missing signatures, repeated delivery ids, the payload cap, disabled triggers and the payload
 * in the prompt; a refused start recorded once; the runs listing; failed signatures throttled.
 */
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ProjectAgent } from "../../src/actors/project/project-agent.ts";
import { signatureFor } from "../../src/actors/project/trigger-rules.ts";
import type { MissionView } from "../../src/shared/protocol.ts";
import type { TriggerRun, TriggerView } from "../../src/shared/trigger.ts";
import { pollUntil } from "../support/poll.ts";
import { addUser, api, apiJson, projectWithSession, waitForTask } from "./helpers.ts";

type Made = TriggerView & { url: string | null; secret?: string };

const DONE = [{ text: "done" }];
const taskTemplate = (prompt = "nightly check", script: unknown = DONE) => ({ task: { prompt, model: "scripted", script } });

async function makeTrigger(projectId: string, body: Record<string, unknown>, token?: string): Promise<Made> {
  return apiJson<Made>(`/api/projects/${projectId}/triggers`, { method: "POST", json: { enabled: true, ...body }, token }, 201);
}

async function runs(projectId: string, triggerId: string): Promise<TriggerRun[]> {
  return (await apiJson<{ runs: TriggerRun[] }>(`/api/projects/${projectId}/triggers/${triggerId}/runs`)).runs;
}

/** Calls a webhook trigger's URL with `body`, signed with `secret` (or with the `signature` given, or none when null). */
async function callHook(triggerId: string, body: string | Uint8Array<ArrayBuffer>, options: { secret?: string; signature?: string | null; delivery?: string; githubDelivery?: string } = {}): Promise<Response> {
  const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
  const headers: Record<string, string> = { "content-type": "application/json" };
  const signature = options.signature !== undefined ? options.signature : options.secret ? await signatureFor(options.secret, bytes) : null;
  if (signature) headers["x-hub-signature-256"] = signature;
  if (options.delivery) headers["x-sam-delivery"] = options.delivery;
  if (options.githubDelivery) headers["x-github-delivery"] = options.githubDelivery;
  return api(`/hooks/${triggerId}`, { method: "POST", token: null, headers, body: bytes });
}

/** The SDK's stored schedules of a project actor calling `fireCronTrigger`. */
async function cronJobs(projectId: string): Promise<{ id: string; time: number; payload: string }[]> {
  return runInDurableObject(env.ProjectAgent.getByName(projectId), (_instance: ProjectAgent, state) =>
    state.storage.sql.exec<{ id: string; time: number; payload: string }>(`SELECT id, time, payload FROM cf_agents_jobs WHERE fn = 'fireCronTrigger'`).toArray(),
  );
}

/** Makes schedule `scheduleId` due at `dueMs` (a minute already past), then runs the actor's alarm as the platform would. */
async function alarmAt(projectId: string, scheduleId: string, dueMs: number): Promise<void> {
  const stub = env.ProjectAgent.getByName(projectId);
  await runInDurableObject(stub, (_instance: ProjectAgent, state) => {
    state.storage.sql.exec(`UPDATE cf_agents_jobs SET time = ? WHERE id = ?`, dueMs, scheduleId);
  });
  await runDurableObjectAlarm(stub);
}

const pastMinute = (minutesAgo: number) => Math.floor(Date.now() / 60_000) * 60_000 - minutesAgo * 60_000;

describe("trigger definitions", () => {
  it("makes, lists, reads, changes and deletes cron and webhook triggers; the secret is shown once", async () => {
    const { projectId } = await projectWithSession("triggers crud");
    const cron = await makeTrigger(projectId, { name: "nightly", kind: "cron", schedule: "0  3 * * *", template: taskTemplate() });
    expect(cron).toMatchObject({ name: "nightly", kind: "cron", schedule: "0 3 * * *", enabled: true, hookPath: null, url: null, lastRun: null, projectId });
    expect(cron.secret).toBeUndefined();
    expect(new Date(cron.nextDueAt ?? "").getUTCHours()).toBe(3);

    const hook = await makeTrigger(projectId, { name: "on push", kind: "webhook", template: taskTemplate("handle {{payload}}") });
    expect(hook.secret).toMatch(/^sam_whsec_[A-Za-z0-9_-]{43}$/);
    expect(hook.hookPath).toBe(`/hooks/${hook.id}`);
    expect(hook.url).toBe(`http://sam.test/hooks/${hook.id}`);
    expect(hook.schedule).toBeNull();

    const list = await apiJson<{ triggers: Made[] }>(`/api/projects/${projectId}/triggers`);
    expect(list.triggers.map((t) => t.id)).toEqual([cron.id, hook.id]);
    expect(JSON.stringify(list)).not.toContain(hook.secret);
    const one = await apiJson<Made>(`/api/projects/${projectId}/triggers/${hook.id}`);
    expect(one).not.toHaveProperty("secret");

    const renamed = await apiJson<Made>(`/api/projects/${projectId}/triggers/${cron.id}`, { method: "PATCH", json: { name: "every minute", schedule: "* * * * *" } });
    expect(renamed).toMatchObject({ name: "every minute", schedule: "* * * * *" });
    const jobs = await cronJobs(projectId);
    expect(jobs).toHaveLength(1);
    expect(JSON.parse(jobs[0].payload)).toMatchObject({ payload: { triggerId: cron.id }, cron: "* * * * *" });

    // Disabling cancels the SDK schedule; enabling makes one again.
    await apiJson(`/api/projects/${projectId}/triggers/${cron.id}`, { method: "PATCH", json: { enabled: false } });
    expect(await cronJobs(projectId)).toEqual([]);
    await apiJson(`/api/projects/${projectId}/triggers/${cron.id}`, { method: "PATCH", json: { enabled: true } });
    expect(await cronJobs(projectId)).toHaveLength(1);

    // A rotated secret replaces the old one.
    const rotated = await apiJson<{ secret: string }>(`/api/projects/${projectId}/triggers/${hook.id}/secret`, { method: "POST" });
    expect(rotated.secret).not.toBe(hook.secret);
    expect((await callHook(hook.id, "{}", { secret: hook.secret })).status).toBe(401);
    expect((await callHook(hook.id, "{}", { secret: rotated.secret })).status).toBe(202);
    expect((await api(`/api/projects/${projectId}/triggers/${cron.id}/secret`, { method: "POST" })).status).toBe(404);

    expect((await api(`/api/projects/${projectId}/triggers/${cron.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await cronJobs(projectId)).toEqual([]);
    expect((await api(`/api/projects/${projectId}/triggers/${cron.id}`)).status).toBe(404);
    expect((await api(`/api/projects/${projectId}/triggers/${cron.id}/runs`)).status).toBe(404);
    expect((await api(`/api/projects/${projectId}/triggers/${cron.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await api(`/api/projects/${projectId}/triggers/not-an-id`)).status).toBe(400);
    // A deleted webhook trigger's URL is gone too.
    await api(`/api/projects/${projectId}/triggers/${hook.id}`, { method: "DELETE" });
    expect((await callHook(hook.id, "{}", { secret: rotated.secret })).status).toBe(404);
  });

  it("refuses bad input with a 400 that says what is wrong", async () => {
    const { projectId } = await projectWithSession("triggers validation");
    const refused = async (body: unknown, words: RegExp, path = `/api/projects/${projectId}/triggers`, method = "POST") => {
      const response = await api(path, { method, json: body });
      const answer = (await response.json()) as { error: { code: string; message: string } };
      expect(response.status, JSON.stringify(answer)).toBe(400);
      expect(answer.error.code).toBe("invalid_input");
      expect(answer.error.message).toMatch(words);
    };
    const base = { name: "t", kind: "cron", template: taskTemplate() };
    await refused({ ...base, schedule: "61 * * * *" }, /schedule.*not a valid cron expression/);
    await refused({ ...base, schedule: "* * * *" }, /schedule.*4 fields.*5/);
    await refused({ ...base, schedule: "0 0 * * * *" }, /6 fields/);
    await refused({ ...base, schedule: "@daily" }, /1 field/);
    await refused(base, /a cron trigger needs a schedule/);
    await refused({ ...base, kind: "webhook", schedule: "* * * * *" }, /a webhook trigger has no schedule/);
    await refused({ ...base, schedule: "* * * * *", template: {} }, /exactly one of/);
    await refused({ ...base, schedule: "* * * * *", template: { task: { prompt: "" } } }, /prompt/);
    await refused({ ...base, schedule: "* * * * *", template: { ...taskTemplate(), mission: { goal: "g", tasks: [{ key: "a", prompt: "p" }] } } }, /exactly one of/);
    await refused({ ...base, schedule: "* * * * *", template: { mission: { goal: "g", tasks: [{ key: "a", prompt: "p", dependsOn: ["b"] }] } } }, /unknown task "b"/);
    await refused({ ...base, kind: "sometimes", schedule: "* * * * *" }, /kind/);
    const made = await makeTrigger(projectId, { ...base, schedule: "* * * * *" });
    await refused({ schedule: "whenever" }, /schedule/, `/api/projects/${projectId}/triggers/${made.id}`, "PATCH");
    await refused({}, /nothing to change/, `/api/projects/${projectId}/triggers/${made.id}`, "PATCH");
    await refused({ kind: "webhook" }, /kind/, `/api/projects/${projectId}/triggers/${made.id}`, "PATCH");
  });
});

describe("cron triggers", () => {
  it("fire on the actor's alarms at most once per due time, across retried alarms and restarts", async () => {
    const { projectId } = await projectWithSession("cron firing");
    const trigger = await makeTrigger(projectId, { name: "every minute", kind: "cron", schedule: "* * * * *", template: taskTemplate("tick {{payload}}") });
    const [job] = await cronJobs(projectId);
    const due = pastMinute(1);

    await alarmAt(projectId, job.id, due);
    const [run] = await pollUntil("the cron run to be recorded", () => runs(projectId, trigger.id), (list) => list.length === 1 && list[0].taskId !== null);
    expect(run).toMatchObject({ triggerId: trigger.id, dueAt: new Date(due).toISOString(), deliveryId: null, outcome: "started", missionId: null, message: null });
    const task = await waitForTask(run.taskId ?? "");
    expect(task).toMatchObject({ status: "succeeded", prompt: "tick", createdBy: (await apiJson<{ user: { id: string } }>("/api/me")).user.id });
    // The SDK moved the schedule on to the next minute.
    expect((await cronJobs(projectId))[0].time).toBeGreaterThan(Date.now() - 1000);

    // The same due time again (an alarm retried, or delivered twice) starts nothing…
    await alarmAt(projectId, job.id, due);
    // …nor after a restart of every actor.
    await abortAllDurableObjects();
    await alarmAt(projectId, job.id, due);
    // An earlier due time is a repeat too; called directly, the callback says nothing fired.
    const direct = await runInDurableObject(env.ProjectAgent.getByName(projectId), (instance: ProjectAgent) => instance.fireCronTrigger({ triggerId: trigger.id }, { time: due / 1000 }));
    expect(direct).toBeNull();
    expect(await runs(projectId, trigger.id)).toHaveLength(1);

    // The next due time fires.
    await alarmAt(projectId, job.id, due + 60_000);
    const after = await pollUntil("the second run", () => runs(projectId, trigger.id), (list) => list.length === 2 && list[0].taskId !== null);
    expect(after[0].dueAt).toBe(new Date(due + 60_000).toISOString());
    expect(after[0].taskId).not.toBe(run.taskId);
    const view = await apiJson<Made>(`/api/projects/${projectId}/triggers/${trigger.id}`);
    expect(view.lastRun?.id).toBe(after[0].id);
  });

  it("a disabled cron trigger does not fire", async () => {
    const { projectId } = await projectWithSession("cron disabled");
    const trigger = await makeTrigger(projectId, { name: "off", kind: "cron", schedule: "* * * * *", template: taskTemplate(), enabled: false });
    expect(await cronJobs(projectId)).toEqual([]);
    expect(trigger.nextDueAt).toBeNull();
    const fired = await runInDurableObject(env.ProjectAgent.getByName(projectId), (instance: ProjectAgent) => instance.fireCronTrigger({ triggerId: trigger.id }, { time: pastMinute(1) / 1000 }));
    expect(fired).toBeNull();
    expect(await runs(projectId, trigger.id)).toEqual([]);
  });

  it("a start that is refused (its person no longer a member) is recorded once and not retried", async () => {
    const { projectId } = await projectWithSession("cron refused");
    const member = await addUser("trigger maker");
    await apiJson(`/api/projects/${projectId}/members`, { method: "POST", json: { userId: member.id, role: "member" } }, 201);
    const trigger = await makeTrigger(projectId, { name: "theirs", kind: "cron", schedule: "* * * * *", template: taskTemplate() }, member.token);
    expect(trigger).toMatchObject({ createdBy: member.id, runsAs: member.id });
    expect((await api(`/api/projects/${projectId}/members/${member.id}`, { method: "DELETE" })).status).toBe(204);

    const [job] = await cronJobs(projectId);
    const due = pastMinute(1);
    await alarmAt(projectId, job.id, due);
    await alarmAt(projectId, job.id, due);
    const list = await runs(projectId, trigger.id);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ outcome: "refused", taskId: null, missionId: null, dueAt: new Date(due).toISOString() });
    expect(list[0].message).toMatch(/no longer an active member/);
    expect((await apiJson<{ tasks: unknown[] }>(`/api/projects/${projectId}/tasks`)).tasks).toEqual([]);
    // The person it ran as hears of it, once.
    const heard = await apiJson<{ notifications: { kind: string; subjectId: string | null; link: string; projectId: string | null }[] }>("/api/notifications", { token: member.token });
    expect(heard.notifications.filter((n) => n.kind === "trigger.failed")).toEqual([expect.objectContaining({ subjectId: list[0].id, projectId, link: `/projects/${projectId}` })]);

    // Whoever changes the template makes the trigger run as themselves from then on.
    const changed = await apiJson<Made>(`/api/projects/${projectId}/triggers/${trigger.id}`, { method: "PATCH", json: { template: taskTemplate("mine now") } });
    expect(changed).toMatchObject({ createdBy: member.id, runsAs: (await apiJson<{ user: { id: string } }>("/api/me")).user.id });
    await alarmAt(projectId, job.id, due + 60_000);
    const [latest] = await pollUntil("a started run", () => runs(projectId, trigger.id), (l) => l[0]?.outcome === "started" && l[0].taskId !== null);
    expect((await waitForTask(latest.taskId ?? "")).prompt).toBe("mine now");
  });
});

describe("webhook triggers", () => {
  it("a signed call starts the task with the payload in its prompt; a repeated delivery id is acknowledged and not run twice", async () => {
    const { projectId } = await projectWithSession("webhook");
    const hook = await makeTrigger(projectId, { name: "on push", kind: "webhook", template: taskTemplate("Review this push: {{payload}} ({{payload}})") });
    const payload = JSON.stringify({ ref: "refs/heads/main", note: "$& and $1 stay as they are" });

    const first = await callHook(hook.id, payload, { secret: hook.secret, githubDelivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(first.status).toBe(202);
    const accepted = (await first.json()) as { duplicate: boolean; run: TriggerRun };
    expect(accepted.duplicate).toBe(false);
    expect(accepted.run).toMatchObject({ triggerId: hook.id, outcome: "started", deliveryId: "72d3162e-cc78-11e3-81ab-4c9367dc0958", dueAt: null });
    const task = await waitForTask(accepted.run.taskId ?? "");
    expect(task.status).toBe("succeeded");
    expect(task.prompt).toBe(`Review this push: ${payload} (${payload})`);

    const again = await callHook(hook.id, payload, { secret: hook.secret, githubDelivery: "72d3162e-cc78-11e3-81ab-4c9367dc0958" });
    expect(again.status).toBe(200);
    const duplicate = (await again.json()) as { duplicate: boolean; run: TriggerRun };
    expect(duplicate.duplicate).toBe(true);
    expect(duplicate.run).toMatchObject({ outcome: "duplicate", taskId: accepted.run.taskId });
    expect(duplicate.run.message).toContain(accepted.run.id);

    // SAM's own delivery header works the same; a call without a delivery id is never a duplicate.
    expect((await callHook(hook.id, "{}", { secret: hook.secret, delivery: "d-1" })).status).toBe(202);
    expect((await callHook(hook.id, "{}", { secret: hook.secret, delivery: "d-1" })).status).toBe(200);
    expect((await callHook(hook.id, "{}", { secret: hook.secret })).status).toBe(202);
    expect((await callHook(hook.id, "{}", { secret: hook.secret })).status).toBe(202);

    const list = await runs(projectId, hook.id);
    expect(list.map((r) => r.outcome)).toEqual(["started", "started", "duplicate", "started", "duplicate", "started"]);
    const tasks = (await apiJson<{ tasks: { id: string }[] }>(`/api/projects/${projectId}/tasks`)).tasks;
    expect(tasks).toHaveLength(4);
  });

  it("refuses a call whose signature is missing, malformed or wrong, and starts nothing", async () => {
    const { projectId } = await projectWithSession("webhook signatures");
    const hook = await makeTrigger(projectId, { name: "signed", kind: "webhook", template: taskTemplate() });
    const body = '{"a":1}';
    const wrongKey = await signatureFor("not the secret", new TextEncoder().encode(body));
    const otherBody = await signatureFor(hook.secret ?? "", new TextEncoder().encode('{"a":2}'));
    for (const signature of [null, "sha1=abc", "sha256=zz", wrongKey, otherBody, wrongKey.replace("sha256=", "")]) {
      const response = await callHook(hook.id, body, { signature });
      expect(response.status, String(signature)).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    }
    // Upper-case hex is the same signature.
    const good = await signatureFor(hook.secret ?? "", new TextEncoder().encode(body));
    expect((await callHook(hook.id, body, { signature: `sha256=${good.slice(7).toUpperCase()}` })).status).toBe(202);
    expect(await runs(projectId, hook.id)).toHaveLength(1);
    // A cron trigger has no URL; an unknown one neither.
    const cron = await makeTrigger(projectId, { name: "c", kind: "cron", schedule: "0 0 1 1 *", template: taskTemplate() });
    expect((await callHook(cron.id, body, { secret: "x" })).status).toBe(404);
    expect((await callHook("trg_01ARZ3NDEKTSV4RRFFQ69G5FAV", body, { secret: "x" })).status).toBe(404);
    expect((await api(`/hooks/${hook.id}`, { method: "GET", token: null })).status).toBe(404);
  });

  it("caps the payload at 256 KiB (413) and refuses a run whose prompt the payload makes too long", async () => {
    const { projectId } = await projectWithSession("webhook cap");
    const hook = await makeTrigger(projectId, { name: "big", kind: "webhook", template: taskTemplate("look: {{payload}}") });
    const over = new Uint8Array(256 * 1024 + 1).fill(0x61);
    const response = await callHook(hook.id, over, { secret: hook.secret });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    expect(await runs(projectId, hook.id)).toEqual([]);

    const atCap = new Uint8Array(256 * 1024).fill(0x61);
    const accepted = await callHook(hook.id, atCap, { secret: hook.secret });
    expect(accepted.status).toBe(202);
    const { run } = (await accepted.json()) as { run: TriggerRun };
    expect(run.outcome).toBe("refused");
    expect(run.message).toMatch(/prompt/);
  });

  it("a disabled trigger refuses calls with 409 trigger_disabled", async () => {
    const { projectId } = await projectWithSession("webhook disabled");
    const hook = await makeTrigger(projectId, { name: "off", kind: "webhook", template: taskTemplate(), enabled: false });
    const response = await callHook(hook.id, "{}", { secret: hook.secret });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("trigger_disabled");
    expect(await runs(projectId, hook.id)).toEqual([]);
    await apiJson(`/api/projects/${projectId}/triggers/${hook.id}`, { method: "PATCH", json: { enabled: true } });
    expect((await callHook(hook.id, "{}", { secret: hook.secret })).status).toBe(202);
  });

  it("a mission template gets the payload in every task prompt that has the placeholder", async () => {
    const { projectId } = await projectWithSession("webhook mission");
    const hook = await makeTrigger(projectId, {
      name: "mission",
      kind: "webhook",
      template: { mission: { goal: "react to {{payload}}", tasks: [{ key: "a", prompt: "first: {{payload}}", script: DONE }, { key: "b", prompt: "second, plain", dependsOn: ["a"], script: DONE }] } },
    });
    const response = await callHook(hook.id, "ping", { secret: hook.secret });
    expect(response.status).toBe(202);
    const { run } = (await response.json()) as { run: TriggerRun };
    expect(run).toMatchObject({ outcome: "started", taskId: null });
    const mission = await pollUntil("the mission to end", () => apiJson<MissionView>(`/api/missions/${run.missionId}`), (m) => m.status === "succeeded" || m.status === "failed", { timeoutMs: 20_000 });
    expect(mission.status).toBe("succeeded");
    expect(mission.goal).toBe("react to ping");
    const prompts = await Promise.all(mission.tasks.map(async (t) => (await apiJson<{ prompt: string }>(`/api/tasks/${t.taskId}`)).prompt));
    expect(prompts[0]).toBe("first: ping");
    // The second prompt is as written (then the handoff from "a", which the mission adds).
    expect(prompts[1]).toMatch(/^second, plain\n/);
    expect(prompts[1]).not.toContain("ping");
  });

  it("counts failed signatures against the caller's address: 429 once it had its fill", async () => {
    const { projectId } = await projectWithSession("webhook throttle");
    const hook = await makeTrigger(projectId, { name: "t", kind: "webhook", template: taskTemplate() });
    const address = { "cf-connecting-ip": "203.0.113.77" };
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      const response = await api(`/hooks/${hook.id}`, { method: "POST", token: null, headers: { ...address, "x-hub-signature-256": `sha256=${"0".repeat(64)}` }, body: "{}" });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});
