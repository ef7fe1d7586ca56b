import { describe, expect, it } from "vitest";
import type { TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { api, apiJson, connect, projectWithSession, transcript, waitForTask, waitForTranscript } from "./helpers.ts";

type ToolResult = Extract<TranscriptEvent, { type: "tool_result" }>;
const results = (events: TranscriptEvent[]) => events.filter((e): e is ToolResult => e.type === "tool_result");

async function startTask(projectId: string, body: Record<string, unknown>): Promise<string> {
  const created = await apiJson<{ id: string; status: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: body }, 201);
  expect(created.id).toMatch(/^tsk_/);
  return created.id;
}

describe("a task's tool loop", () => {
  it("reads, edits and runs a command in its workspace, journaling every step", async () => {
    const { projectId } = await projectWithSession();
    const socket = await connect(projectId);
    const taskId = await startTask(projectId, {
      prompt: "Fix the greeting",
      workspace: { files: { "greet.sh": "echo 'helo world'\n" } },
      script: [
        { toolCalls: [{ toolName: "read_file", input: { path: "greet.sh" } }] },
        { toolCalls: [{ toolName: "edit_file", input: { path: "greet.sh", old_string: "helo", new_string: "hello" } }] },
        { toolCalls: [{ toolName: "bash", input: { command: "bash greet.sh && ls" } }] },
        { text: "Fixed the typo; the script prints hello world." },
      ],
    });
    socket.send({ type: "task.watch", taskIds: [taskId] });
    const task = await waitForTask(taskId);
    expect(task.status).toBe("succeeded");
    expect(task.summary).toBe("Fixed the typo; the script prints hello world.");
    expect(task.steps).toBe(4);
    expect(task.usage.inputTokens).toBeGreaterThan(0);
    expect(task.changedFiles).toEqual(["greet.sh"]);

    const events = await transcript(taskId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual([
      "status", "status",
      "model_step", "tool_call", "tool_result",
      "model_step", "tool_call", "tool_result",
      "model_step", "tool_call", "tool_result",
      "model_step", "status",
    ]);
    const [read, edit, bash] = results(events);
    expect(read.output).toBe("echo 'helo world'\n");
    expect(edit.isError).toBe(false);
    expect(bash.exitCode).toBe(0);
    expect(bash.output).toContain("hello world");
    expect(bash.output).toContain("greet.sh");
    expect(bash.durationMs).toBeGreaterThanOrEqual(0);

    const file = await api(`/api/tasks/${taskId}/files/greet.sh`);
    expect(await file.text()).toBe("echo 'hello world'\n");
    expect((await api(`/api/tasks/${taskId}/files/missing.txt`)).status).toBe(404);
    expect((await api(`/api/tasks/${taskId}/files/..%2F..%2Fetc%2Fpasswd`)).status).toBe(400);

    // Clients saw the same transcript live, and the final status.
    const done = await socket.next((f) => f.type === "task.updated" && f.task.id === taskId && f.task.status === "succeeded");
    expect(done.type === "task.updated" && done.task.summary).toBe(task.summary);
    // The watch took effect a little after the task started: from then on, every event, in order.
    const live = socket.frames.flatMap((f) => (f.type === "task.event" && f.taskId === taskId ? [f.event] : []));
    expect(live.length).toBeGreaterThan(0);
    expect(live).toEqual(events.slice(events.length - live.length));
    const later = await apiJson<{ events: TranscriptEvent[] }>(`/api/tasks/${taskId}/transcript?after=10`);
    expect(later.events.map((e) => e.seq)).toEqual([11, 12, 13]);
    const listed = await apiJson<{ tasks: TaskView[] }>(`/api/projects/${projectId}/tasks`);
    expect(listed.tasks.find((t) => t.id === taskId)?.status).toBe("succeeded");
    socket.ws.close();
  });

  it("hands tool errors back to the model and carries on", async () => {
    const { projectId } = await projectWithSession();
    const taskId = await startTask(projectId, {
      prompt: "Try things",
      workspace: { files: { "a.txt": "one two two\n" } },
      script: [
        {
          toolCalls: [
            { toolName: "edit_file", input: { path: "a.txt", old_string: "three", new_string: "3" } },
            { toolName: "edit_file", input: { path: "a.txt", old_string: "two", new_string: "2" } },
            { toolName: "read_file", input: { path: "nope.txt" } },
            { toolName: "read_file", input: { path: "../../etc/passwd" } },
            { toolName: "read_file", input: { wrong: true } },
            { toolName: "launch_rockets", input: {} },
            { toolName: "bash", input: { command: "exit 3" } },
          ],
        },
        { text: "done despite errors" },
      ],
    });
    const task = await waitForTask(taskId);
    expect(task.status).toBe("succeeded");
    const outcomes = results(await transcript(taskId));
    expect(outcomes.map((r) => r.isError)).toEqual([true, true, true, true, true, true, true]);
    expect(outcomes[0].output).toMatch(/not found/);
    expect(outcomes[1].output).toMatch(/2 times/);
    expect(outcomes[2].output).toMatch(/not_found/);
    expect(outcomes[3].output).toMatch(/path_outside_workspace/);
    expect(outcomes[4].output).toMatch(/invalid input/);
    expect(outcomes[5].output).toMatch(/unknown tool/);
    expect(outcomes[6].exitCode).toBe(3);
    expect(await (await api(`/api/tasks/${taskId}/files/a.txt`)).text()).toBe("one two two\n");
  });

  it("stops at maxSteps with a clear reason", async () => {
    const { projectId } = await projectWithSession();
    const loop = { toolCalls: [{ toolName: "list_files", input: {} }] };
    const taskId = await startTask(projectId, { prompt: "loop", maxSteps: 3, script: [loop, loop, loop, loop, loop] });
    const task = await waitForTask(taskId);
    expect(task.status).toBe("failed");
    expect(task.steps).toBe(3);
    expect(task.error).toMatch(/maxSteps 3/);
  });

  it("cancels a running task at the next boundary", async () => {
    const { projectId } = await projectWithSession();
    const taskId = await startTask(projectId, {
      prompt: "slow",
      script: [{ toolCalls: [{ toolName: "bash", input: { command: "sleep 20" } }] }, { toolCalls: [{ toolName: "bash", input: { command: "echo should-not-run" } }] }, { text: "x" }],
    });
    const running = await waitForTask(taskId, ["running"]);
    expect(running.status).toBe("running");
    // Wait until the sleep has started.
    await waitForTranscript(taskId, "the sleep's tool_call", (events) => events.some((e) => e.type === "tool_call"), 5_000);
    const cancelled = await apiJson<TaskView>(`/api/tasks/${taskId}/cancel`, { method: "POST" });
    expect(cancelled.status).toBe("cancelled");
    const task = await waitForTask(taskId);
    expect(task.status).toBe("cancelled");
    // The running command was stopped, not left to finish its 20 s.
    const events = await waitForTranscript(taskId, "the stopped command's tool_result", (events) => events.some((e) => e.type === "tool_result"), 3_000);
    const stopped = results(events);
    expect(stopped).toHaveLength(1);
    expect(stopped[0].isError).toBe(true);
    expect(stopped[0].output).toMatch(/cancelled/);
    expect(events.filter((e) => e.type === "model_step")).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain("should-not-run");
    // Cancelling again changes nothing.
    const again = await apiJson<TaskView>(`/api/tasks/${taskId}/cancel`, { method: "POST" });
    expect(again.status).toBe("cancelled");
  });

  it("validates the task request", async () => {
    const { projectId } = await projectWithSession();
    const cases = [
      {},
      { prompt: "" },
      { prompt: "x", script: [{ bogus: 1 }] },
      { prompt: "x", maxSteps: 0 },
      { prompt: "x", model: "scripted" },
    ];
    for (const body of cases) {
      const response = await api(`/api/projects/${projectId}/tasks`, { method: "POST", json: body });
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe("a task's live transcript on the project socket", () => {
  it("goes only to the connections watching the task; everyone gets its status", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const watcher = await connect(projectId);
    const other = await connect(projectId);
    const taskId = await startTask(projectId, {
      prompt: "ask first",
      script: [{ toolCalls: [{ toolName: "ask_human", input: { question: "Which name?" } }] }, { text: "named it" }],
    });
    expect((await waitForTask(taskId, ["waiting"])).status).toBe("waiting");
    const before = (await transcript(taskId)).length;

    // A bad watch is refused with an error frame; the connection keeps working.
    watcher.send({ type: "task.watch", taskIds: ["not-a-task-id"] });
    await watcher.next((f) => f.type === "error" && f.code === "invalid_frame");
    watcher.send({ type: "task.watch", taskIds: [taskId] });
    // Frames of one connection are handled in order: once this message is back, the watch holds.
    watcher.send({ type: "chat.send", sessionId, text: "watching" });
    await watcher.next((f) => f.type === "chat.message" && f.message.text === "watching");

    await apiJson<TaskView>(`/api/tasks/${taskId}/answer`, { method: "POST", json: { text: "Ada" } });
    expect((await waitForTask(taskId)).status).toBe("succeeded");
    await watcher.next((f) => f.type === "task.updated" && f.task.id === taskId && f.task.status === "succeeded");
    await other.next((f) => f.type === "task.updated" && f.task.id === taskId && f.task.status === "succeeded");

    const after = (await transcript(taskId)).slice(before);
    expect(after.map((e) => e.type)).toContain("tool_result");
    const live = (socket: typeof watcher) => socket.frames.flatMap((f) => (f.type === "task.event" && f.taskId === taskId ? [f.event] : []));
    expect(live(watcher)).toEqual(after);
    expect(live(other)).toEqual([]);

    // An empty watch stops the events.
    watcher.send({ type: "task.watch", taskIds: [] });
    watcher.send({ type: "chat.send", sessionId, text: "stopped" });
    await watcher.next((f) => f.type === "chat.message" && f.message.text === "stopped");
    const seen = live(watcher).length;
    const second = await startTask(projectId, { prompt: "again", script: [{ text: "ok" }] });
    expect((await waitForTask(second)).status).toBe("succeeded");
    await watcher.next((f) => f.type === "task.updated" && f.task.id === second && f.task.status === "succeeded");
    expect(watcher.frames.some((f) => f.type === "task.event" && f.taskId === second)).toBe(false);
    expect(live(watcher).length).toBe(seen);
    watcher.ws.close();
    other.ws.close();
  });
});
