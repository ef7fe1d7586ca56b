/**
 * Benchmark 3, mission fan-out (issue 3, "Performance"): a mission of N independent scripted
 * tasks, each `write_file a.txt` then `bash cat a.txt` then a final text (3 model steps, two
 * quick tool calls), with `maxConcurrent` N and the project's `maxConcurrentTasks` raised to N,
 * run by SAM (MissionAgent → N TaskAgents over wrangler dev, each with its own runner workspace,
 * every step journaled and published to the project) and by N bare AI SDK loops run
 * concurrently in this process (`runBaseline` of task-loop.ts: same scripted model, tool set,
 * tool implementation and runner program, each loop in its own fresh workspace) against a local
 * runner started here with `startRunner`.
 *
 * SAM's total runs from just before `POST /api/projects/:p/missions` until this process
 * receives the `mission.updated` frame with the terminal status (a project WebSocket is open for
 * that; a 1 s poll of `GET /api/missions/:id` is the fallback): creation to all done, as a user
 * sees it. The baseline's runs from just before the N loops start until the last one ends (its
 * workspaces are removed afterwards, untimed; SAM keeps its workspaces too). Per-task platform
 * overhead is (SAM total − baseline total) / N. Per-task latency is, for SAM, a task view's
 * `updatedAt − createdAt` (from the start call to its end, ms resolution) and, for the baseline,
 * each loop's own wall time.
 *
 * Check: every run's N tasks succeeded at the first attempt with 3 model steps, and in SAM's
 * transcripts both tool calls succeeded and `cat a.txt` printed `x`. A failed check fails the bench.
 *
 * One warm-up mission of each (fewer tasks) is excluded; then R measured runs, SAM and baseline
 * interleaved, and the medians are reported.
 *
 * Runtime floor: the same mission with nothing of SAM's, on the floor Worker (`floor.ts`, under
 * wrangler dev like SAM): one actor starts N Agents SDK actors at once, each makes the runner
 * calls a SAM task makes (create, write, exec `cat`, changed files) against this process's runner
 * and reports its end by RPC. Its time (request to answer, as seen here) over the baseline's is
 * the least any design with an actor per task reaches on this machine; SAM over the floor is
 * what SAM's own work (journal, budgets, publishing, model steps, mission bookkeeping) costs.
 * One warm-up run, then R runs, interleaved with a baseline run each (medians).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { TERMINAL_MISSION_STATUSES, type MissionView, type ServerFrame, type TaskView, type TranscriptEvent } from "../../src/shared/protocol.ts";
import { connectProject } from "../../src/client/project-client.ts";
import type { ScriptStep } from "../../src/shared/script.ts";
import { LocalRunnerWorkspace } from "../../src/sandbox/local-runner.ts";
import { startRunner, type RunningRunner } from "../../src/sandbox/runner/server.ts";
import { call, type Stack } from "../../test/e2e/stack.ts";
import { floorMission, startFloorWorker } from "./floor.ts";
import { cpuBetween, snapshotCpu, type CpuUsage } from "./proc-cpu.ts";
import { formatTable, median, round, summarize, withTimeout, type Row, type Summary } from "./stats.ts";
import { runBaseline, type TaskRun } from "./task-loop.ts";
import { awaitTerminal } from "./terminal-watch.ts";

/** Fixed workload (counts; times in ms). */
export interface MissionBenchConfig {
  /** Tasks per measured mission (and loops per baseline run). */
  tasks: number;
  /** The mission's `maxConcurrent`; the project's `maxConcurrentTasks` is raised to it. */
  maxConcurrent: number;
  /** Tasks of the warm-up mission (and loops of the warm-up baseline). */
  warmupTasks: number;
  /** Measured runs of each side. */
  repetitions: number;
  /** Upper bound on one run, ms. */
  runTimeoutMs: number;
}

/** The issue's workload: 100 tasks, all at once, 3 measured runs each, a 20-task warm-up, at most 180 s per run. */
export const DEFAULT_MISSION_CONFIG: MissionBenchConfig = { tasks: 100, maxConcurrent: 100, warmupTasks: 20, repetitions: 3, runTimeoutMs: 180_000 };

