import { describe, expect, it } from "vitest";
import type { ChatMessage, TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { api, apiJson, connect, projectWithSession, transcript, waitForTask } from "./helpers.ts";

type ToolResult = Extract<TranscriptEvent, { type: "tool_result" }>;
const toolResults = (events: TranscriptEvent[]) => events.filter((e): e is ToolResult => e.type === "tool_result");

async function startTask(projectId: string, body: Record<string, unknown>): Promise<string> {
  return (await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: body }, 201)).id;
}

async function projectTasks(projectId: string): Promise<TaskView[]> {
  return (await apiJson<{ tasks: TaskView[] }>(`/api/projects/${projectId}/tasks`)).tasks;
}

const childScript = (command: string) => [{ toolCalls: [{ toolName: "bash", input: { command } }] }, { text: "child done" }];

describe("child tasks", () => {
  it("dispatches idempotently, waits without running, and wakes with the children's results", async () => {
    const { projectId } = await projectWithSession();
    const socket = await connect(projectId);
    const parentId = await startTask(projectId, {
      prompt: "split the work",
      script: [
        {
          toolCalls: [
            // The same idempotency key twice: one child, reported twice.
            { toolName: "dispatch_task", input: { prompt: "child one", idempotency_key: "one", script: childScript("sleep 0.5; echo one > out.txt") } },
            { toolName: "dispatch_task", input: { prompt: "child one again", idempotency_key: "one", script: childScript("echo never") } },
            { toolName: "dispatch_task", input: { prompt: "child two", script: childScript("echo two > out.txt") } },
          ],
        },
        { toolCalls: [{ toolName: "wait_for_tasks", input: {} }] },
        { text: "all children finished" },
      ],
    });
    // While the children run, the parent waits (no loop running).
    await socket.next((f) => f.type === "task.updated" && f.task.id === parentId && f.task.status === "waiting");
    const parent = await waitForTask(parentId);
    expect(parent.status).toBe("succeeded");
    const [first, again, second, waited] = toolResults(await transcript(parentId));
    const firstChild = JSON.parse(first?.output ?? "{}") as { taskId: string };
    expect(JSON.parse(again?.output ?? "{}")).toMatchObject({ taskId: firstChild.taskId });
    const secondChild = JSON.parse(second?.output ?? "{}") as { taskId: string };
    expect(secondChild.taskId).not.toBe(firstChild.taskId);
    const results = JSON.parse(waited?.output ?? "[]") as { taskId: string; status: string; summary: string; changedFiles: string[] }[];
    expect(results.map((r) => [r.taskId, r.status, r.summary, r.changedFiles])).toEqual([
      [firstChild.taskId, "succeeded", "child done", ["out.txt"]],
      [secondChild.taskId, "succeeded", "child done", ["out.txt"]],
    ]);
    const children = (await projectTasks(projectId)).filter((t) => t.parentTaskId === parentId);
    expect(children.map((c) => c.prompt).sort()).toEqual(["child one", "child two"]);
    expect(children.every((c) => c.depth === 1)).toBe(true);
    expect(await (await api(`/api/tasks/${firstChild.taskId}/files/out.txt`)).text()).toBe("one\n");
    // The waiting parent's status went running → waiting → running → succeeded.
    const statuses = (await transcript(parentId)).flatMap((e) => (e.type === "status" ? [e.status] : []));
    expect(statuses).toEqual(["queued", "running", "waiting", "running", "succeeded"]);
  });

  it("refuses children beyond the project's depth and fan-out limits", async () => {
    const { projectId } = await projectWithSession();
    await apiJson(`/api/projects/${projectId}`, { method: "PATCH", json: { limits: { maxDepth: 1, maxChildren: 2 } } });
    const grandchild = [{ toolCalls: [{ toolName: "dispatch_task", input: { prompt: "too deep", script: [{ text: "x" }] } }] }, { text: "tried" }];
    const parentId = await startTask(projectId, {
      prompt: "fan out",
      script: [
        {
          toolCalls: [
            { toolName: "dispatch_task", input: { prompt: "c1", script: grandchild } },
            { toolName: "dispatch_task", input: { prompt: "c2", script: [{ text: "ok" }] } },
            { toolName: "dispatch_task", input: { prompt: "c3", script: [{ text: "ok" }] } },
          ],
        },
        { toolCalls: [{ toolName: "wait_for_tasks", input: {} }] },
        { text: "done" },
      ],
    });
    expect((await waitForTask(parentId)).status).toBe("succeeded");
    const [, , third] = toolResults(await transcript(parentId));
    expect(third?.isError).toBe(true);
    expect(third?.output).toContain("already has 2 children");
    const c1 = (await projectTasks(projectId)).find((t) => t.prompt === "c1");
    const [deep] = toolResults(await transcript(c1?.id ?? ""));
    expect(deep?.isError).toBe(true);
    expect(deep?.output).toContain("depth 2; the project allows 1");
    expect((await projectTasks(projectId)).map((t) => t.prompt).sort()).toEqual(["c1", "c2", "fan out"]);
  });

  it("cancelling a parent cancels its children", async () => {
    const { projectId } = await projectWithSession();
    const parentId = await startTask(projectId, {
      prompt: "parent",
      script: [
        { toolCalls: [{ toolName: "dispatch_task", input: { prompt: "slow child", script: childScript("sleep 30") } }] },
        { toolCalls: [{ toolName: "wait_for_tasks", input: {} }] },
        { text: "never" },
      ],
    });
    await waitForTask(parentId, ["waiting"]);
    const child = (await projectTasks(projectId)).find((t) => t.parentTaskId === parentId);
    expect(child).toBeDefined();
    await waitForTask(child?.id ?? "", ["running"]);
    expect((await apiJson<TaskView>(`/api/tasks/${parentId}/cancel`, { method: "POST" })).status).toBe("cancelled");
    const ended = await waitForTask(child?.id ?? "");
    expect(ended.status).toBe("cancelled");
    expect(ended.error).toContain(`parent task ${parentId} cancelled`);
  });
});

