/**
 * Workspace start → first command (issue 16, "Performance"): how long a task waits from asking
 * for its workspace to the first command's answer, through the real runner (real bubblewrap,
 * real git) and the Worker's adapter (`LocalRunnerWorkspace`), for
 *
 * - `sandbox, fresh`: a new workspace with a few seed files (`PUT /v1/workspaces/:id`), then
 *   `exec("true")`;
 * - `sandbox, warm repository clone`: a new workspace cloned from a repository whose per-project
 *   cache is warm (`POST .../clone`: a `git fetch --depth 1` over smart HTTP from the local git
 *   server, the checkout, the agent's `.git`), then `exec("true")`.
 *
 * - `VM, local provider`: a task's VM through the real provisioning path, minus the actor:
 *   `HetznerProvider.create` against the local VM host (src/sandbox/vm-host/, Hetzner's API on
 *   loopback), which runs the real user data (downloads `/vm/runner.js` and its search worker
 *   with curl, starts the runner in VM mode); the runner connects out to `/vm/connect` and
 *   presents its one-time token; then a new workspace over that socket (`vmWorkspace`, the
 *   adapter the task actor uses) and `exec("true")`. The server is deleted after each start
 *   (not measured). `/vm/runner.js`, `/vm/search-worker.js` and `/vm/connect` are served by a
 *   stand-in for SAM's Worker in this process (the bundles from dist/ui/vm: `npm run build:ui`).
 *
 * Baselines are the same work without SAM: `mkdtemp` + write the files + `bash -c true`;
 * `git clone --depth 1` over the same HTTP server + `bash -c true`; and for the VM, the runner
 * bundle spawned directly in VM mode (no provider API, no user data, no download), then the
 * same workspace and command over its socket. The runner runs in this process, the repository
 * is served by test/support/git-http.ts (it needs no stack).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, promises as fsp } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { WebSocketServer, type WebSocket } from "ws";
import { LocalRunnerWorkspace } from "../../src/sandbox/local-runner.ts";
import { startRunner } from "../../src/sandbox/runner/server.ts";
import { startVmHost } from "../../src/sandbox/vm-host/server.ts";
import { HetznerProvider, vmLabels, vmName } from "../../src/sandbox/vm/provider.ts";
import { vmRunnerFrameSchema } from "../../src/sandbox/vm/protocol.ts";
import { vmUserData } from "../../src/sandbox/vm/user-data.ts";
import { VmTunnel, vmWorkspace } from "../../src/sandbox/vm-workspace.ts";
import { startGitHttpServer } from "../../test/support/git-http.ts";
import { formatTable, percentile, round, summarize, type Row, type Summary } from "./stats.ts";

/** A summary with the 95th percentile too (ms). */
export type Stats = Summary & { p95: number };

/** How many starts each scenario measures, after how many unmeasured warm-up starts. */
export interface WorkspaceBenchConfig {
  runs: number;
  warmup: number;
  /** Files of the repository (and of the fresh sandbox's seed). */
  files: number;
  /** Measured VM starts (each starts a Node process: fewer), after `warmup` unmeasured ones. */
  vmRuns: number;
}

/** 40 measured starts per sandbox scenario and 15 per VM scenario, after 5 warm-ups, over a 200-file repository. */
export const DEFAULT_WORKSPACE_CONFIG: WorkspaceBenchConfig = { runs: 40, warmup: 5, files: 200, vmRuns: 15 };

/** Milliseconds from start to first command's answer, per scenario, for SAM and the baseline. */
export interface WorkspaceBenchResult {
  config: WorkspaceBenchConfig;
  /** A fresh sandbox: SAM and baseline, ms. */
  sandboxFresh: { sam: Stats; baseline: Stats };
  /** A sandbox from a warm repository clone: SAM and baseline, ms. */
  sandboxWarmClone: { sam: Stats; baseline: Stats };
  /** A VM through the local provider (create → user data → runner calls back → workspace → command), and the runner bundle spawned directly, ms. */
  vmLocal: { sam: Stats; baseline: Stats };
  /** The first (cold cache) clone, ms, for reference. */
  coldCloneMs: number;
  isolation: string;
}

