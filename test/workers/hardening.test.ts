/**
 * Hardening against a member probing the running stack (issue 13): a task's transcript has a
 * total cap (`transcript_limit`) and its pages a byte bound; the scripted model refuses a prompt
 * over its context window; bad workspace seed paths are refused up front; a NUL in a full-text
 * search is harmless; a flood of socket frames is answered `rate_limited` and the socket stays
 * usable.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ftsQuery } from "../../src/actors/project/fts.ts";
import type { ProjectAgent } from "../../src/actors/project/project-agent.ts";
import type { TaskAgent } from "../../src/actors/task/task-agent.ts";
import { MAX_TRANSCRIPT_PAGE_BYTES } from "../../src/actors/task/transcript-limits.ts";
import type { ServerFrame, TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";
import { captureConsole } from "./gate-helpers.ts";
import { api, apiJson, connect, projectWithSession, waitForTask } from "./helpers.ts";

type ErrorBody = { error: { code: string; message: string } };

async function startTask(projectId: string, body: Record<string, unknown>): Promise<string> {
  return (await apiJson<{ id: string }>(`/api/projects/${projectId}/tasks`, { method: "POST", json: body }, 201)).id;
}

function taskActor(taskId: string) {
  return env.TaskAgent.get(env.TaskAgent.idFromName(taskId));
}

/** The task's transcript as stored: its size in bytes. */
async function storedTranscriptBytes(taskId: string): Promise<number> {
  return runInDurableObject(taskActor(taskId), (_instance: TaskAgent, state) =>
    state.storage.sql.exec<{ bytes: number }>(`SELECT COALESCE(SUM(length(CAST(data AS BLOB))), 0) AS bytes FROM transcript`).one().bytes,
  );
}

/** A bash call printing `bytes` letters `y` (no newline, so JSON adds nothing). */
const printY = (bytes: number) => ({ toolName: "bash", input: { command: `head -c ${bytes} /dev/zero | tr '\\0' y` } });