/** Whether every task of a run did what the script says; `problems` names what did not. */
export interface MissionCheck {
  ok: boolean;
  /** Tasks that succeeded at the first attempt with the expected steps and outputs. */
  succeeded: number;
  problems: string[];
}

/** One run's figures (a SAM mission or a baseline batch); times in ms. */
export interface MissionRun {
  /** Total: creation to all done (SAM) or first loop start to last loop end (baseline), ms. */
  wallMs: number;
  /** `wallMs` / tasks, ms. */
  perTaskMs: number;
  /** Per-task latency, ms: SAM task view `updatedAt − createdAt`; baseline each loop's wall time. */
  taskMs: Summary;
  /** Mean per task over the run, ms: model calls, tool calls, and the rest of the task's latency. */
  breakdown: { modelMs: number; toolMs: number; otherMs: number };
  /**
   * SAM only, from the server's clocks (ms resolution), relative to the mission's `createdAt`, ms:
   * when the last task was created (all started), when the first and last task ended, and when
   * the mission ended (`updatedAt`). Plus per-task means of the phases from the transcripts:
   * `startMs` task created → `running` (workspace created), `loopMs` running → last model step,
   * `finishMs` last model step → `succeeded` (diff of the workspace, status journaled).
   */
  server?: {
    lastTaskCreatedMs: number;
    firstTaskEndedMs: number;
    lastTaskEndedMs: number;
    missionEndedMs: number;
    startMs: number;
    loopMs: number;
    finishMs: number;
  };
  /** SAM only: frames this client received on the project WebSocket during the run, by type, and the `mission.updated` bytes (JSON). */
  frames?: { byType: Record<string, number>; missionBytes: number };
  /** CPU time during the run by process role, ms (see proc-cpu.ts). */
  cpu?: CpuUsage;
  check: MissionCheck;
}

/** The mission benchmark's figures. */
export interface MissionBenchResult {
  config: MissionBenchConfig;
  sam: { runs: MissionRun[]; medianWallMs: number; medianTaskMeanMs: number };
  baseline: { runs: MissionRun[]; medianWallMs: number; medianTaskMeanMs: number };
  /** The runtime floor's totals (ms) and the baseline runs interleaved with them (ms). */
  floor: { wallMs: number[]; baselineWallMs: number[]; medianWallMs: number; medianBaselineWallMs: number; cpu: CpuUsage[] };
  /** SAM / baseline of the median total (dimensionless); the goal is < 2. */
  ratio: number;
  /** (SAM median total − baseline median total) / tasks, ms. */
  overheadPerTaskMs: number;
  /** Whether every run of both sides passed its check. */
  checksOk: boolean;
  rows: Row[];
  /** Why SAM runs were repeated (the Worker reloaded under them); empty when none were. */
  repeated: string[];
}

const GOAL_RATIO = 2;
/** The script every task runs: two quick tool calls, then a final text. */
const SCRIPT: ScriptStep[] = [
  { toolCalls: [{ toolName: "write_file", input: { path: "a.txt", content: "x" } }] },
  { toolCalls: [{ toolName: "bash", input: { command: "cat a.txt" } }] },
  { text: "done" },
];
const PROMPT = "Write a.txt and print it (performance benchmark).";
/** Most SAM runs repeated because the Worker reloaded under them. */
const MAX_REPEATS = 3;
/** Requests in flight when reading task views and transcripts back after a run (untimed). */
const READ_CONCURRENCY = 8;

/** Maps `items` through `fn` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const mean = (values: readonly number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN);

// ---------- SAM ----------

interface SamContext {
  stack: Stack;
  projectId: string;
  /** Arrival time (performance.now()) of each mission's terminal `mission.updated` frame. */
  terminal: Map<string, { at: number; status: string }>;
  waiters: Map<string, () => void>;
  /** Frame counts since the last reset, and bytes of `mission.updated` frames. */
  frames: { byType: Record<string, number>; missionBytes: number };
  /** The stack's port, to tell its processes apart in CPU snapshots. */
  stackPort: number;
}

