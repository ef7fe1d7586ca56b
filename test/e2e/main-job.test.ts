/**
 * The main job end to end, against the stack started as `npm start` starts it, with real
 * clients: a scripted task fixes a failing `node --test` suite; two partysocket clients chat
 * live and history survives a restart; a compat/... task runs against a local fake model.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectProject } from "../../src/client/project-client.ts";
import type { ChatMessage, ServerFrame, TranscriptEvent } from "../../src/shared/protocol.ts";
import { startFakeOpenAI, type FakeOpenAI } from "../support/fake-openai.ts";
import { pollUntil, waitUntil } from "../support/poll.ts";
import { call, startStack, waitForTaskEnd, type Stack } from "./stack.ts";

let stack: Stack;
let fake: FakeOpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  stack = await startStack({ env: { SAM_COMPAT_BASE_URL: `${fake.url}/v1` } });
});

afterAll(async () => {
  await stack?.stop();
  await fake?.close();
});

const FIXTURE = {
  "package.json": JSON.stringify({ name: "fixture", type: "module", scripts: { test: "node --test" } }, null, 2),
  "math.js": "export function add(a, b) {\n  return a - b;\n}\n",
  "math.test.js": [
    'import { test } from "node:test";',
    'import assert from "node:assert/strict";',
    'import { add } from "./math.js";',
    "",
    'test("adds two numbers", () => {',
    "  assert.equal(add(2, 3), 5);",
    "});",
    "",
  ].join("\n"),
};

describe("the main job", () => {
  it("prints a login link with the token and serves health", async () => {
    expect(stack.output()).toContain(`${stack.url}/login#token=${stack.token}`);
    const health = (await (await fetch(`${stack.url}/api/health`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    expect((await fetch(`${stack.url}/api/projects`)).status).toBe(401);
    const page = await fetch(`${stack.url}/`);
    expect(await page.text()).toContain('<div id="root">');
    // The UI's pages (and the SPA's deep links) carry the security headers.
    for (const path of ["/", "/projects/prj_unknown"]) {
      const response = await fetch(`${stack.url}${path}`);
      expect(response.headers.get("content-security-policy"), path).toContain("frame-ancestors 'none'");
      expect(response.headers.get("x-content-type-options"), path).toBe("nosniff");
      await response.body?.cancel();
    }
  });

  it("fixes a failing node --test suite with a scripted task", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "fixture" } });
    const task = await call<{ id: string }>(stack, `/api/projects/${project.id}/tasks`, {
      json: {
        prompt: "The test suite fails. Fix the bug.",
        workspace: { files: FIXTURE },
        script: [
          { toolCalls: [{ toolName: "bash", input: { command: "node --test" } }] },
          { toolCalls: [{ toolName: "read_file", input: { path: "math.js" } }] },
          { toolCalls: [{ toolName: "edit_file", input: { path: "math.js", old_string: "return a - b;", new_string: "return a + b;" } }] },
          { toolCalls: [{ toolName: "bash", input: { command: "node --test" } }] },
          { text: "Fixed add(): it subtracted instead of adding. node --test passes." },
        ],
      },
    });
    const done = await waitForTaskEnd(stack, task.id);
    expect(done.status).toBe("succeeded");
    const { events } = await call<{ events: TranscriptEvent[] }>(stack, `/api/tasks/${task.id}/transcript`);
    const runs = events.filter((e): e is Extract<TranscriptEvent, { type: "tool_result" }> => e.type === "tool_result" && e.toolName === "bash");
    expect(runs).toHaveLength(2);
    expect(runs[0].exitCode).not.toBe(0);
    expect(runs[0].output).toMatch(/fail 1/);
    expect(runs[1].exitCode).toBe(0);
    expect(runs[1].output).toMatch(/pass 1/);
    expect(runs[1].output).toMatch(/fail 0/);
    const fixed = await fetch(`${stack.url}/api/tasks/${task.id}/files/math.js`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(await fixed.text()).toContain("return a + b;");
  });

  it("runs a two-step tool loop through compat/... against a local OpenAI-compatible server", async () => {
    fake.setScript([{ toolCalls: [{ name: "write_file", arguments: { path: "notes.md", content: "# from the model\n" } }] }, { text: "wrote notes.md" }]);
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "compat" } });
    const task = await call<{ id: string }>(stack, `/api/projects/${project.id}/tasks`, { json: { prompt: "write notes", model: "compat/fake-model" } });
    const done = await waitForTaskEnd(stack, task.id);
    expect(done).toMatchObject({ status: "succeeded", summary: "wrote notes.md" });
    const notes = await fetch(`${stack.url}/api/tasks/${task.id}/files/notes.md`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(await notes.text()).toBe("# from the model\n");
    const calls = fake.requests.filter((r) => JSON.stringify(r.body).includes("write notes"));
    expect(calls).toHaveLength(2);
  });

  it("lets a partysocket client follow a watched task's transcript, again after it reconnects", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "watch" } });
    const session = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "general" } });
    const task = await call<{ id: string }>(stack, `/api/projects/${project.id}/tasks`, {
      json: { prompt: "ask", model: "scripted", script: [{ toolCalls: [{ toolName: "ask_human", input: { question: "Go?" } }] }, { text: "went" }] },
    });
    const client = connectProject({ host: stack.host, projectId: project.id, token: stack.token });
    const frames: ServerFrame[] = [];
    client.onFrame((f) => frames.push(f));
    const until = (what: string, found: () => boolean) => waitUntil(what, found, () => frames.map((f) => f.type), { timeoutMs: 15_000, intervalMs: 20 });
    // Frames of one connection are handled in order: once this chat message is back, earlier frames took effect.
    const roundTrip = async (text: string) => {
      client.sendChat(session.id, text);
      await until(text, () => frames.some((f) => f.type === "chat.message" && f.message.text === text));
    };
    await client.opened();
    await pollUntil("the task to wait for its answer", () => call<{ status: string }>(stack, `/api/tasks/${task.id}`), (t) => t.status === "waiting", { timeoutMs: 15_000 });
    client.watchTasks([task.id]);
    let opens = 0;
    client.socket.addEventListener("open", () => opens++);
    client.socket.reconnect();
    await until("the reconnect", () => opens === 1);
    await roundTrip("watching again");
    const live = () => frames.flatMap((f) => (f.type === "task.event" && f.taskId === task.id ? [f.event] : []));
    expect(live()).toEqual([]);

    await call(stack, `/api/tasks/${task.id}/messages`, { json: { text: "hello task" } }, [202]);
    await call(stack, `/api/tasks/${task.id}/answer`, { json: { text: "yes" } });
    await until("the task's end", () => live().some((e) => e.type === "status" && e.status === "succeeded"));
    const transcript = await call<{ events: { seq: number }[] }>(stack, `/api/tasks/${task.id}/transcript`);
    expect(live()).toEqual(transcript.events.slice(transcript.events.length - live().length));
    expect(live().map((e) => e.type)).toEqual(["message", "message", "status", "tool_result", "model_step", "status"]);
    client.close();
  });

  it("lets two partysocket clients chat live, and keeps history across a restart", async () => {
    const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "chat" } });
    const session = await call<{ id: string }>(stack, `/api/projects/${project.id}/sessions`, { json: { title: "general" } });
    const alice = connectProject({ host: stack.host, projectId: project.id, token: stack.token });
    const bob = connectProject({ host: stack.host, projectId: project.id, token: stack.token });
    const seenByBob: ChatMessage[] = [];
    const seenByAlice: ChatMessage[] = [];
    bob.onFrame((f: ServerFrame) => f.type === "chat.message" && seenByBob.push(f.message));
    alice.onFrame((f: ServerFrame) => f.type === "chat.message" && seenByAlice.push(f.message));
    await Promise.all([alice.opened(), bob.opened()]);
    alice.sendChat(session.id, "hi bob");
    bob.sendChat(session.id, "hi alice");
    await waitUntil(
      "both messages at both clients",
      () => seenByBob.length >= 2 && seenByAlice.length >= 2,
      () => ({ bob: seenByBob.map((m) => m.text), alice: seenByAlice.map((m) => m.text) }),
      { intervalMs: 20 },
    );
    expect(seenByBob.map((m) => m.text).sort()).toEqual(["hi alice", "hi bob"]);
    expect(seenByAlice.map((m) => m.id)).toEqual(seenByBob.map((m) => m.id));
    alice.close();
    bob.close();

    const exitCode = await stack.stop();
    expect(exitCode).toBe(0);
    stack = await startStack({ stateDir: stack.stateDir, token: stack.token, env: { SAM_COMPAT_BASE_URL: `${fake.url}/v1` } });
    const history = await call<{ messages: ChatMessage[] }>(stack, `/api/projects/${project.id}/sessions/${session.id}/messages`);
    expect(history.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(history.messages.map((m) => m.id)).toEqual(seenByBob.map((m) => m.id));
  });
});
