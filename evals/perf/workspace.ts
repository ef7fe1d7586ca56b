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
 * Baselines are the same work without SAM: `mkdtemp` + write the files + `bash -c true`; and
 * `git clone --depth 1` over the same HTTP server + `bash -c true`. The runner runs in this
 * process, the repository is served by test/support/git-http.ts (it needs no stack). The VM
 * escalation scenario is added to this file by the VM ladder's work.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LocalRunnerWorkspace } from "../../src/sandbox/local-runner.ts";
import { startRunner } from "../../src/sandbox/runner/server.ts";
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
}

/** 40 measured starts per scenario after 5 warm-ups, over a 200-file repository. */
export const DEFAULT_WORKSPACE_CONFIG: WorkspaceBenchConfig = { runs: 40, warmup: 5, files: 200 };

/** Milliseconds from start to first command's answer, per scenario, for SAM and the baseline. */
export interface WorkspaceBenchResult {
  config: WorkspaceBenchConfig;
  /** A fresh sandbox: SAM and baseline, ms. */
  sandboxFresh: { sam: Stats; baseline: Stats };
  /** A sandbox from a warm repository clone: SAM and baseline, ms. */
  sandboxWarmClone: { sam: Stats; baseline: Stats };
  /** The first (cold cache) clone, ms, for reference. */
  coldCloneMs: number;
  isolation: string;
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

async function measure(runs: number, warmup: number, once: (i: number) => Promise<void>): Promise<Stats> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    const t0 = performance.now();
    await once(i);
    if (i >= warmup) samples.push(performance.now() - t0);
  }
  return { ...summarize(samples), p95: percentile(Float64Array.from(samples).sort(), 95) };
}

/** Runs both scenarios and their baselines; returns the figures. Throws if the runner or git fails. */
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
    return {
      config,
      sandboxFresh: { sam: fresh, baseline: freshBaseline },
      sandboxWarmClone: { sam: warm, baseline: warmBaseline },
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
  rows.push({ metric: "first clone, cold cache (ms)", sam: result.coldCloneMs, baseline: "", ratio: "", goal: "", met: null });
  return formatTable(`workspace start → first command (${result.config.runs} runs, ${result.config.files}-file repository, isolation: ${result.isolation})`, rows);
}
