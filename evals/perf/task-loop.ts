/**
 * Benchmark 2, task loop overhead: a scripted task of N `read_file` steps and a final text step
 * (N + 1 model steps), run by SAM (TaskAgent over wrangler dev, every step journaled and
 * published to the project) and by a bare AI SDK loop in this process (`runModelStep` +
 * `runWorkspaceTool` + `LocalRunnerWorkspace`) against a local runner started here with
 * `startRunner`. Both use the same scripted model, tool set, tool implementation and runner
 * program; the difference is the platform.
 *
 * SAM's wall time runs from just before `POST /api/projects/:p/tasks` until this process
 * receives the `task.updated` frame with the terminal status (a project WebSocket is open for
 * that; a 1 s poll of `GET /api/tasks/:id` is the fallback). It includes creating the workspace
 * and the final diff, as a user sees them. The baseline's runs from just before creating the
 * workspace until its loop ends. Per-step time is wall time divided by model steps (N + 1).
 *
 * One warm-up run of each (fewer steps) is excluded; then R measured runs, SAM and baseline
 * interleaved, and the medians are reported.
 *
 * Runtime floor: the same `read_file` request to the same runner, sent N times in a row from a
 * Durable Object of the floor Worker (`floor.ts`, under wrangler dev like SAM), with and without
 * a SQLite write before each, against the same N requests sent from this process. Swapping the
 * baseline's request time for the floor's gives the best time per step any actor-based loop
 * could reach here, and its ratio.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ModelMessage } from "ai";
import type { ServerFrame, TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import { connectProject } from "../../src/client/project-client.ts";
import { createScriptedModel } from "../../src/models/scripted.ts";
import type { ScriptStep } from "../../src/shared/script.ts";
import { runModelStep } from "../../src/models/step.ts";
import { LocalRunnerWorkspace } from "../../src/sandbox/local-runner.ts";
import { startRunner, type RunningRunner } from "../../src/sandbox/runner/server.ts";
import { runWorkspaceTool, workspaceToolSet } from "../../src/tools/workspace-tools.ts";
import { call, type Stack } from "../../test/e2e/stack.ts";
import os from "node:os";
import { floorOutboundLoop, startFloorWorker, type OutboundLoopRequest } from "./floor.ts";
import { cpuBetween, snapshotCpu, type CpuUsage } from "./proc-cpu.ts";
import { formatTable, median, round, withTimeout, type Row } from "./stats.ts";
import { awaitTerminal } from "./terminal-watch.ts";

/** Fixed workload (counts; times in ms). */
export interface TaskLoopConfig {
  /** Tool steps per measured task (the script has one more, final text step). */
  steps: number;
  /** Tool steps of the warm-up task. */
  warmupSteps: number;
  /** Measured runs of each side. */
  repetitions: number;
  /** Upper bound on one run, ms. */
  runTimeoutMs: number;
}

/** The workload: 200 steps, 3 measured runs each, a 20-step warm-up, at most 120 s per run. */
export const DEFAULT_TASK_CONFIG: TaskLoopConfig = { steps: 200, warmupSteps: 20, repetitions: 3, runTimeoutMs: 120_000 };

/** One run's figures; times in ms. */
export interface TaskRun {
  wallMs: number;
  /** Model steps taken (steps + 1). */
  modelSteps: number;
  perStepMs: number;
  /** SAM only: last `updatedAt` minus `createdAt` of the task view (ms resolution). */
  serverMs?: number;
  /** Where the time went, from the transcript (SAM) or measured in-loop (baseline), ms. */
  breakdown: { modelMs: number; toolMs: number; otherMs: number };
  /**
   * Mean time per step over the first and the last `WINDOW` model steps, ms, from the end times
   * of model steps (SAM: the transcript's `at`, ms resolution; baseline: measured in-loop).
   * Equal values mean a constant per-step cost; a larger `late` means cost grows with history.
   */
  stepMsEarly: number;
  stepMsLate: number;
  /** CPU time during the run by process role, ms (see proc-cpu.ts). */
  cpu?: CpuUsage;
}

