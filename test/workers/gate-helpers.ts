/**
 * Helpers for the model-gate tests: a fresh user per test (budgets and payer mode are per user,
 * and test files run side by side), the fake upstream's keyed scripts and request log, and a
 * capture of everything written to the console.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { TaskView } from "../../src/shared/protocol.ts";
import type { FakeStep, RecordedRequest } from "../support/fake-openai.ts";
import { pollUntil } from "../support/poll.ts";
import { addUser, api } from "./helpers.ts";

/** A user made for one test. */
export interface TestUser {
  id: string;
  token: string;
  /** Calls the API as this user and returns the response. */
  call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Calls the API as this user, asserts the status and returns the parsed body. */
  json<T>(path: string, init?: RequestInit & { json?: unknown }, status?: number): Promise<T>;
}

/** Adds a user with a token, as an admin would (`POST /api/admin/users`). */
export async function newUser(name = "gate-test"): Promise<TestUser> {
  const { id, token } = await addUser(name);
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => api(path, { ...init, token });
  return {
    id,
    token,
    call,
    async json<T>(path: string, init: RequestInit & { json?: unknown } = {}, status = 200): Promise<T> {
      const response = await call(path, init);
      const text = await response.text();
      expect(response.status, `${init.method ?? "GET"} ${path}: ${text}`).toBe(status);
      return (text ? JSON.parse(text) : null) as T;
    },
  };
}

/** Registers `steps` on the fake upstream under `key`; requests whose messages contain `[script:key]` get them. */
export async function setScript(key: string, steps: FakeStep[]): Promise<void> {
  const response = await fetch(`${env.FAKE_MODEL_URL}/__control/script`, { method: "PUT", body: JSON.stringify({ key, steps }) });
  expect(response.ok).toBe(true);
}

/** Every request the fake upstream received whose body mentions `marker`. */
export async function requestsWith(marker: string): Promise<RecordedRequest[]> {
  const all = ((await (await fetch(`${env.FAKE_MODEL_URL}/__control/requests`)).json()) as { requests: RecordedRequest[] }).requests;
  return all.filter((r) => JSON.stringify(r.body ?? "").includes(marker) || JSON.stringify(r.headers).includes(marker));
}

/** A unique script key and the marker to put in a prompt. */
export function scriptKey(name: string): { key: string; marker: string } {
  const key = `${name}-${crypto.randomUUID().slice(0, 8)}`;
  return { key, marker: `[script:${key}]` };
}

/** A chat completion request body for the proxy. */
export function chat(model: string, text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model, messages: [{ role: "user", content: text }], ...extra };
}

/** Captures console output (every level) from now until `stop()`; `text()` is all of it joined. */
export function captureConsole(): { text(): string; stop(): void } {
  const lines: string[] = [];
  const levels = ["log", "info", "warn", "error", "debug", "trace"] as const;
  const originals = levels.map((level) => console[level]);
  levels.forEach((level, i) => {
    console[level] = (...args: unknown[]) => {
      lines.push(args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      originals[i].apply(console, args);
    };
  });
  return {
    text: () => lines.join("\n"),
    stop: () => levels.forEach((level, i) => (console[level] = originals[i])),
  };
}

/** What `/api/me/budgets` reports as reserved (held for calls in flight). */
type Reserved = { dailyInputTokens: { reserved: number }; dailyOutputTokens: { reserved: number }; monthlyUsd: { reserved: number } };

/**
 * Waits until `user` has no call in flight (every reservation settled): the proxy records a
 * call's usage just after answering it. Throws after 5 s with the reservations last seen.
 */
export async function settled(user: TestUser): Promise<void> {
  await pollUntil(
    `every reservation of ${user.id} to settle`,
    () => user.json<Reserved>("/api/me/budgets"),
    (b) => b.dailyInputTokens.reserved + b.dailyOutputTokens.reserved + b.monthlyUsd.reserved === 0,
    { timeoutMs: 5_000, intervalMs: 10 },
  );
}

/** Polls a task of `user` until it ends and returns its last view; throws after 20 s with the status last seen. */
export async function waitForUserTask(user: TestUser, taskId: string): Promise<TaskView> {
  return pollUntil(`task ${taskId} to end`, () => user.json<TaskView>(`/api/tasks/${taskId}`), (task) => ["succeeded", "failed", "cancelled"].includes(task.status), {
    timeoutMs: 20_000,
    show: (task) => ({ status: task.status, error: task.error }),
  });
}
