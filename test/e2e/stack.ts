/**
 * Starts the whole stack exactly as `npm start` does (scripts/start.ts: UI, D1 migrations,
 * runner, wrangler dev), on a free port with its own state directory, for end-to-end tests.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pollUntil } from "../support/poll.ts";

const root = resolve(import.meta.dirname, "../..");

/** A running stack. */
export interface Stack {
  url: string;
  host: string;
  token: string;
  stateDir: string;
  /** Everything the start script printed. */
  output(): string;
  /** Stops it the way Ctrl-C does (SIGTERM) and waits for it to exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** Kills everything at once with SIGKILL, as a crash or power loss would. */
  crash(): Promise<void>;
}

/** Options: reuse `stateDir` to restart over the same data; extra environment variables. */
export interface StackOptions {
  stateDir?: string;
  workspacesDir?: string;
  token?: string;
  env?: Record<string, string>;
}

/**
 * A free TCP port on 127.0.0.1, drawn from 20000–32767: below Linux's ephemeral range
 * (32768–60999, /proc/sys/net/ipv4/ip_local_port_range), so neither an outgoing connection's
 * local port nor another server's `listen(0)` can take it between this check and the stack's bind.
 * Throws after 200 taken ports.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_768);
    const free = await new Promise<boolean>((resolveFree) => {
      const server = createServer();
      server.once("error", () => resolveFree(false));
      server.listen(port, "127.0.0.1", () => server.close(() => resolveFree(true)));
    });
    if (free) return port;
  }
  throw new Error("no free port in 20000–32767 after 200 tries");
}

/**
 * Starts the stack and resolves once it printed its login link. When wrangler finds its port
 * taken after all (another program bound it after `freePort` checked), it starts again on
 * another port, up to three times.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnPort(await freePort(), options);
    } catch (error) {
      if (attempt >= 3 || !(error instanceof StackExitedError) || !error.message.includes("Address already in use")) throw error;
      // The stack stopped itself (nothing left running); a state directory made for it alone goes too.
      if (!options.stateDir) rmSync(error.stateDir, { recursive: true, force: true });
    }
  }
}

/** The stack exited before it was ready (as opposed to not starting in time); `message` holds its output. */
class StackExitedError extends Error {
  readonly stateDir: string;
  constructor(message: string, stateDir: string) {
    super(message);
    this.stateDir = stateDir;
  }
}

async function startStackOnPort(port: number, options: StackOptions): Promise<Stack> {
  const stateDir = options.stateDir ?? mkdtempSync(join(tmpdir(), "sam-e2e-state-"));
  const workspacesDir = options.workspacesDir ?? join(stateDir, "workspaces");
  const token = options.token ?? `sam_pat_e2e_${Math.random().toString(36).slice(2)}_${Date.now()}`;
  let output = "";
  const child: ChildProcess = spawn(resolve(root, "node_modules/.bin/node"), ["scripts/start.ts"], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      SAM_DEV_TOKEN: token,
      SAM_STATE_DIR: stateDir,
      SAM_WORKSPACES_DIR: workspacesDir,
      SAM_SKIP_UI_BUILD: "1",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      // Not started in time: stop what runs (the start script, and wrangler's group when it got that far) before giving up.
      child.kill("SIGKILL");
      try {
        process.kill(-Number(readFileSync(join(stateDir, "wrangler.pid"), "utf8").trim()), "SIGKILL");
      } catch {
        // wrangler never started, or is gone
      }
      reject(new Error(`stack did not start in 90 s:\n${output}`));
    }, 90_000);
    const check = () => {
      if (output.includes("login link:")) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout?.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new StackExitedError(`stack exited with ${code} before it was ready:\n${output}`, stateDir));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    token,
    stateDir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
    async crash() {
      const pgid = Number(readFileSync(join(stateDir, "wrangler.pid"), "utf8").trim());
      child.kill("SIGKILL");
      process.kill(-pgid, "SIGKILL");
      await exited;
    },
  };
}

/**
 * Calls the stack's API with a bearer token (`init.token`, default the stack's local admin's);
 * returns parsed JSON (null for an empty body) and throws on a status not in `expected`.
 */
export async function call<T>(stack: Stack, path: string, init: { method?: string; json?: unknown; token?: string } = {}, expected = [200, 201]): Promise<T> {
  const response = await fetch(`${stack.url}${path}`, {
    method: init.method ?? (init.json === undefined ? "GET" : "POST"),
    headers: { authorization: `Bearer ${init.token ?? stack.token}`, ...(init.json === undefined ? {} : { "content-type": "application/json" }) },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await response.text();
  if (!expected.includes(response.status)) throw new Error(`${init.method ?? "GET"} ${path} → ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Polls a task until it ends and returns its view; throws after `timeoutMs` (default 60 s) with the status last seen. */
export async function waitForTaskEnd(stack: Stack, taskId: string, timeoutMs = 60_000): Promise<{ status: string; summary: string | null; error: string | null }> {
  return pollUntil(
    `task ${taskId} to end`,
    () => call<{ status: string; summary: string | null; error: string | null }>(stack, `/api/tasks/${taskId}`),
    (task) => ["succeeded", "failed", "cancelled"].includes(task.status),
    { timeoutMs, intervalMs: 100 },
  );
}