/** Reads a finished mission's tasks back (untimed) and checks them; returns the figures. */
async function inspectMission(stack: Stack, mission: MissionView): Promise<{ check: MissionCheck; tasks: TaskView[]; phases: { modelMs: number; toolMs: number; startMs: number; loopMs: number; finishMs: number }[] }> {
  const problems: string[] = [];
  if (mission.status !== "succeeded") problems.push(`mission ${mission.id} ended ${mission.status}: ${mission.error ?? ""}`);
  const entries = mission.tasks;
  const read = await mapLimit(entries, READ_CONCURRENCY, async (entry) => {
    if (!entry.taskId) return null;
    const view = await call<TaskView>(stack, `/api/tasks/${entry.taskId}`);
    const { events } = await call<{ events: TranscriptEvent[] }>(stack, `/api/tasks/${entry.taskId}/transcript?limit=1000`);
    return { view, events };
  });
  let succeeded = 0;
  const tasks: TaskView[] = [];
  const phases: { modelMs: number; toolMs: number; startMs: number; loopMs: number; finishMs: number }[] = [];
  entries.forEach((entry, i) => {
    const got = read[i];
    const bad = (why: string) => {
      if (problems.length < 10) problems.push(`${entry.key}: ${why}`);
    };
    if (entry.status !== "succeeded") return bad(`${entry.status}: ${entry.error ?? ""}`);
    if (entry.attempts !== 1) return bad(`took ${entry.attempts} attempts`);
    if (!got) return bad("no task id");
    const { view, events } = got;
    tasks.push(view);
    if (view.status !== "succeeded" || view.steps !== SCRIPT.length) return bad(`task ${view.id} ${view.status} after ${view.steps} model steps`);
    const results = events.filter((e) => e.type === "tool_result");
    const failedTool = results.find((e) => e.isError);
    if (results.length !== 2 || failedTool) return bad(`task ${view.id}: ${results.length} tool results${failedTool ? `, ${failedTool.toolName} failed: ${failedTool.output}` : ""}`);
    const cat = results.find((e) => e.toolName === "bash");
    if (cat?.output.trim() !== "x") return bad(`task ${view.id}: cat a.txt printed ${JSON.stringify(cat?.output)}`);
    const at = (e: TranscriptEvent) => Date.parse(e.at);
    const running = events.find((e) => e.type === "status" && e.status === "running");
    const done = events.find((e) => e.type === "status" && e.status === "succeeded");
    const steps = events.filter((e) => e.type === "model_step");
    if (!running || !done || steps.length === 0) return bad(`task ${view.id}: transcript lacks status or steps`);
    phases.push({
      modelMs: steps.reduce((sum, e) => sum + e.durationMs, 0),
      toolMs: results.reduce((sum, e) => sum + e.durationMs, 0),
      startMs: at(running) - Date.parse(view.createdAt),
      loopMs: at(steps[steps.length - 1]) - at(running),
      finishMs: at(done) - at(steps[steps.length - 1]),
    });
    succeeded++;
  });
  if (succeeded !== entries.length && problems.length >= 10) problems.push(`... ${entries.length - succeeded} tasks in all did not pass`);
  return { check: { ok: problems.length === 0 && succeeded === entries.length, succeeded, problems }, tasks, phases };
}