describe("a task's transcript cap", () => {
  it("refuses messages that do not fit, then fails the task with transcript_limit when a tool result does not fit", async () => {
    const { projectId } = await projectWithSession();
    const taskId = await startTask(projectId, {
      prompt: "fill the transcript",
      script: [{ toolCalls: [{ toolName: "ask_human", input: { question: "go on?" } }] }, ...Array.from({ length: 10 }, () => ({ toolCalls: [printY(20_000)] }))],
    });
    await waitForTask(taskId, ["waiting"]);
    // Lower this live actor's cap to 40 KB above what it holds, so the test reaches it quickly.
    const maxBytes = (await storedTranscriptBytes(taskId)) + 40_000;
    await runInDurableObject(taskActor(taskId), (instance: TaskAgent) => {
      instance["journal"].maxBytes = maxBytes;
    });

    // Messages to the task count: 10,000 characters each, the fifth does not fit.
    const statuses: number[] = [];
    let refusal: ErrorBody | null = null;
    for (let i = 0; i < 5; i++) {
      const response = await api(`/api/tasks/${taskId}/messages`, { method: "POST", json: { text: `${i}`.repeat(10_000) } });
      statuses.push(response.status);
      if (response.status === 409) refusal = await response.json<ErrorBody>();
    }
    expect(statuses).toEqual([202, 202, 202, 409, 409]);
    expect(refusal?.error.message).toBe(`transcript limit reached: a task's transcript may hold at most ${maxBytes / (1024 * 1024)} MiB (${maxBytes} bytes) of events`);

    // An answer is always journaled; the next step fits, its 20 KB result does not.
    await apiJson(`/api/tasks/${taskId}/answer`, { method: "POST", json: { text: "yes" } });
    const task = await waitForTask(taskId);
    expect(task.status).toBe("failed");
    expect(task.failure?.code).toBe("transcript_limit");
    expect(task.failure?.message).toContain(`at most`);
    expect(task.failure?.message).toContain(`(${maxBytes} bytes)`);
    expect(task.steps).toBe(2);
    expect(task.usage.inputTokens).toBeGreaterThan(0);

    const events = (await apiJson<{ events: TranscriptEvent[] }>(`/api/tasks/${taskId}/transcript`)).events;
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // The answered question's result fits; the 20 KB output of the step after it does not.
    expect(events.flatMap((e) => (e.type === "tool_result" ? [e.toolName] : []))).toEqual(["ask_human"]);
    expect(events.filter((e) => e.type === "tool_call").map((e) => e.type === "tool_call" && e.toolName)).toEqual(["ask_human", "bash"]);
    expect(events.filter((e) => e.type === "message" && e.kind === "message")).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: "status", status: "failed", code: "transcript_limit" });
    // Past the cap only by the events that are always journaled: the answer and the status changes.
    expect(await storedTranscriptBytes(taskId)).toBeLessThanOrEqual(maxBytes + 2_000);
  });

  it("pages a transcript of more than 4 MiB by bytes; the scripted model refuses the prompt that outgrew its context window", async () => {
    const { projectId } = await projectWithSession();
    // 64 outputs of 65,500 bytes: a transcript of more than MAX_TRANSCRIPT_PAGE_BYTES, and a
    // conversation of more than the scripted model's 1,000,000 tokens (4 characters a token).
    const batch = { toolCalls: Array.from({ length: 32 }, () => printY(65_500)) };
    const taskId = await startTask(projectId, { prompt: "print a lot", script: [batch, batch, { text: "never reached" }] });
    const task = await waitForTask(taskId, undefined, 60_000);
    expect(task.status).toBe("failed");
    expect(task.failure?.code).toBe("unexpected_error");
    expect(task.failure?.message).toMatch(/context length exceeded: the prompt has \d+ tokens; the scripted model's context window is 1000000 tokens/);
    // Two steps booked what they were given (the second about 64 × 65,500 / 2 / 4 tokens), the refused one nothing.
    expect(task.steps).toBe(2);
    expect(task.usage.inputTokens).toBeGreaterThan(500_000);
    expect(task.usage.inputTokens).toBeLessThan(600_000);

    const first = await api(`/api/tasks/${taskId}/transcript?after=0&limit=1000`);
    const firstText = await first.text();
    const firstPage = (JSON.parse(firstText) as { events: TranscriptEvent[] }).events;
    expect(firstText.length).toBeLessThan(MAX_TRANSCRIPT_PAGE_BYTES + 64 * 1024);
    const all: TranscriptEvent[] = [...firstPage];
    for (let after = firstPage.at(-1)?.seq ?? 0, pages = 0; pages < 10; pages++) {
      const page = (await apiJson<{ events: TranscriptEvent[] }>(`/api/tasks/${taskId}/transcript?after=${after}`)).events;
      if (page.length === 0) break;
      all.push(...page);
      after = page.at(-1)?.seq ?? after;
    }
    expect(firstPage.length).toBeLessThan(all.length);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(all.filter((e) => e.type === "tool_result")).toHaveLength(64);
    expect(all.at(-1)).toMatchObject({ type: "status", status: "failed", code: "unexpected_error" });
  });
});

describe("workspace seed paths", () => {
  it("refuses bad paths with 400 invalid_input naming the path, for tasks and missions", async () => {
    const { projectId } = await projectWithSession();
    for (const path of ["../x", "/etc/x", ".", "a\u0000b", "a//b"]) {
      const task = await api(`/api/projects/${projectId}/tasks`, { method: "POST", json: { prompt: "p", workspace: { files: { [path]: "x" } } } });
      expect(task.status, path).toBe(400);
      const body = await task.json<ErrorBody>();
      expect(body.error.code).toBe("invalid_input");
      expect(body.error.message).toContain(`seed file path ${JSON.stringify(path)}`);
      const mission = await api(`/api/projects/${projectId}/missions`, {
        method: "POST",
        json: { goal: "g", tasks: [{ key: "a", prompt: "p", workspace: { files: { [path]: "x" } } }] },
      });
      expect(mission.status, path).toBe(400);
      expect((await mission.json<ErrorBody>()).error.message).toContain(`seed file path ${JSON.stringify(path)}`);
    }
    const tasks = await apiJson<{ tasks: TaskView[] }>(`/api/projects/${projectId}/tasks`);
    expect(tasks.tasks).toHaveLength(0);
  });
});