/** The task-loop benchmark's figures. */
export interface TaskLoopResult {
  config: TaskLoopConfig;
  sam: { runs: TaskRun[]; medianWallMs: number; medianPerStepMs: number };
  baseline: { runs: TaskRun[]; medianWallMs: number; medianPerStepMs: number };
  /** SAM / baseline of the median per-step time (dimensionless). */
  ratio: number;
  rows: Row[];
  /** Why SAM runs were repeated (the Worker reloaded under them); empty when none were. */
  repeated: string[];
}

const PROMPT = "Read a.txt repeatedly (performance benchmark).";
/** Same wording as TaskAgent's instructions (they are not exported), so prompts match in size. */
const INSTRUCTIONS = `You are a coding agent working in an isolated workspace mounted at /workspace.
Use the tools to inspect and change files and to run commands (bash has no network access).
Make the smallest change that achieves the goal, verify it by running the relevant commands,
and finish with a short summary of what you did and what you verified.`;
const SEED = { "a.txt": "alpha\nbeta\ngamma\ndelta\n".repeat(4) };
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
/** Steps in the early/late windows of {@link TaskRun.stepMsEarly}. */
const WINDOW = 50;

/** Mean ms per step over the first and last WINDOW steps, from each model step's end time (ms). */
function windows(stepEnds: readonly number[]): { stepMsEarly: number; stepMsLate: number } {
  if (stepEnds.length < 2 * WINDOW + 1) return { stepMsEarly: Number.NaN, stepMsLate: Number.NaN };
  const last = stepEnds.length - 1;
  return {
    stepMsEarly: round((stepEnds[WINDOW] - stepEnds[0]) / WINDOW, 3),
    stepMsLate: round((stepEnds[last] - stepEnds[last - WINDOW]) / WINDOW, 3),
  };
}

/** Most SAM runs repeated because the Worker reloaded under them. */
const MAX_REPEATS = 3;

/** The script: `steps` read_file calls, then a final text. */
function scriptOf(steps: number): ScriptStep[] {
  const script: ScriptStep[] = [];
  for (let i = 0; i < steps; i++) script.push({ toolCalls: [{ toolName: "read_file", input: { path: "a.txt" } }] });
  script.push({ text: "done" });
  return script;
}

// ---------- SAM ----------

interface SamContext {
  stack: Stack;
  projectId: string;
  /** Arrival time (performance.now()) of each task's terminal `task.updated` frame. */
  terminal: Map<string, { at: number; status: string }>;
  waiters: Map<string, () => void>;
}

async function runSam(ctx: SamContext, steps: number, timeoutMs: number): Promise<TaskRun> {
  const started = performance.now();
  const { id } = await call<{ id: string }>(ctx.stack, `/api/projects/${ctx.projectId}/tasks`, {
    json: { prompt: PROMPT, script: scriptOf(steps), maxSteps: steps + 1, workspace: { files: SEED } },
  });
  await awaitTerminal(ctx, id, `/api/tasks/${id}`, (status) => TERMINAL.has(status), timeoutMs, `SAM task ${id} (${steps} steps)`);
  const end = ctx.terminal.get(id)!;
  const wallMs = end.at - started;
  const view = await call<TaskView>(ctx.stack, `/api/tasks/${id}`);
  if (view.status !== "succeeded") throw new Error(`SAM task ${id} ended ${view.status}: ${view.error ?? ""}`);
  if (view.steps !== steps + 1) throw new Error(`SAM task ${id} took ${view.steps} model steps, expected ${steps + 1}`);
  const { events } = await call<{ events: TranscriptEvent[] }>(ctx.stack, `/api/tasks/${id}/transcript?limit=1000`);
  let modelMs = 0;
  let toolMs = 0;
  let toolErrors = 0;
  const stepEnds: number[] = [];
  for (const event of events) {
    if (event.type === "model_step") {
      modelMs += event.durationMs;
      stepEnds.push(Date.parse(event.at));
    }
    if (event.type === "tool_result") {
      toolMs += event.durationMs;
      if (event.isError) toolErrors++;
    }
  }
  if (toolErrors) throw new Error(`SAM task ${id}: ${toolErrors} tool calls failed`);
  return {
    wallMs: round(wallMs, 1),
    modelSteps: view.steps,
    perStepMs: round(wallMs / view.steps, 3),
    serverMs: Date.parse(view.updatedAt) - Date.parse(view.createdAt),
    breakdown: { modelMs, toolMs, otherMs: round(wallMs - modelMs - toolMs, 1) },
    ...windows(stepEnds),
  };
}

