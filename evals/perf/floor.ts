/**
 * The runtime floor: starts `floor-worker/` (a Worker that only broadcasts chat frames, only
 * forwards proxy requests, and runs bare actor-tasks against the runner; no SAM code) under
 * `wrangler dev` with the same flags and environment as `npm start`. The chat, proxy, task-loop
 * and mission benchmarks run against it too, so their tables show how much of SAM's figure
 * wrangler dev, workerd and the Agents SDK cost by themselves.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { localWranglerEnv } from "../../scripts/wrangler-env.ts";
import { freePort } from "../../test/e2e/stack.ts";

const root = resolve(import.meta.dirname, "../..");

/** A running floor Worker. */
export interface FloorWorker {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>` */
  host: string;
  port: number;
  /** Stops wrangler dev (its whole process group) and removes its state; waits ≤ 5 s. */
  stop(): Promise<void>;
}

/**
 * Starts the floor Worker on a free port; resolves once it answers `GET /`.
 * @param upstreamBaseUrl where `POST /v1/chat/completions` is forwarded (`<url>/chat/completions`).
 * @throws when wrangler exits or the Worker does not answer within 60 s (wrangler is stopped).
 */
export async function startFloorWorker(upstreamBaseUrl: string): Promise<FloorWorker> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), "sam-perf-floor-"));
  const child = spawn(
    resolve(root, "node_modules/.bin/wrangler"),
    [
      "dev",
      "--config", resolve(import.meta.dirname, "floor-worker/wrangler.jsonc"),
      "--ip", "127.0.0.1",
      "--port", String(port),
      "--persist-to", stateDir,
      "--var", `UPSTREAM_BASE_URL:${upstreamBaseUrl}`,
      "--show-interactive-dev-session=false",
      "--log-level", "warn",
    ],
    { cwd: root, env: localWranglerEnv(), stdio: ["ignore", "ignore", "inherit"], detached: true },
  );
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const kill = setTimeout(() => {
        try {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(kill);
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`wrangler dev (floor Worker) exited with code ${child.exitCode}`);
    }
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the floor Worker did not answer at ${url} within 60 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, host: `127.0.0.1:${port}`, port, stop };
}

/** One request for the floor's outbound loop (see `floor-worker/worker.ts`). */
export interface OutboundLoopRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  steps: number;
  /** Write a SQLite row before each request, as a journal does. */
  journal: boolean;
}

/**
 * Has the floor Worker's `OutboundLoop` Durable Object send `request` `steps` times in a row.
 * Returns the loop's time per request as the actor measured it, ms.
 * @throws when a request fails (the floor answers 502 naming it).
 */
export async function floorOutboundLoop(floor: FloorWorker, request: OutboundLoopRequest): Promise<number> {
  const response = await fetch(`${floor.url}/outbound-loop`, { method: "POST", body: JSON.stringify(request) });
  const body = (await response.json()) as { ms?: number; error?: string };
  if (!response.ok || typeof body.ms !== "number") throw new Error(`floor outbound loop: ${body.error ?? response.status}`);
  return body.ms / request.steps;
}

/** One run of the floor's mission (see `floor-worker/worker.ts`): N actor-tasks against a runner. */
export interface MissionFloorRequest {
  /** Tasks started at once. */
  tasks: number;
  /** The runner's base URL and bearer secret. */
  runnerUrl: string;
  secret: string;
  /** Workspace (and task actor) ids are `<prefix>-<i>`: a new prefix per run. */
  workspacePrefix: string;
}

/**
 * Runs one mission on the floor Worker; resolves with its wall time as this process saw it
 * (request sent to answer received), ms.
 * @throws when the floor fails or a task reports an error.
 */
export async function floorMission(floor: FloorWorker, request: MissionFloorRequest): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${floor.url}/mission-floor`, { method: "POST", body: JSON.stringify(request) });
  const wallMs = performance.now() - started;
  const body = (await response.json().catch(() => ({}))) as { ms?: number; errors?: string[] };
  if (!response.ok || typeof body.ms !== "number") throw new Error(`floor mission: ${response.status}`);
  if (body.errors && body.errors.length > 0) throw new Error(`floor mission: ${body.errors.length} tasks failed, e.g. ${body.errors[0]}`);
  return wallMs;
}