describe("full-text search", () => {
  it("runs a query with a NUL in it", async () => {
    const { projectId, sessionId } = await projectWithSession();
    await apiJson(`/api/projects/${projectId}/sessions/${sessionId}/messages`, { method: "POST", json: { text: "deploy the pipeline" } }, 201);
    const stub = env.ProjectAgent.get(env.ProjectAgent.idFromName(projectId));
    const found = await runInDurableObject(stub, (_instance: ProjectAgent, state) =>
      state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM messages_fts WHERE messages_fts MATCH ?`, ftsQuery("deploy\u0000pipeline")).one().n,
    );
    expect(found).toBe(1);
  });
});

describe("socket frame rate limit", () => {
  let logs: ReturnType<typeof captureConsole>;
  beforeAll(() => {
    logs = captureConsole();
  });
  afterAll(() => logs.stop());

  it("answers a flood with rate_limited error frames, logs it once, and keeps the socket usable after the window", async () => {
    const { projectId, sessionId } = await projectWithSession();
    const client = await connect(projectId);
    // Freeze the socket's clock, so the window ends only when the test moves it.
    let nowMs = Date.now();
    const stub = env.ProjectAgent.get(env.ProjectAgent.idFromName(projectId));
    await runInDurableObject(stub, (instance: ProjectAgent) => {
      instance["socket"].clock = () => nowMs;
    });
    const before = logs.text().length;
    for (let i = 0; i < 370; i++) {
      if (i % 3 === 0) client.send({ type: "rpc", id: `r${i}`, method: "noSuchMethod", args: [] });
      else if (i % 3 === 1) client.send({ type: "task.watch", taskIds: [] });
      else client.send({ type: "chat.send", sessionId, text: `flood ${i}` });
    }
    const limited = (f: ServerFrame) => f.type === "error" && f.code === "rate_limited";
    await pollUntil("70 rate_limited frames", async () => client.frames.filter(limited).length, (n) => n >= 70, { show: (n) => n });
    expect(client.frames.filter(limited)).toHaveLength(70);
    const frame = client.frames.find(limited);
    expect(frame?.type === "error" && frame.message).toMatch(/^too many frames: at most 300 per 10 s per connection; this frame was dropped, send again in \d+ s$/);
    // Only the first 300 frames were acted on: 100 chat messages of frames 2, 5, ..., 299.
    await pollUntil("the admitted chat messages", async () => client.frames.filter((f) => f.type === "chat.message").length, (n) => n >= 100, { show: (n) => n });
    const flood = logs.text().slice(before);
    expect(flood.match(/sent more than 300 frames in 10 s/g)).toHaveLength(1);
    expect((flood.match(/RPC error/g) ?? []).length).toBeLessThanOrEqual(100);

    // Still refused within the window; admitted again once the clock passes it.
    client.send({ type: "chat.send", sessionId, text: "too soon" });
    await pollUntil("a 71st rate_limited frame", async () => client.frames.filter(limited).length, (n) => n === 71, { show: (n) => n });
    nowMs += 10_000;
    client.send({ type: "chat.send", sessionId, text: "after the window" });
    const message = await client.next((f) => f.type === "chat.message" && f.message.text === "after the window");
    expect(message.type === "chat.message" && message.message.seq).toBe(101);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    const messages = await apiJson<{ messages: { text: string }[] }>(`/api/projects/${projectId}/sessions/${sessionId}/messages`);
    expect(messages.messages.map((m) => m.text)).not.toContain("too soon");
    client.ws.close();
  });
});