async function runSam(ctx: SamContext, tasks: number, maxConcurrent: number, timeoutMs: number, label: string): Promise<MissionRun> {
  const body = {
    goal: `perf: ${tasks} independent scripted tasks (${label})`,
    maxConcurrent,
    tasks: Array.from({ length: tasks }, (_, i) => ({ key: `t${i}`, prompt: PROMPT, script: SCRIPT })),
  };
  ctx.frames = { byType: {}, missionBytes: 0 };
  const cpuBefore = snapshotCpu(ctx.stackPort);
  const started = performance.now();
  const { id } = await call<{ id: string }>(ctx.stack, `/api/projects/${ctx.projectId}/missions`, { json: body });
  const isTerminal = (status: string) => (TERMINAL_MISSION_STATUSES as readonly string[]).includes(status);
  await awaitTerminal(ctx, id, `/api/missions/${id}`, isTerminal, timeoutMs, `SAM mission ${id} (${tasks} tasks)`);
  const wallMs = ctx.terminal.get(id)!.at - started;
  // CPU over the timed part only (reading the tasks back below is not part of the run).
  const cpu = cpuBetween(cpuBefore, snapshotCpu(ctx.stackPort), os.availableParallelism());
  const frames = ctx.frames;
  const mission = await call<MissionView>(ctx.stack, `/api/missions/${id}`);
  const { check, tasks: views, phases } = await inspectMission(ctx.stack, mission);
  const missionStart = Date.parse(mission.createdAt);
  const rel = (iso: string) => Date.parse(iso) - missionStart;
  const latencies = views.map((v) => Date.parse(v.updatedAt) - Date.parse(v.createdAt));
  const modelMs = mean(phases.map((p) => p.modelMs));
  const toolMs = mean(phases.map((p) => p.toolMs));
  return {
    wallMs: round(wallMs, 1),
    perTaskMs: round(wallMs / tasks, 3),
    taskMs: summarize(latencies),
    breakdown: { modelMs: round(modelMs, 2), toolMs: round(toolMs, 2), otherMs: round(mean(latencies) - modelMs - toolMs, 2) },
    server: {
      lastTaskCreatedMs: Math.max(...views.map((v) => rel(v.createdAt))),
      firstTaskEndedMs: Math.min(...views.map((v) => rel(v.updatedAt))),
      lastTaskEndedMs: Math.max(...views.map((v) => rel(v.updatedAt))),
      missionEndedMs: rel(mission.updatedAt),
      startMs: round(mean(phases.map((p) => p.startMs)), 1),
      loopMs: round(mean(phases.map((p) => p.loopMs)), 1),
      finishMs: round(mean(phases.map((p) => p.finishMs)), 1),
    },
    frames,
    cpu,
    check,
  };
}

// ---------- baseline ----------

async function runBaselineBatch(runner: RunningRunner, secret: string, tasks: number, tag: string, stackPort: number): Promise<MissionRun> {
  const ids = Array.from({ length: tasks }, (_, i) => `perf-m-${tag}-${i}`);
  const cpuBefore = snapshotCpu(stackPort);
  const started = performance.now();
  const settled = await Promise.allSettled(ids.map((id) => runBaseline(runner, secret, SCRIPT, id, { seed: {}, keepWorkspace: true })));
  const wallMs = performance.now() - started;
  const cpu = cpuBetween(cpuBefore, snapshotCpu(stackPort), os.availableParallelism());
  // Untimed: remove the workspaces.
  await mapLimit(ids, READ_CONCURRENCY, (id) => new LocalRunnerWorkspace({ url: runner.url, secret }, id).destroy().catch(() => undefined));
  const runs = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const problems = settled.flatMap((s, i) => (s.status === "rejected" ? [`loop ${i}: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`] : [])).slice(0, 10);
  const latencies = runs.map((r: TaskRun) => r.wallMs);
  return {
    wallMs: round(wallMs, 1),
    perTaskMs: round(wallMs / tasks, 3),
    taskMs: summarize(latencies),
    breakdown: {
      modelMs: round(mean(runs.map((r) => r.breakdown.modelMs)), 2),
      toolMs: round(mean(runs.map((r) => r.breakdown.toolMs)), 2),
      otherMs: round(mean(runs.map((r) => r.breakdown.otherMs)), 2),
    },
    cpu,
    check: { ok: runs.length === tasks, succeeded: runs.length, problems },
  };
}

// ---------- the benchmark ----------

/**
 * Runs the mission benchmark: SAM on `stack` (a new project with its cap raised), the baseline
 * against a runner started (and closed) here in a temporary directory (removed afterwards).
 * Prints progress to stderr. A failed check does not throw: it is in the result (`checksOk`,
 * each run's `check`) for the caller to report.
 * @throws when a run fails outright or times out.
 */
