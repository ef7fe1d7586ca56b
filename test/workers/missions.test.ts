import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ChatMessage, MissionView, TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { api, apiJson, createOtherUser, projectWithSession, transcript, waitForTask } from "./helpers.ts";

type Step = { text?: string; toolCalls?: { toolName: string; input: unknown }[] };
const bash = (command: string, text = "done"): Step[] => [{ toolCalls: [{ toolName: "bash", input: { command } }] }, { text }];

async function createMission(projectId: string, body: Record<string, unknown>): Promise<string> {
  const created = await apiJson<{ id: string; status: string }>(`/api/projects/${projectId}/missions`, { method: "POST", json: body }, 201);
  expect(created.id).toMatch(/^msn_/);
  return created.id;
}

const ENDED: MissionView["status"][] = ["succeeded", "failed", "cancelled"];

/** What a timeout error shows of a mission: its status and its tasks' statuses. */
const showMission = (m: MissionView) => ({ status: m.status, tasks: m.tasks.map((t) => [t.key, t.status]) });

/** Polls the mission until its status is one of `statuses` (default: ended); throws after 25 s (within the test's 30 s) with what it last saw. */
async function waitForMission(missionId: string, statuses: MissionView["status"][] = ENDED): Promise<MissionView> {
  return pollUntil(`mission ${missionId} to be ${statuses.join(" or ")}`, () => apiJson<MissionView>(`/api/missions/${missionId}`), (m) => statuses.includes(m.status), {
    timeoutMs: 25_000,
    intervalMs: 100,
    show: showMission,
  });
}

/** Polls the session's messages until one matches `match`; throws after 5 s with the messages seen. */
async function waitForMessage(projectId: string, sessionId: string, what: string, match: (m: ChatMessage) => boolean): Promise<ChatMessage> {
  const seen = await pollUntil(what, () => messages(projectId, sessionId), (all) => all.some(match), {
    timeoutMs: 5_000,
    show: (all) => all.map((m) => `${m.author.name}: ${m.text}`),
  });
  return seen.find(match) as ChatMessage;
}

async function taskView(taskId: string): Promise<TaskView> {
  return apiJson<TaskView>(`/api/tasks/${taskId}`);
}

/** [start, end] of a task in epoch ms: its first status event and its terminal one. */
async function interval(taskId: string): Promise<[number, number]> {
  const statuses = (await transcript(taskId)).filter((e) => e.type === "status");
  return [Date.parse(statuses[0]?.at ?? ""), Date.parse(statuses.at(-1)?.at ?? "")];
}

/** The most intervals that overlap at one instant. */
function maxOverlap(intervals: [number, number][]): number {
  const points = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  // At equal times an end comes before a start: a task that starts as another ends does not overlap it.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of points) {
    current += delta;
    max = Math.max(max, current);
  }
  return max;
}

async function messages(projectId: string, sessionId: string): Promise<ChatMessage[]> {
  return (await apiJson<{ messages: ChatMessage[] }>(`/api/projects/${projectId}/sessions/${sessionId}/messages`)).messages;
}

