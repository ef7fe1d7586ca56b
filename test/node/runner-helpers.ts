/**
 * Helpers for the runner tests: start a real runner on port 0 with a temp workspaces dir and
 * call it over HTTP.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp, readdirSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ExecResult } from "../../src/sandbox/workspace.ts";
import { startRunner, type RunnerOptions, type RunningRunner } from "../../src/sandbox/runner/server.ts";

/** A runner started for a test file, with its temp dirs. */
export interface TestRunner {
  runner: RunningRunner;
  secret: string;
  /** Temp dir owning everything the test created (removed by stop). */
  tmp: string;
  workspacesDir: string;
  /** Calls the runner; `auth` overrides the Authorization header, `raw` sends a raw body. */
  call(method: string, route: string, body?: unknown, opts?: { auth?: string | null; raw?: string }): Promise<{ status: number; json: unknown }>;
  /** Runs a command in workspace `id` and returns the ExecResult (asserts HTTP 200). */
  exec(id: string, command: string, extra?: { timeoutMs?: number; maxOutputBytes?: number }): Promise<ExecResult>;
  stop(): Promise<void>;
}

/** Starts a runner in this process; `overrides` tweak the {@link RunnerOptions}. */
export async function startTestRunner(overrides: Partial<RunnerOptions> = {}): Promise<TestRunner> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-runner-test-"));
  const workspacesDir = path.join(tmp, "workspaces");
  const secret = `test-secret-${randomBytes(12).toString("hex")}`;
  const runner = await startRunner({ port: 0, secret, workspacesDir, ...overrides });
  const call: TestRunner["call"] = async (method, route, body, opts = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    const auth = opts.auth === undefined ? `Bearer ${secret}` : opts.auth;
    if (auth !== null) headers.authorization = auth;
    const res = await fetch(runner.url + route, {
      method,
      headers,
      body: opts.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
  };
  return {
    runner,
    secret,
    tmp,
    workspacesDir,
    call,
    async exec(id, command, extra = {}) {
      const { status, json } = await call("POST", `/v1/workspaces/${id}/exec`, { command, ...extra });
      if (status !== 200) throw new Error(`exec returned ${status}: ${JSON.stringify(json)}`);
      return json as ExecResult;
    },
    async stop() {
      await runner.close();
      await fsp.rm(tmp, { recursive: true, force: true });
    },
  };
}

/** Host pids whose command line contains `marker` (excluding this process). */
export function hostPidsMatching(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker)) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** Error body of a runner response. */
export function errorOf(json: unknown): { code: string; message: string } {
  return (json as { error: { code: string; message: string } }).error;
}

/** A unique token for marking files and processes. */
export function token(): string {
  return randomBytes(6).toString("hex");
}