export async function runMissionBench(stack: Stack, config: MissionBenchConfig = DEFAULT_MISSION_CONFIG): Promise<MissionBenchResult> {
  const log = (line: string) => process.stderr.write(`[bench mission] ${line}\n`);
  const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "perf: missions" } });
  const patched = await call<{ limits: { maxConcurrentTasks: number } }>(stack, `/api/projects/${project.id}`, {
    method: "PATCH",
    json: { limits: { maxConcurrentTasks: config.maxConcurrent } },
  });
  if (patched.limits.maxConcurrentTasks !== config.maxConcurrent) throw new Error(`the project cap is ${patched.limits.maxConcurrentTasks}, not ${config.maxConcurrent}`);
  const stackPort = Number(new URL(stack.url).port);
  const ctx: SamContext = { stack, projectId: project.id, terminal: new Map(), waiters: new Map(), frames: { byType: {}, missionBytes: 0 }, stackPort };
  const client = connectProject({ host: stack.host, projectId: project.id, token: stack.token });
  // A dropped project connection means the Worker reloaded (wrangler dev watches files):
  // a run it overlapped is disturbed, so it is repeated (at most MAX_REPEATS times in all).
  let drops = 0;
  client.socket.addEventListener("close", () => drops++);
  const repeated: string[] = [];
  const samRun = async (tasks: number, label: string): Promise<MissionRun> => {
    for (;;) {
      const before = drops;
      try {
        const run = await runSam(ctx, tasks, config.maxConcurrent, config.runTimeoutMs, label);
        if (drops === before) return run;
        repeated.push(`a ${tasks}-task SAM mission overlapped a dropped connection`);
      } catch (error) {
        if (drops === before) throw error;
        repeated.push(`a ${tasks}-task SAM mission failed during a dropped connection: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (repeated.length > MAX_REPEATS) throw new Error(`too many disturbed runs: ${repeated.join("; ")}`);
      log(`${repeated.at(-1)}; the Worker probably reloaded. Repeating it.`);
      await withTimeout(client.opened(), 30_000, "reconnecting the project client");
    }
  };
  client.onFrame((frame: ServerFrame) => {
    ctx.frames.byType[frame.type] = (ctx.frames.byType[frame.type] ?? 0) + 1;
    if (frame.type !== "mission.updated") return;
    ctx.frames.missionBytes += JSON.stringify(frame).length;
    if (!TERMINAL_MISSION_STATUSES.includes(frame.mission.status) || ctx.terminal.has(frame.mission.id)) return;
    ctx.terminal.set(frame.mission.id, { at: performance.now(), status: frame.mission.status });
    ctx.waiters.get(frame.mission.id)?.();
  });
  const workspacesDir = mkdtempSync(join(tmpdir(), "sam-perf-ws-"));
  const secret = randomBytes(24).toString("base64url");
  let runner: RunningRunner | undefined;
  try {
    await withTimeout(client.opened(), 30_000, "connecting the project client");
    runner = await startRunner({ port: 0, secret, workspacesDir });
    const tag = Date.now().toString(36);

    log(`warm-up: ${config.warmupTasks} tasks each`);
    const warmSam = await samRun(config.warmupTasks, "warm-up");
    const warmBase = await withTimeout(runBaselineBatch(runner, secret, config.warmupTasks, `${tag}-warm`, stackPort), config.runTimeoutMs, "baseline warm-up");
    log(`warm-up: SAM ${warmSam.wallMs} ms, baseline ${warmBase.wallMs} ms`);

    const samRuns: MissionRun[] = [];
    const baseRuns: MissionRun[] = [];
    for (let r = 0; r < config.repetitions; r++) {
      const sam = await samRun(config.tasks, `run ${r + 1}`);
      samRuns.push(sam);
      const base = await withTimeout(runBaselineBatch(runner, secret, config.tasks, `${tag}-${r}`, stackPort), config.runTimeoutMs, "baseline run");
      baseRuns.push(base);
      log(
        `run ${r + 1}/${config.repetitions}: SAM ${sam.wallMs} ms (${sam.check.succeeded}/${config.tasks} ok), ` +
          `baseline ${base.wallMs} ms (${base.check.succeeded}/${config.tasks} ok)`,
      );
      for (const problem of [...sam.check.problems, ...base.check.problems]) log(`  check: ${problem}`);
    }

    log("runtime floor: the same runner calls from bare Agents SDK actors");
    const floorWall: number[] = [];
    const floorBaseWall: number[] = [];
    const floorCpu: CpuUsage[] = [];
    const floor = await startFloorWorker("http://127.0.0.1:9");
    try {
      const floorRun = (tasks: number, label: string) =>
        withTimeout(floorMission(floor, { tasks, runnerUrl: runner!.url, secret, workspacePrefix: `perf-floor-${tag}-${label}` }), config.runTimeoutMs, "floor mission");
      await floorRun(config.warmupTasks, "warm");
      for (let r = 0; r < config.repetitions; r++) {
        const cpuBefore = snapshotCpu(floor.port);
        floorWall.push(round(await floorRun(config.tasks, String(r)), 1));
        floorCpu.push(cpuBetween(cpuBefore, snapshotCpu(floor.port), os.availableParallelism()));
        floorBaseWall.push((await withTimeout(runBaselineBatch(runner, secret, config.tasks, `${tag}-floor-${r}`, stackPort), config.runTimeoutMs, "baseline run")).wallMs);
        log(`floor run ${r + 1}/${config.repetitions}: floor ${floorWall[r]} ms, baseline ${floorBaseWall[r]} ms`);
      }
    } finally {
      await floor.stop();
    }

    const n = config.tasks;
    const samWall = median(samRuns.map((r) => r.wallMs));
    const baseWall = median(baseRuns.map((r) => r.wallMs));
    const ratio = round(samWall / baseWall, 2);
    const overheadPerTaskMs = round((samWall - baseWall) / n, 2);
    const med = (runs: MissionRun[], pick: (r: MissionRun) => number) => round(median(runs.map(pick)), 2);
    const both = (metric: string, pick: (r: MissionRun) => number, withRatio = true): Row => {
      const sam = med(samRuns, pick);
      const baseline = med(baseRuns, pick);
      return { metric, sam, baseline, ratio: withRatio ? round(sam / baseline, 2) : "", goal: "", met: null };
    };
    const samOnly = (metric: string, pick: (r: MissionRun) => number): Row => ({ metric, sam: med(samRuns, pick), baseline: "", ratio: "", goal: "", met: null });
    const server = (pick: (s: NonNullable<MissionRun["server"]>) => number) => (r: MissionRun) => (r.server ? pick(r.server) : Number.NaN);
    const okRuns = (runs: MissionRun[]) => `${runs.reduce((sum, r) => sum + r.check.succeeded, 0)}/${runs.length * n}`;
    const checksOk = [...samRuns, ...baseRuns].every((r) => r.check.ok);
    const cpuPerTask = (runs: MissionRun[], pick: (cpu: CpuUsage) => number) => round(median(runs.map((r) => (r.cpu ? pick(r.cpu) : Number.NaN))) / n, 2);
    const stackCpu = (cpu: CpuUsage) => cpu.oursMs - (cpu.byRole["bench process"] ?? 0);
    const otherLoad = (cpu: CpuUsage) => (cpu.wallMs > 0 ? cpu.otherMs / cpu.wallMs : Number.NaN);
    const floorMed = median(floorWall);
    const floorBaseMed = median(floorBaseWall);
    const rows: Row[] = [
      { metric: `total, creation to all ${n} done (ms)`, sam: samWall, baseline: baseWall, ratio, goal: `< ${GOAL_RATIO}x`, met: ratio < GOAL_RATIO },
      { metric: "total / tasks (ms)", sam: round(samWall / n, 2), baseline: round(baseWall / n, 2), ratio, goal: "", met: null },
      { metric: "platform overhead per task (ms)", sam: overheadPerTaskMs, baseline: "", ratio: "", goal: "", met: null },
      both("task latency, mean (ms)", (r) => r.taskMs.mean),
      both("task latency, p50 (ms)", (r) => r.taskMs.p50),
      both("task latency, max (ms)", (r) => r.taskMs.max),
      both("  model calls per task, mean (ms)", (r) => r.breakdown.modelMs, false),
      both("  tool calls per task, mean (ms)", (r) => r.breakdown.toolMs, false),
      both("  everything else per task, mean (ms)", (r) => r.breakdown.otherMs, false),
      samOnly("  SAM: created → running, mean (ms)", server((s) => s.startMs)),
      samOnly("  SAM: running → last model step, mean (ms)", server((s) => s.loopMs)),
      samOnly("  SAM: last model step → succeeded, mean (ms)", server((s) => s.finishMs)),
      samOnly("SAM: last task created, after mission (ms)", server((s) => s.lastTaskCreatedMs)),
      samOnly("SAM: first task ended, after mission (ms)", server((s) => s.firstTaskEndedMs)),
      samOnly("SAM: last task ended, after mission (ms)", server((s) => s.lastTaskEndedMs)),
      samOnly("SAM: mission ended, after mission (ms)", server((s) => s.missionEndedMs)),
      samOnly("SAM: mission.updated frames per run", (r) => r.frames?.byType["mission.updated"] ?? 0),
      samOnly("SAM: mission.updated KiB per run", (r) => round((r.frames?.missionBytes ?? 0) / 1024, 1)),
      { metric: "CPU per task, all our processes (ms)", sam: cpuPerTask(samRuns, (c) => c.oursMs), baseline: cpuPerTask(baseRuns, (c) => c.oursMs), ratio: "", goal: "", met: null },
      { metric: "  of which stack processes (ms)", sam: cpuPerTask(samRuns, stackCpu), baseline: cpuPerTask(baseRuns, stackCpu), ratio: "", goal: "", met: null },
      { metric: "  of which workerd, Worker + actors (ms)", sam: cpuPerTask(samRuns, (c) => c.byRole["workerd (Worker + actors)"] ?? 0), baseline: "", ratio: "", goal: "", met: null },
      { metric: "  of which start.ts + runner (ms)", sam: cpuPerTask(samRuns, (c) => c.byRole["start.ts + runner"] ?? 0), baseline: "", ratio: "", goal: "", met: null },
      { metric: "  of which bench process (ms)", sam: cpuPerTask(samRuns, (c) => c.byRole["bench process"] ?? 0), baseline: cpuPerTask(baseRuns, (c) => c.byRole["bench process"] ?? 0), ratio: "", goal: "", met: null },
      {
        metric: "other load on machine (cores)",
        sam: round(median(samRuns.map((r) => (r.cpu ? otherLoad(r.cpu) : Number.NaN))), 2),
        baseline: round(median(baseRuns.map((r) => (r.cpu ? otherLoad(r.cpu) : Number.NaN))), 2),
        ratio: "",
        goal: "",
        met: null,
      },
      { metric: `runtime floor: ${n} bare actor-tasks, same runner calls (ms)`, sam: round(floorMed, 1), baseline: round(floorBaseMed, 1), ratio: round(floorMed / floorBaseMed, 2), goal: "", met: null },
      { metric: "  SAM over the floor (SAM total / floor total)", sam: round(samWall / floorMed, 2), baseline: "", ratio: "", goal: "", met: null },
      {
        metric: "  workerd CPU per task, Worker + actors: SAM | floor (ms)",
        sam: cpuPerTask(samRuns, (c) => c.byRole["workerd (Worker + actors)"] ?? 0),
        baseline: round(median(floorCpu.map((c) => c.byRole["workerd (Worker + actors)"] ?? 0)) / n, 2),
        ratio: "",
        goal: "",
        met: null,
      },
      { metric: "tasks succeeded (check)", sam: okRuns(samRuns), baseline: okRuns(baseRuns), ratio: "", goal: "all", met: checksOk },
      { metric: "SAM runs repeated (Worker reloaded)", sam: repeated.length, baseline: "", ratio: "", goal: "", met: null },
    ];
    return {
      config,
      sam: { runs: samRuns, medianWallMs: samWall, medianTaskMeanMs: med(samRuns, (r) => r.taskMs.mean) },
      baseline: { runs: baseRuns, medianWallMs: baseWall, medianTaskMeanMs: med(baseRuns, (r) => r.taskMs.mean) },
      floor: { wallMs: floorWall, baselineWallMs: floorBaseWall, medianWallMs: floorMed, medianBaselineWallMs: floorBaseMed, cpu: floorCpu },
      ratio,
      overheadPerTaskMs,
      checksOk,
      rows,
      repeated,
    };
  } finally {
    client.close();
    await runner?.close();
    rmSync(workspacesDir, { recursive: true, force: true });
  }
}

/** The mission benchmark's table as text. */
export function formatMissionTable(result: MissionBenchResult): string {
  const c = result.config;
  return formatTable(
    `Mission: ${c.tasks} independent tasks (write_file + bash + final text), maxConcurrent ${c.maxConcurrent}, median of ${c.repetitions} runs (+1 warm-up of ${c.warmupTasks})`,
    result.rows,
  );
}