// ---------- baseline ----------

/** Options of {@link runBaseline}. */
export interface BaselineOptions {
  /** Files the workspace is created with (default: the task-loop benchmark's `a.txt`). */
  seed?: Record<string, string>;
  /** Leave the workspace for the caller to destroy (default: destroyed once the loop ended, outside `wallMs`). */
  keepWorkspace?: boolean;
}

/**
 * The baseline loop: runs `script` (tool steps, then a final `done` text) with the scripted
 * model as a bare AI SDK loop in this process (`runModelStep` + `runWorkspaceTool`) against
 * `runner`, in a fresh workspace `workspaceId`. `wallMs` runs from just before creating the
 * workspace until the loop ends; the breakdown is measured in the loop (ms).
 * @throws when a tool call fails or the loop does not end with "done" after `script.length` model steps.
 */
export async function runBaseline(runner: RunningRunner, secret: string, script: ScriptStep[], workspaceId: string, options: BaselineOptions = {}): Promise<TaskRun> {
  const workspace = new LocalRunnerWorkspace({ url: runner.url, secret }, workspaceId);
  const model = createScriptedModel(script);
  const tools = workspaceToolSet();
  let modelMs = 0;
  let toolMs = 0;
  let modelSteps = 0;
  let finalText = "";
  const stepEnds: number[] = [];
  const started = performance.now();
  await workspace.create(options.seed ?? SEED);
  const messages: ModelMessage[] = [{ role: "user", content: PROMPT }];
  for (; modelSteps <= script.length; ) {
    const t0 = performance.now();
    const step = await runModelStep({ model, instructions: INSTRUCTIONS, messages, tools });
    const t0End = performance.now();
    modelMs += t0End - t0;
    stepEnds.push(t0End);
    modelSteps++;
    messages.push(...step.responseMessages);
    if (step.toolCalls.length === 0) {
      finalText = step.text;
      break;
    }
    for (const toolCall of step.toolCalls) {
      const t1 = performance.now();
      const outcome = await runWorkspaceTool(toolCall.toolName, toolCall.input, workspace, 60_000);
      toolMs += performance.now() - t1;
      if (outcome.isError) throw new Error(`baseline: ${toolCall.toolName} failed: ${outcome.output}`);
      messages.push({
        role: "tool",
        content: [{ type: "tool-result", toolCallId: toolCall.toolCallId, toolName: toolCall.toolName, output: { type: "text", value: outcome.output } }],
      });
    }
  }
  const wallMs = performance.now() - started;
  if (!options.keepWorkspace) await workspace.destroy().catch(() => undefined);
  if (finalText !== "done" || modelSteps !== script.length) throw new Error(`baseline: ended after ${modelSteps} model steps with "${finalText}"`);
  return {
    wallMs: round(wallMs, 1),
    modelSteps,
    perStepMs: round(wallMs / modelSteps, 3),
    breakdown: { modelMs: round(modelMs, 1), toolMs: round(toolMs, 1), otherMs: round(wallMs - modelMs - toolMs, 1) },
    ...windows(stepEnds),
  };
}

// ---------- the benchmark ----------

/**
 * Runs the task-loop benchmark: SAM on `stack`, the baseline against a runner started (and
 * closed) here in a temporary directory (removed afterwards). Prints progress to stderr.
 * @throws when a run fails, takes the wrong number of steps, or times out.
 */
