/** Helpers for the Workers-runtime tests: API calls as the local user, waits and sockets. */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { ServerFrame, TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { pollUntil } from "../support/poll.ts";

/** The local user's token (the `SAM_DEV_TOKEN` binding). */
export const TOKEN = env.SAM_DEV_TOKEN ?? "";

/** Calls the Worker like a client would. `token: null` sends no credential. */
export async function api(path: string, init: RequestInit & { token?: string | null; json?: unknown } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? TOKEN : init.token;
  if (token) headers.set("authorization", `Bearer ${token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(init.json);
  }
  return exports.default.fetch(new Request(`http://sam.test${path}`, { ...init, headers, body }));
}

/** Calls the API and returns the parsed JSON body, asserting the status. */
export async function apiJson<T>(path: string, init: Parameters<typeof api>[1] = {}, status = 200): Promise<T> {
  const response = await api(path, init);
  const text = await response.text();
  expect(response.status, `${init.method ?? "GET"} ${path}: ${text}`).toBe(status);
  return JSON.parse(text) as T;
}

/** Creates a project and a session in it. */
export async function projectWithSession(name = "test project"): Promise<{ projectId: string; sessionId: string }> {
  const project = await apiJson<{ id: string }>("/api/projects", { method: "POST", json: { name } }, 201);
  const session = await apiJson<{ id: string }>(`/api/projects/${project.id}/sessions`, { method: "POST", json: { title: "main" } }, 201);
  return { projectId: project.id, sessionId: session.id };
}

/** Adds a person as the local admin would (`POST /api/admin/users`); returns their id and first token. */
export async function addUser(name = "other"): Promise<{ id: string; token: string }> {
  const made = await apiJson<{ user: { id: string }; token: string }>("/api/admin/users", { method: "POST", json: { name } }, 201);
  return { id: made.user.id, token: made.token };
}

/** Creates a second user (see `addUser`); returns their token. */
export async function createOtherUser(): Promise<string> {
  return (await addUser("other")).token;
}

/** The statuses a task ends in. */
export const ENDED: TaskView["status"][] = ["succeeded", "failed", "cancelled"];

/**
 * Polls the task until its status is one of `statuses` (default: ended) and returns its view;
 * throws after `timeoutMs` (default 20 s) with the last status seen.
 */
export async function waitForTask(taskId: string, statuses: TaskView["status"][] = ENDED, timeoutMs = 20_000): Promise<TaskView> {
  return pollUntil(`task ${taskId} to be ${statuses.join(" or ")}`, () => apiJson<TaskView>(`/api/tasks/${taskId}`), (task) => statuses.includes(task.status), {
    timeoutMs,
    show: (task) => ({ status: task.status, error: task.error }),
  });
}

/** Polls the task's transcript until `done(events)` holds and returns it; throws after `timeoutMs` (default 10 s) with the event types seen. */
export async function waitForTranscript(taskId: string, what: string, done: (events: TranscriptEvent[]) => boolean, timeoutMs = 10_000): Promise<TranscriptEvent[]> {
  return pollUntil(`task ${taskId}'s transcript to show ${what}`, () => transcript(taskId), done, { timeoutMs, show: (events) => events.map((e) => e.type) });
}

/** The task's whole transcript. */
export async function transcript(taskId: string): Promise<TranscriptEvent[]> {
  return (await apiJson<{ events: TranscriptEvent[] }>(`/api/tasks/${taskId}/transcript`)).events;
}

/** A WebSocket client of a project, collecting the frames it receives. */
export interface TestSocket {
  ws: WebSocket;
  frames: ServerFrame[];
  send(frame: unknown): void;
  /** Resolves with the first received frame matching `predicate` (also ones already received). */
  next(predicate: (frame: ServerFrame) => boolean): Promise<ServerFrame>;
  /** Settles when the server closes the socket, with the close code and reason. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a project WebSocket through the Worker, as a browser would. */
export async function connect(projectId: string, token: string | null = TOKEN, headers: Record<string, string> = {}): Promise<TestSocket> {
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  const response = await exports.default.fetch(new Request(`http://sam.test/agents/project-agent/${projectId}${query}`, { headers: { upgrade: "websocket", ...headers } }));
  const ws = response.webSocket;
  if (!ws) throw new Error(`upgrade refused: ${response.status} ${await response.text()}`);
  ws.accept();
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.addEventListener("close", (event: CloseEvent) => resolve({ code: event.code, reason: event.reason })));
  const frames: ServerFrame[] = [];
  const waiters: { predicate: (f: ServerFrame) => boolean; resolve: (f: ServerFrame) => void }[] = [];
  ws.addEventListener("message", (event: MessageEvent) => {
    const data = JSON.parse(String(event.data)) as ServerFrame;
    frames.push(data);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(data)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(data);
      }
    }
  });
  return {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    next(predicate) {
      const found = frames.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        setTimeout(() => reject(new Error(`no matching frame; got ${JSON.stringify(frames.map((f) => f.type))}`)), 10_000);
      });
    },
  };
}