/** Where the VM runner's bundles are (`npm run build:ui` builds them). */
const VM_BUNDLE_DIR = path.resolve(import.meta.dirname, "../../dist/ui/vm");

/**
 * A stand-in for SAM's Worker as a VM sees it: `GET /vm/runner.js` and `/vm/search-worker.js`
 * (the built bundles) and `GET /vm/connect?task=<id>` (a WebSocket; a hello with the token
 * registered for that task gets `welcome` with a credential, as the task actor answers).
 * `registration(taskId, token)` resolves with a tunnel to the runner once it has called back.
 */
async function startVmEndpoint() {
  const waiting = new Map<string, { token: string; resolve: (tunnel: VmTunnel) => void }>();
  const server = http.createServer(async (req, res) => {
    const name = req.url === "/vm/runner.js" ? "runner.js" : req.url === "/vm/search-worker.js" ? "search-worker.js" : null;
    if (req.method !== "GET" || !name) return void res.writeHead(404).end();
    const body = await fsp.readFile(path.join(VM_BUNDLE_DIR, name));
    res.writeHead(200, { "content-type": "text/javascript", "content-length": body.length }).end(body);
  });
  const wss = new WebSocketServer({ server, path: "/vm/connect" });
  wss.on("connection", (ws: WebSocket, req) => {
    const taskId = new URL(req.url ?? "/", "http://x").searchParams.get("task") ?? "";
    const tunnel = new VmTunnel(() => ws);
    ws.on("message", (data) => {
      const parsed = vmRunnerFrameSchema.safeParse(JSON.parse(String(data)));
      if (!parsed.success) return;
      const frame = parsed.data;
      if (frame.type === "response") return tunnel.answer(frame);
      const wait = waiting.get(taskId);
      if (!wait || frame.token !== wait.token) return ws.close(4001, "wrong or used registration token");
      waiting.delete(taskId);
      ws.send(JSON.stringify({ type: "welcome", credential: randomBytes(24).toString("base64url") }));
      wait.resolve(tunnel);
    });
    ws.on("close", () => tunnel.failAll("the VM's socket closed"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    registration(taskId: string, token: string): Promise<VmTunnel> {
      return new Promise((resolve) => waiting.set(taskId, { token, resolve }));
    },
    async close(): Promise<void> {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits for a child process to exit (SIGKILL after 5 s). */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The VM scenario and its baseline: `config.vmRuns` starts of each after `config.warmup`
 * warm-ups. `unsafe` runs the VM's commands without bubblewrap (as `npm start` does with
 * SAM_UNSAFE_NO_SANDBOX=1). @throws when the bundles are missing or a start fails.
 */
async function runVmScenario(config: WorkspaceBenchConfig, tmp: string, seed: Record<string, string>, unsafe: boolean): Promise<{ sam: Stats; baseline: Stats }> {
  if (!existsSync(path.join(VM_BUNDLE_DIR, "runner.js"))) throw new Error(`no VM runner bundle in ${VM_BUNDLE_DIR}: run npm run build:ui first`);
  const endpoint = await startVmEndpoint();
  const hostToken = randomBytes(16).toString("hex");
  const host = await startVmHost({ port: 0, token: hostToken, dir: tmp, env: unsafe ? { SAM_UNSAFE_NO_SANDBOX: "1" } : {}, log: () => {} });
  const provider = new HetznerProvider({ token: hostToken, baseUrl: host.url });
  const runId = randomBytes(4).toString("hex");
  /** Creates workspace `id` with the seed over `tunnel`, runs the first command. */
  const firstCommand = async (tunnel: VmTunnel, id: string) => {
    const ws = vmWorkspace(tunnel, id);
    await ws.create(seed);
    const result = await ws.exec("true");
    if (result.exitCode !== 0) throw new Error(`first command on the VM failed: ${result.output}`);
  };
  try {
    const sam = await measure(config.vmRuns, config.warmup, async (i) => {
      const taskId = `tsk_bench_${runId}_${i}`;
      const token = randomBytes(24).toString("base64url");
      const registered = endpoint.registration(taskId, token);
      const server = await provider.create({
        name: vmName(taskId),
        serverType: "cx22",
        labels: vmLabels("prj_bench", taskId),
        userData: vmUserData({ samUrl: endpoint.url, taskId, registrationToken: token, network: false }),
      });
      const release = async () => void (await provider.delete(server.id));
      try {
        await firstCommand(await withDeadline(registered, 30_000, `VM ${server.id} to call back`), `vm-${runId}-${i}`);
      } catch (error) {
        await release();
        throw error;
      }
      // Deleting the server is the end of a task, not its start: after the clock stops.
      return release;
    });
    const baseline = await measure(config.vmRuns, config.warmup, async (i) => {
      const taskId = `tsk_bare_${runId}_${i}`;
      const token = randomBytes(24).toString("base64url");
      const registered = endpoint.registration(taskId, token);
      const dir = await fsp.mkdtemp(path.join(tmp, "bare-vm-"));
      const child = spawn(process.execPath, [path.join(VM_BUNDLE_DIR, "runner.js")], {
        cwd: dir,
        stdio: "ignore",
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: dir,
          SAM_RUNNER_MODE: "vm",
          SAM_URL: endpoint.url,
          SAM_VM_TASK: taskId,
          SAM_VM_TOKEN: token,
          SAM_VM_NETWORK: "0",
          SAM_WORKSPACES_DIR: path.join(dir, "workspaces"),
          ...(unsafe ? { SAM_UNSAFE_NO_SANDBOX: "1" } : {}),
        },
      });
      const stop = () => stopChild(child);
      try {
        await firstCommand(await withDeadline(registered, 30_000, "the runner bundle to call back"), `bare-vm-${runId}-${i}`);
      } catch (error) {
        await stop();
        throw error;
      }
      return stop;
    });
    return { sam, baseline };
  } finally {
    await host.close();
    await endpoint.close();
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function runBash(cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", "true"], { cwd, stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`bash exited ${code}`))));
  });
}

function runGitClone(url: string, token: string, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", ["clone", "-q", "--depth", "1", url, dest], {
      stdio: "ignore",
      env: {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: "/nonexistent",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_CONFIG_GLOBAL: "/dev/null",
        GIT_CONFIG_COUNT: "1",
        GIT_CONFIG_KEY_0: "http.extraHeader",
        GIT_CONFIG_VALUE_0: `Authorization: Bearer ${token}`,
      },
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`git clone exited ${code}`))));
  });
}