describe("waiting on people, and silence", () => {
  it("ask_human waits, shows the question in the chat, and resumes with an answer from the API or the chat", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const taskId = await startTask(projectId, {
      prompt: "needs decisions",
      sessionId,
      script: [
        { toolCalls: [{ toolName: "ask_human", input: { question: "Which database?" } }] },
        { toolCalls: [{ toolName: "ask_human", input: { question: "Which port?" } }] },
        { text: "decided" },
      ],
    });
    const waiting = await waitForTask(taskId, ["waiting"]);
    expect(waiting.question).toBe("Which database?");
    expect((await apiJson<{ tasks: TaskView[] }>(`/api/projects/${projectId}/tasks`)).tasks[0]?.question).toBe("Which database?");
    const posted = (await apiJson<{ messages: ChatMessage[] }>(`/api/projects/${projectId}/sessions/${sessionId}/messages`)).messages;
    expect(posted.some((m) => m.text.includes(`Task ${taskId} asks: Which database?`))).toBe(true);
    // An empty answer is refused; the task keeps waiting.
    expect((await api(`/api/tasks/${taskId}/answer`, { method: "POST", json: { text: " " } })).status).toBe(400);
    const answered = await apiJson<TaskView>(`/api/tasks/${taskId}/answer`, { method: "POST", json: { text: "SQLite" } });
    expect(answered.status).toBe("running");
    const second = await waitForTask(taskId, ["waiting"]);
    expect(second.question).toBe("Which port?");
    // The second answer comes from the chat, addressed to the task.
    await apiJson(`/api/projects/${projectId}/sessions/${sessionId}/messages`, { method: "POST", json: { text: `@${taskId} 8080` } }, 201);
    const done = await waitForTask(taskId);
    expect(done.status).toBe("succeeded");
    expect(done.question).toBeNull();
    const results = toolResults(await transcript(taskId));
    expect(results.map((r) => r.output)).toEqual(["local answered: SQLite", "local answered: 8080"]);
    // Answering a task that is not waiting is a conflict.
    expect((await api(`/api/tasks/${taskId}/answer`, { method: "POST", json: { text: "late" } })).status).toBe(409);
  });

  it("checks in on a silent task once, then fails it with a clear reason (driven by its alarms)", async () => {
    const { projectId } = await projectWithSession();
    await apiJson(`/api/projects/${projectId}`, { method: "PATCH", json: { limits: { silenceMs: 1000 } } });
    const taskId = await startTask(projectId, {
      prompt: "hangs",
      script: [{ toolCalls: [{ toolName: "bash", input: { command: "sleep 30", timeout_ms: 60000 } }] }, { text: "never" }],
    });
    const ended = await waitForTask(taskId);
    expect(ended.status).toBe("failed");
    expect(ended.error).toMatch(/no progress for \d+ s, and none after a check-in/);
    const events = await transcript(taskId);
    const checkIns = events.filter((e) => e.type === "message" && e.kind === "check_in");
    expect(checkIns).toHaveLength(1);
    expect(events.findIndex((e) => e.type === "message")).toBeLessThan(events.findIndex((e) => e.type === "status" && e.status === "failed"));
  });

  it("activity extends the silence timer", async () => {
    const { projectId } = await projectWithSession();
    await apiJson(`/api/projects/${projectId}`, { method: "PATCH", json: { limits: { silenceMs: 1500 } } });
    // Six steps of 0.6 s each: 3.6 s in all, but never 1.5 s without progress.
    const step = { toolCalls: [{ toolName: "bash", input: { command: "sleep 0.6" } }] };
    const taskId = await startTask(projectId, { prompt: "busy", script: [step, step, step, step, step, step, { text: "busy but fine" }] });
    const ended = await waitForTask(taskId);
    expect(ended.status).toBe("succeeded");
    expect((await transcript(taskId)).filter((e) => e.type === "message")).toEqual([]);
  });

  it("sends a running task a message that its model reads before the next step", async () => {
    const { projectId } = await projectWithSession();
    const taskId = await startTask(projectId, {
      prompt: "listen",
      script: [{ toolCalls: [{ toolName: "bash", input: { command: "sleep 1" } }] }, { text: "heard" }],
    });
    await waitForTask(taskId, ["running"]);
    expect((await api(`/api/tasks/${taskId}/messages`, { method: "POST", json: { text: "use tabs" } })).status).toBe(202);
    expect((await waitForTask(taskId)).status).toBe("succeeded");
    const events = await transcript(taskId);
    const message = events.find((e) => e.type === "message");
    expect(message).toMatchObject({ kind: "message", from: "local", text: "use tabs" });
    expect((await api(`/api/tasks/${taskId}/messages`, { method: "POST", json: { text: "too late" } })).status).toBe(409);
  });
});