describe("missions", () => {
  it("refuses a plan with a cycle, an unknown dependency or a duplicate key, and hides other users' missions", async () => {
    const { projectId } = await projectWithSession();
    const cycle = await api(`/api/projects/${projectId}/missions`, {
      method: "POST",
      json: { goal: "g", tasks: [{ key: "a", prompt: "p", dependsOn: ["b"] }, { key: "b", prompt: "p", dependsOn: ["a"] }] },
    });
    expect(cycle.status).toBe(400);
    expect(((await cycle.json()) as { error: { code: string; message: string } }).error.message).toContain("cycle");
    const unknown = await api(`/api/projects/${projectId}/missions`, { method: "POST", json: { goal: "g", tasks: [{ key: "a", prompt: "p", dependsOn: ["zz"] }] } });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toContain('unknown task \\"zz\\"');
    const duplicate = await api(`/api/projects/${projectId}/missions`, { method: "POST", json: { goal: "g", tasks: [{ key: "a", prompt: "p" }, { key: "a", prompt: "q" }] } });
    expect(duplicate.status).toBe(400);
    expect((await apiJson<{ missions: MissionView[] }>(`/api/projects/${projectId}/missions`)).missions).toEqual([]);

    const id = await createMission(projectId, { goal: "mine", tasks: [{ key: "a", prompt: "p", script: [{ text: "ok" }] }] });
    const other = await createOtherUser();
    expect((await api(`/api/missions/${id}`, { token: other })).status).toBe(404);
    expect((await api(`/api/missions/${id}/cancel`, { method: "POST", token: other })).status).toBe(404);
    expect((await api(`/api/missions/not-an-id`)).status).toBe(400);
    expect((await waitForMission(id)).status).toBe("succeeded");
  });

  it("runs tasks in dependency order, hands each result to its dependents, and posts a summary", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const id = await createMission(projectId, {
      goal: "build the greeting",
      sessionId,
      tasks: [
        { key: "a", prompt: "write the name", script: bash("sleep 0.3; echo world > name.txt", "Wrote name.txt") },
        { key: "b", prompt: "write the greeting word", script: bash("echo hello > word.txt", "Wrote word.txt") },
        {
          key: "c",
          prompt: "combine them",
          dependsOn: ["a", "b"],
          script: bash('echo "$(cat word.txt) $(cat name.txt)" > greeting.txt; cat greeting.txt', "Combined"),
        },
      ],
    });
    const mission = await waitForMission(id);
    expect(mission.status).toBe("succeeded");
    expect(mission.tasks.map((t) => [t.key, t.status, t.attempts])).toEqual([
      ["a", "succeeded", 1],
      ["b", "succeeded", 1],
      ["c", "succeeded", 1],
    ]);
    const [a, b, c] = await Promise.all(mission.tasks.map((t) => taskView(t.taskId ?? "")));
    // c started only after both of its dependencies had ended.
    const [cStart] = await interval(c.id);
    expect(cStart).toBeGreaterThanOrEqual((await interval(a.id))[1]);
    expect(cStart).toBeGreaterThanOrEqual((await interval(b.id))[1]);
    // The handoff: summaries in c's prompt, changed files in its workspace.
    expect(c.prompt).toContain('Handoff from task "a"');
    expect(c.prompt).toContain("Summary: Wrote name.txt");
    expect(c.prompt).toContain("Changed files: name.txt");
    expect(c.missionId).toBe(id);
    expect(await (await api(`/api/tasks/${c.id}/files/greeting.txt`)).text()).toBe("hello world\n");
    expect(mission.usage.inputTokens).toBe(a.usage.inputTokens + b.usage.inputTokens + c.usage.inputTokens);
    // The tech lead's summary arrives in the mission's session.
    const summary = await waitForMessage(projectId, sessionId, "the tech lead's summary", (m) => m.author.name === "tech lead" && m.text.includes("build the greeting"));
    expect(summary?.text).toContain("succeeded: 3 of 3 tasks succeeded");
    expect(summary?.text).toContain("Cost: $");
    const listed = await apiJson<{ missions: MissionView[] }>(`/api/projects/${projectId}/missions`);
    expect(listed.missions.map((m) => [m.id, m.status])).toEqual([[id, "succeeded"]]);
  });

  it("never runs more than maxConcurrent tasks of a 20-task plan at once", async () => {
    const { projectId } = await projectWithSession();
    const tasks = Array.from({ length: 20 }, (_, i) => ({ key: `t${i}`, prompt: "work", script: bash("sleep 0.2") }));
    const id = await createMission(projectId, { goal: "many", tasks, maxConcurrent: 3 });
    const mission = await waitForMission(id);
    expect(mission.status).toBe("succeeded");
    const intervals = await Promise.all(mission.tasks.map((t) => interval(t.taskId ?? "")));
    expect(maxOverlap(intervals)).toBe(3);
  });

  it("holds the project-wide cap across missions", async () => {
    const { projectId } = await projectWithSession();
    await apiJson(`/api/projects/${projectId}`, { method: "PATCH", json: { limits: { maxConcurrentTasks: 2 } } });
    const plan = (p: string) => Array.from({ length: 4 }, (_, i) => ({ key: `${p}${i}`, prompt: "work", script: bash("sleep 0.2") }));
    const ids = await Promise.all([createMission(projectId, { goal: "one", tasks: plan("x"), maxConcurrent: 4 }), createMission(projectId, { goal: "two", tasks: plan("y"), maxConcurrent: 4 })]);
    const missions = await Promise.all(ids.map((id) => waitForMission(id)));
    expect(missions.map((m) => m.status)).toEqual(["succeeded", "succeeded"]);
    const intervals = await Promise.all(missions.flatMap((m) => m.tasks.map((t) => interval(t.taskId ?? ""))));
    expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
  });

  it("retries a failed task, gives up after maxRetries, and stops its dependents", async () => {
    const { projectId, sessionId } = await projectWithSession();
    // maxSteps 1 with a two-step script: every attempt fails on its step limit.
    const id = await createMission(projectId, {
      goal: "doomed",
      sessionId,
      maxRetries: 1,
      tasks: [
        { key: "flaky", prompt: "try", script: bash("echo attempt"), maxSteps: 1 },
        { key: "after", prompt: "never", dependsOn: ["flaky"], script: bash("echo should-not-run") },
        { key: "later", prompt: "never either", dependsOn: ["after"], script: bash("echo should-not-run") },
        { key: "free", prompt: "independent", script: bash("echo fine") },
      ],
    });
    const mission = await waitForMission(id);
    expect(mission.status).toBe("failed");
    const byKey = Object.fromEntries(mission.tasks.map((t) => [t.key, t]));
    expect(byKey.flaky?.status).toBe("failed");
    expect(byKey.flaky?.attempts).toBe(2);
    expect(byKey.flaky?.error).toContain("step limit");
    expect(byKey.after?.status).toBe("skipped");
    expect(byKey.after?.taskId).toBeNull();
    expect(byKey.after?.error).toContain('depends on "flaky"');
    expect(byKey.later?.status).toBe("skipped");
    expect(byKey.free?.status).toBe("succeeded");
    // Two attempts means two tasks; neither dependent ever started.
    const tasks = await apiJson<{ tasks: TaskView[] }>(`/api/projects/${projectId}/tasks`);
    expect(tasks.tasks.filter((t) => t.prompt === "try").map((t) => t.status)).toEqual(["failed", "failed"]);
    expect(tasks.tasks.filter((t) => t.prompt.startsWith("never"))).toEqual([]);
    const summary = await waitForMessage(projectId, sessionId, "the failure summary", (m) => m.text.includes('Mission "doomed" failed'));
    expect(summary?.text).toContain("✗ flaky failed (after 2 attempts)");
  });

  it("pauses, resumes and cancels, cancelling running tasks", async () => {
    const { projectId } = await projectWithSession();
    const id = await createMission(projectId, {
      goal: "long",
      maxConcurrent: 1,
      tasks: [
        { key: "slow", prompt: "wait", script: bash("sleep 30") },
        { key: "next", prompt: "after", script: bash("echo next") },
      ],
    });
    const running = await waitForMission(id, ["running"]);
    expect(running.status).toBe("running");
    const paused = await apiJson<MissionView>(`/api/missions/${id}/pause`, { method: "POST" });
    expect(paused.status).toBe("paused");
    expect((await apiJson<MissionView>(`/api/missions/${id}/resume`, { method: "POST" })).status).toBe("running");
    const slowTask = (await pollUntil("the slow task to start", () => apiJson<MissionView>(`/api/missions/${id}`), (m) => Boolean(m.tasks[0]?.taskId), { show: showMission })).tasks[0]?.taskId ?? "";
    await waitForTask(slowTask, ["running"]);
    const cancelled = await apiJson<MissionView>(`/api/missions/${id}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.tasks.map((t) => t.status)).toEqual(["cancelled", "cancelled"]);
    expect(cancelled.tasks[1]?.taskId).toBeNull();
    const task = await waitForTask(slowTask);
    expect(task.status).toBe("cancelled");
    expect(task.error).toContain("mission cancelled");
    // A late report cannot bring it back.
    expect((await apiJson<MissionView>(`/api/missions/${id}/resume`, { method: "POST" })).status).toBe("cancelled");
  });

  it("survives every actor being aborted mid-mission: completes, each tool call journaled once", async () => {
    const { projectId } = await projectWithSession();
    const id = await createMission(projectId, {
      goal: "crash",
      tasks: [
        { key: "a", prompt: "a", script: [...bash("echo a >> runs.log; sleep 1").slice(0, 1), ...bash("echo a2 >> runs.log")] },
        { key: "b", prompt: "b", script: bash("echo b >> runs.log; sleep 1") },
        { key: "c", prompt: "c", dependsOn: ["a", "b"], script: bash("echo c >> runs.log") },
      ],
    });
    // Abort while a's first command is in flight.
    await pollUntil(
      "task a to start a command",
      async () => {
        const a = (await apiJson<MissionView>(`/api/missions/${id}`)).tasks[0]?.taskId;
        return a ? transcript(a) : [];
      },
      (events) => events.some((e) => e.type === "tool_call"),
      { timeoutMs: 15_000, intervalMs: 20, show: (events) => events.map((e) => e.type) },
    );
    await abortAllDurableObjects();
    const missionStub = env.MissionAgent.getByName(id);
    // Each look runs the actors' alarms by hand (the restart a crash leaves them to) until the mission ends.
    const mission = await pollUntil(
      "the mission to end after the abort",
      async () => {
        const view = await apiJson<MissionView>(`/api/missions/${id}`);
        if (!ENDED.includes(view.status)) {
          await runDurableObjectAlarm(missionStub);
          for (const t of view.tasks) if (t.taskId) await runDurableObjectAlarm(env.TaskAgent.getByName(t.taskId));
        }
        return view;
      },
      (view) => ENDED.includes(view.status),
      { timeoutMs: 25_000, intervalMs: 100, show: showMission },
    );
    expect(mission.status).toBe("succeeded");
    expect(mission.tasks.map((t) => t.attempts)).toEqual([1, 1, 1]);
    for (const entry of mission.tasks) {
      const events: TranscriptEvent[] = await transcript(entry.taskId ?? "");
      const calls = events.flatMap((e) => (e.type === "tool_call" ? [e.toolCallId] : []));
      const results = events.flatMap((e) => (e.type === "tool_result" ? [e.toolCallId] : []));
      expect(new Set(calls).size).toBe(calls.length);
      expect(results).toEqual(calls);
    }
    // The project lists exactly the mission's three tasks: nothing started twice.
    const tasks = await apiJson<{ tasks: TaskView[] }>(`/api/projects/${projectId}/tasks`);
    expect(tasks.tasks.map((t) => t.id).sort()).toEqual(mission.tasks.map((t) => t.taskId).sort());
  });
});