/** Times `once` `warmup + runs` times, keeping the last `runs`; a cleanup `once` returns runs after the clock stops. */
async function measure(runs: number, warmup: number, once: (i: number) => Promise<void | (() => Promise<void>)>): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    const cleanup = await once(i);
    if (i >= warmup) samples.push(performance.now() - t0);
    if (cleanup) await cleanup();
  }
  return { ...summarize(samples), p95: percentile(Float64Array.from(samples).sort(), 95) };
}

/** Runs the three scenarios and their baselines; returns the figures. Throws if the runner, git or a VM start fails. */
export async function runWorkspaceBench(config: WorkspaceBenchConfig = DEFAULT_WORKSPACE_CONFIG): Promise<WorkspaceBenchResult> {
  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), "sam-bench-ws-"));
  const token = `bench_${randomBytes(12).toString("hex")}`;
  const secret = randomBytes(16).toString("hex");
  const runner = await startRunner({ port: 0, secret, workspacesDir: path.join(tmp, "workspaces") });
  const gitServer = await startGitHttpServer(token);
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < config.files; i++) files[`src/dir${i % 10}/file${i}.ts`] = `export const value${i} = ${i};\n`.repeat(20);
    const url = await gitServer.createRepo("bench", "repo", files);
    const health = (await (await fetch(`${runner.url}/v1/health`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { isolation: string };
    const connection = { url: runner.url, secret };
    const seed = Object.fromEntries(Object.entries(files).slice(0, 5));
    const runId = randomBytes(4).toString("hex");

    const fresh = await measure(config.runs, config.warmup, async (i) => {
      const ws = new LocalRunnerWorkspace(connection, `bench-fresh-${runId}-${i}`);
      await ws.create(seed);
      const result = await ws.exec("true");
      if (result.exitCode !== 0) throw new Error(`first command failed: ${result.output}`);
    });
    const freshBaseline = await measure(config.runs, config.warmup, async () => {
      const dir = await fsp.mkdtemp(path.join(tmp, "bare-"));
      for (const [rel, content] of Object.entries(seed)) {
        await fsp.mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
        await fsp.writeFile(path.join(dir, rel), content);
      }
      await runBash(dir);
    });

    const clone = async (id: string) => {
      const ws = new LocalRunnerWorkspace(connection, id);
      await ws.cloneRepository({ url, ref: "main", branch: `sam/${id}`, cacheKey: "prj_bench", token });
      const result = await ws.exec("true");
      if (result.exitCode !== 0) throw new Error(`first command failed: ${result.output}`);
    };
    const coldStart = performance.now();
    await clone(`bench-cold-${runId}`);
    const coldCloneMs = performance.now() - coldStart;
    const warm = await measure(config.runs, config.warmup, (i) => clone(`bench-warm-${runId}-${i}`));
    const warmBaseline = await measure(config.runs, config.warmup, async (i) => {
      const dir = path.join(tmp, `bare-clone-${i}`);
      await runGitClone(url, token, dir);
      await runBash(dir);
    });
    const vmLocal = await runVmScenario(config, tmp, seed, process.env.SAM_UNSAFE_NO_SANDBOX === "1");
    return {
      config,
      sandboxFresh: { sam: fresh, baseline: freshBaseline },
      sandboxWarmClone: { sam: warm, baseline: warmBaseline },
      vmLocal,
      coldCloneMs: round(coldCloneMs, 1),
      isolation: health.isolation,
    };
  } finally {
    await runner.close();
    await gitServer.close();
    await fsp.rm(tmp, { recursive: true, force: true });
  }
}

/** The result as the bench's table: p50 (with the goals) and p95 of each scenario beside its baseline. */
export function formatWorkspaceTable(result: WorkspaceBenchResult): string {
  const rows: Row[] = [];
  const add = (name: string, s: { sam: Stats; baseline: Stats }, goalMs: number | null) => {
    rows.push({
      metric: `${name}, start → first command p50 (ms)`,
      sam: round(s.sam.p50, 1),
      baseline: round(s.baseline.p50, 1),
      ratio: round(s.sam.p50 / s.baseline.p50, 2),
      goal: goalMs === null ? "" : `< ${goalMs} ms`,
      met: goalMs === null ? null : s.sam.p50 < goalMs,
    });
    rows.push({ metric: `${name}, p95 (ms)`, sam: round(s.sam.p95, 1), baseline: round(s.baseline.p95, 1), ratio: round(s.sam.p95 / s.baseline.p95, 2), goal: "", met: null });
  };
  add("sandbox, fresh", result.sandboxFresh, 50);
  add("sandbox, warm repository clone", result.sandboxWarmClone, 300);
  add("VM, local provider", result.vmLocal, null);
  rows.push({ metric: "first clone, cold cache (ms)", sam: result.coldCloneMs, baseline: "", ratio: "", goal: "", met: null });
  return formatTable(`workspace start → first command (${result.config.runs} runs, ${result.config.vmRuns} on VMs, ${result.config.files}-file repository, isolation: ${result.isolation})`, rows);
}