export async function runTaskLoopBench(stack: Stack, config: TaskLoopConfig = DEFAULT_TASK_CONFIG): Promise<TaskLoopResult> {
  const log = (line: string) => process.stderr.write(`[bench task] ${line}\n`);
  const project = await call<{ id: string }>(stack, "/api/projects", { json: { name: "perf: task loop" } });
  const ctx: SamContext = { stack, projectId: project.id, terminal: new Map(), waiters: new Map() };
  const client = connectProject({ host: stack.host, projectId: project.id, token: stack.token });
  // A dropped project connection means the Worker reloaded (wrangler dev watches files):
  // a run it overlapped is disturbed, so it is repeated (at most MAX_REPEATS times in all).
  let drops = 0;
  client.socket.addEventListener("close", () => drops++);
  const repeated: string[] = [];
  const stackPort = Number(new URL(stack.url).port);
  const samRun = async (steps: number): Promise<TaskRun> => {
    for (;;) {
      const before = drops;
      try {
        const cpuBefore = snapshotCpu(stackPort);
        const run = await runSam(ctx, steps, config.runTimeoutMs);
        run.cpu = cpuBetween(cpuBefore, snapshotCpu(stackPort), os.availableParallelism());
        if (drops === before) return run;
        repeated.push(`a ${steps}-step SAM run overlapped a dropped connection`);
      } catch (error) {
        if (drops === before) throw error;
        repeated.push(`a ${steps}-step SAM run failed during a dropped connection: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (repeated.length > MAX_REPEATS) throw new Error(`too many disturbed runs: ${repeated.join("; ")}`);
      log(`${repeated.at(-1)}; the Worker probably reloaded. Repeating it.`);
      await withTimeout(client.opened(), 30_000, "reconnecting the project client");
    }
  };
  client.onFrame((frame: ServerFrame) => {
    if (frame.type !== "task.updated" || !TERMINAL.has(frame.task.status) || ctx.terminal.has(frame.task.id)) return;
    ctx.terminal.set(frame.task.id, { at: performance.now(), status: frame.task.status });
    ctx.waiters.get(frame.task.id)?.();
  });
  const workspacesDir = mkdtempSync(join(tmpdir(), "sam-perf-ws-"));
  const secret = randomBytes(24).toString("base64url");
  let runner: RunningRunner | undefined;
  try {
    await withTimeout(client.opened(), 30_000, "connecting the project client");
    runner = await startRunner({ port: 0, secret, workspacesDir });
    const tag = Date.now().toString(36);

    log(`warm-up: ${config.warmupSteps} steps each`);
    await samRun(config.warmupSteps);
    await runBaseline(runner, secret, scriptOf(config.warmupSteps), `perf-warm-${tag}`);

    const samRuns: TaskRun[] = [];
    const baseRuns: TaskRun[] = [];
    for (let r = 0; r < config.repetitions; r++) {
      const sam = await samRun(config.steps);
      samRuns.push(sam);
      const cpuBefore = snapshotCpu(stackPort);
      const base = await withTimeout(runBaseline(runner, secret, scriptOf(config.steps), `perf-${tag}-${r}`), config.runTimeoutMs, "baseline run");
      base.cpu = cpuBetween(cpuBefore, snapshotCpu(stackPort), os.availableParallelism());
      baseRuns.push(base);
      log(`run ${r + 1}/${config.repetitions}: SAM ${sam.wallMs} ms (${sam.perStepMs} ms/step), baseline ${base.wallMs} ms (${base.perStepMs} ms/step)`);
    }

    log("runtime floor: the read_file request from a Durable Object");
    const floor = await measureFloorRead(runner, secret, config, `perf-floor-${tag}`);

    const samPerStep = median(samRuns.map((r) => r.perStepMs));
    const basePerStep = median(baseRuns.map((r) => r.perStepMs));
    const samWall = median(samRuns.map((r) => r.wallMs));
    const baseWall = median(baseRuns.map((r) => r.wallMs));
    const ratio = round(samPerStep / basePerStep, 2);
    const modelSteps = config.steps + 1;
    const med = (runs: TaskRun[], pick: (r: TaskRun) => number) => round(median(runs.map(pick)) / modelSteps, 3);
    const rows: Row[] = [
      { metric: "time per step (ms)", sam: round(samPerStep, 3), baseline: round(basePerStep, 3), ratio, goal: "< 1.5x", met: ratio < 1.5 },
      { metric: `total, ${config.steps}-step task (ms)`, sam: samWall, baseline: baseWall, ratio: round(samWall / baseWall, 2), goal: "", met: null },
      {
        metric: "SAM server-side per step (ms)",
        sam: round(median(samRuns.map((r) => r.serverMs ?? Number.NaN)) / modelSteps, 3),
        baseline: "",
        ratio: "",
        goal: "",
        met: null,
      },
      {
        metric: `  first ${WINDOW} steps, per step (ms)`,
        sam: round(median(samRuns.map((r) => r.stepMsEarly)), 3),
        baseline: round(median(baseRuns.map((r) => r.stepMsEarly)), 3),
        ratio: round(median(samRuns.map((r) => r.stepMsEarly)) / median(baseRuns.map((r) => r.stepMsEarly)), 2),
        goal: "",
        met: null,
      },
      {
        metric: `  last ${WINDOW} steps, per step (ms)`,
        sam: round(median(samRuns.map((r) => r.stepMsLate)), 3),
        baseline: round(median(baseRuns.map((r) => r.stepMsLate)), 3),
        ratio: round(median(samRuns.map((r) => r.stepMsLate)) / median(baseRuns.map((r) => r.stepMsLate)), 2),
        goal: "",
        met: null,
      },
      { metric: "  model call per step (ms)", sam: med(samRuns, (r) => r.breakdown.modelMs), baseline: med(baseRuns, (r) => r.breakdown.modelMs), ratio: "", goal: "", met: null },
      { metric: "  read_file per step (ms)", sam: med(samRuns, (r) => r.breakdown.toolMs), baseline: med(baseRuns, (r) => r.breakdown.toolMs), ratio: "", goal: "", met: null },
      { metric: "  everything else per step (ms)", sam: med(samRuns, (r) => r.breakdown.otherMs), baseline: med(baseRuns, (r) => r.breakdown.otherMs), ratio: "", goal: "", met: null },
    ];
    const floorStep = basePerStep - floor.nodeMs + floor.journalMs;
    rows.push(
      { metric: "runtime floor: read request from a DO (ms)", sam: floor.plainMs, baseline: floor.nodeMs, ratio: round(floor.plainMs / floor.nodeMs, 2), goal: "", met: null },
      { metric: "  with a SQLite write before each (ms)", sam: floor.journalMs, baseline: floor.nodeMs, ratio: round(floor.journalMs / floor.nodeMs, 2), goal: "", met: null },
      { metric: "  best step reachable at the floor (ms)", sam: round(floorStep, 3), baseline: round(basePerStep, 3), ratio: round(floorStep / basePerStep, 2), goal: "", met: null },
    );
    const cpuPerStep = (runs: TaskRun[], pick: (cpu: CpuUsage) => number) => round(median(runs.map((r) => (r.cpu ? pick(r.cpu) : Number.NaN))) / modelSteps, 3);
    const samServer = (cpu: CpuUsage) => cpu.oursMs - (cpu.byRole["bench process"] ?? 0);
    const other = (cpu: CpuUsage) => (cpu.wallMs > 0 ? cpu.otherMs / cpu.wallMs : Number.NaN);
    rows.push(
      { metric: "CPU per step, all our processes (ms)", sam: cpuPerStep(samRuns, (c) => c.oursMs), baseline: cpuPerStep(baseRuns, (c) => c.oursMs), ratio: "", goal: "", met: null },
      { metric: "  of which stack processes (ms)", sam: cpuPerStep(samRuns, samServer), baseline: cpuPerStep(baseRuns, samServer), ratio: "", goal: "", met: null },
      {
        metric: "  of which workerd, Worker + actors (ms)",
        sam: cpuPerStep(samRuns, (c) => c.byRole["workerd (Worker + actors)"] ?? 0),
        baseline: "",
        ratio: "",
        goal: "",
        met: null,
      },
      { metric: "  of which start.ts + runner (ms)", sam: cpuPerStep(samRuns, (c) => c.byRole["start.ts + runner"] ?? 0), baseline: "", ratio: "", goal: "", met: null },
      {
        metric: "other load on machine (cores)",
        sam: round(median(samRuns.map((r) => (r.cpu ? other(r.cpu) : Number.NaN))), 2),
        baseline: round(median(baseRuns.map((r) => (r.cpu ? other(r.cpu) : Number.NaN))), 2),
        ratio: "",
        goal: "",
        met: null,
      },
      { metric: "SAM runs repeated (Worker reloaded)", sam: repeated.length, baseline: "", ratio: "", goal: "", met: null },
    );
    return {
      config,
      sam: { runs: samRuns, medianWallMs: samWall, medianPerStepMs: round(samPerStep, 3) },
      baseline: { runs: baseRuns, medianWallMs: baseWall, medianPerStepMs: round(basePerStep, 3) },
      ratio,
      rows,
      repeated,
    };
  } finally {
    client.close();
    await runner?.close();
    rmSync(workspacesDir, { recursive: true, force: true });
  }
}

/** Request times of the runtime floor (ms per request, medians of the repetitions). */
interface FloorRead {
  /** From the floor's Durable Object, nothing else in the loop. */
  plainMs: number;
  /** From the floor's Durable Object, a SQLite row written before each request. */
  journalMs: number;
  /** From this process (Node's fetch), nothing else in the loop. */
  nodeMs: number;
}

/**
 * Sends the task's `read_file` request (`a.txt`) `config.steps` times in a row to `runner`, from
 * the floor Worker's Durable Object (with and without a journal write) and from this process;
 * one warm-up of `config.warmupSteps` each, then `config.repetitions` runs, interleaved.
 */
async function measureFloorRead(runner: RunningRunner, secret: string, config: TaskLoopConfig, workspaceId: string): Promise<FloorRead> {
  const workspace = new LocalRunnerWorkspace({ url: runner.url, secret }, workspaceId);
  await workspace.create(SEED);
  const floor = await startFloorWorker("http://127.0.0.1:9");
  try {
    const request = (steps: number, journal: boolean): OutboundLoopRequest => ({
      url: `${runner.url}/v1/workspaces/${workspaceId}/read`,
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ path: "a.txt" }),
      steps,
      journal,
    });
    const fromNode = async (steps: number) => {
      const { url, headers, body } = request(steps, false);
      const started = performance.now();
      for (let i = 0; i < steps; i++) {
        const response = await fetch(url, { method: "POST", headers, body });
        if (!response.ok) throw new Error(`read from this process: ${response.status}`);
        await response.text();
      }
      return (performance.now() - started) / steps;
    };
    await floorOutboundLoop(floor, request(config.warmupSteps, true));
    await fromNode(config.warmupSteps);
    const plain: number[] = [];
    const journal: number[] = [];
    const node: number[] = [];
    for (let r = 0; r < config.repetitions; r++) {
      plain.push(await floorOutboundLoop(floor, request(config.steps, false)));
      journal.push(await floorOutboundLoop(floor, request(config.steps, true)));
      node.push(await fromNode(config.steps));
    }
    return { plainMs: round(median(plain), 3), journalMs: round(median(journal), 3), nodeMs: round(median(node), 3) };
  } finally {
    await floor.stop();
    await workspace.destroy().catch(() => undefined);
  }
}

/** The task-loop benchmark's table as text. */
export function formatTaskTable(result: TaskLoopResult): string {
  const c = result.config;
  return formatTable(
    `Task loop: ${c.steps} read_file steps + final text (${c.steps + 1} model steps), median of ${c.repetitions} runs (+1 warm-up of ${c.warmupSteps})`,
    result.rows,
  );
}
