/**
 * Missions end to end against the started stack: a scripted tech lead receives a chat message,
 * creates a three-task mission with one dependency, the tasks run real commands in their
 * bubblewrap workspaces, and the summary arrives in the chat. Then the same with the whole stack
 * killed (SIGKILL) and started again in the middle of the mission.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { ChatMessage, MissionView, ServerFrame, TranscriptEvent } from "../../src/shared/protocol.ts";
import { connectProject } from "../../src/client/project-client.ts";
import { pollUntil, waitUntil } from "../support/poll.ts";
import { call, startStack, type Stack } from "./stack.ts";

let stack: Stack | undefined;

afterAll(async () => {
  await stack?.stop();
});

const bash = (command: string, text: string) => [{ toolCalls: [{ toolName: "bash", input: { command } }] }, { text }];

/** A project whose scripted tech lead creates the three-task mission when spoken to. */
async function projectWithLead(s: Stack, name: string, slow: boolean): Promise<{ projectId: string; sessionId: string }> {
  const project = await call<{ id: string }>(s, "/api/projects", { json: { name } });
  const session = await call<{ id: string }>(s, `/api/projects/${project.id}/sessions`, { json: { title: "lead", kind: "tech-lead" } });
  const pause = slow ? "sleep 4; " : "";
  const plan = {
    goal: `build ${name}`,
    tasks: [
      { key: "lib", prompt: "write the library", script: bash(`${pause}echo 'greet() { echo "hello $1"; }' > lib.sh; echo lib >> runs.log`, "wrote lib.sh") },
      { key: "data", prompt: "write the data", script: bash("echo world > name.txt; echo data >> runs.log", "wrote name.txt") },
      {
        key: "app",
        prompt: "use the library",
        dependsOn: ["lib"],
        script: bash('. ./lib.sh && greet "$(cat name.txt 2>/dev/null || echo you)" | tee out.txt', "ran the app"),
      },
    ],
  };
  await call(s, `/api/projects/${project.id}`, {
    method: "PATCH",
    json: { techLead: { model: "scripted", script: [{ toolCalls: [{ toolName: "create_mission", input: plan }] }, { text: "Mission started." }] } },
  });
  return { projectId: project.id, sessionId: session.id };
}

/** Polls the project's (first) mission until it ends and returns its view; throws after `timeoutMs` with the missions last seen. */
async function waitForMission(s: Stack, projectId: string, timeoutMs: number): Promise<MissionView> {
  const { missions } = await pollUntil(
    `project ${projectId}'s mission to end`,
    () => call<{ missions: MissionView[] }>(s, `/api/projects/${projectId}/missions`),
    ({ missions }) => missions[0] !== undefined && ["succeeded", "failed", "cancelled"].includes(missions[0].status),
    { timeoutMs, intervalMs: 200, show: ({ missions }) => missions.map((m) => ({ status: m.status, tasks: m.tasks.map((t) => [t.key, t.status]) })) },
  );
  return call<MissionView>(s, `/api/missions/${missions[0].id}`);
}

async function expectEachToolCallOnce(s: Stack, mission: MissionView): Promise<void> {
  for (const entry of mission.tasks) {
    const { events } = await call<{ events: TranscriptEvent[] }>(s, `/api/tasks/${entry.taskId}/transcript`);
    const calls = events.flatMap((e) => (e.type === "tool_call" ? [e.toolCallId] : []));
    const results = events.flatMap((e) => (e.type === "tool_result" ? [e.toolCallId] : []));
    expect(calls).toHaveLength(1);
    expect(results).toEqual(calls);
  }
}

describe("missions end to end", () => {
  it("a chat message becomes a mission whose tasks run real commands, and its summary arrives in the chat", async () => {
    stack = await startStack();
    const { projectId, sessionId } = await projectWithLead(stack, "greeter", false);
    const client = connectProject({ host: stack.host, projectId, token: stack.token });
    const seen: ServerFrame[] = [];
    client.onFrame((f) => seen.push(f));
    await client.opened();
    client.sendChat(sessionId, "Build the greeter, please");
    const mission = await waitForMission(stack, projectId, 60_000);
    expect(mission.status).toBe("succeeded");
    expect(mission.tasks.map((t) => [t.key, t.status])).toEqual([
      ["lib", "succeeded"],
      ["data", "succeeded"],
      ["app", "succeeded"],
    ]);
    const app = mission.tasks[2]?.taskId ?? "";
    // app depends on lib only: lib.sh was handed over, name.txt (from data) was not.
    const out = await fetch(`${stack.url}/api/tasks/${app}/files/out.txt`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(await out.text()).toBe("hello you\n");
    await expectEachToolCallOnce(stack, mission);
    const chat = () => seen.flatMap((f) => (f.type === "chat.message" ? [f.message] : []));
    const isSummary = (m: ChatMessage) => m.text.startsWith('Mission "build greeter" succeeded');
    await waitUntil("the mission's summary in the chat", () => chat().some(isSummary), () => chat().map((m) => m.text));
    const summary = chat().find(isSummary);
    expect(summary?.sessionId).toBe(sessionId);
    expect(summary?.text).toContain("3 of 3 tasks succeeded");
    // The live stream showed the reply and the create_mission card; mission updates reached the client.
    expect(seen.some((f) => f.type === "chat.delta")).toBe(true);
    expect(seen.some((f) => f.type === "chat.card" && f.card.toolName === "create_mission" && !f.card.isError)).toBe(true);
    expect(seen.some((f) => f.type === "mission.updated" && f.mission.id === mission.id && f.mission.status === "succeeded")).toBe(true);
    client.close();
    await stack.stop();
    stack = undefined;
  });

  it("a mission survives the stack being killed and started again mid-way", async () => {
    stack = await startStack();
    const { projectId, sessionId } = await projectWithLead(stack, "survivor", true);
    await call(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages`, { json: { text: "Build it" } });
    // Kill everything while lib's slow command runs.
    const running = stack;
    await pollUntil(
      "lib to start its command",
      async () => {
        const { missions } = await call<{ missions: MissionView[] }>(running, `/api/projects/${projectId}/missions`);
        const lib = missions[0]?.tasks[0]?.taskId;
        return lib ? (await call<{ events: TranscriptEvent[] }>(running, `/api/tasks/${lib}/transcript`)).events : [];
      },
      (events) => events.some((e) => e.type === "tool_call"),
      { timeoutMs: 30_000, show: (events) => events.map((e) => e.type) },
    );
    await stack.crash();
    stack = await startStack({ stateDir: stack.stateDir, token: stack.token });
    const mission = await waitForMission(stack, projectId, 120_000);
    expect(mission.status).toBe("succeeded");
    expect(mission.tasks.map((t) => t.attempts)).toEqual([1, 1, 1]);
    await expectEachToolCallOnce(stack, mission);
    const { messages } = await call<{ messages: ChatMessage[] }>(stack, `/api/projects/${projectId}/sessions/${sessionId}/messages`);
    expect(messages.filter((m) => m.text.startsWith('Mission "build survivor" succeeded'))).toHaveLength(1);
  });
});
