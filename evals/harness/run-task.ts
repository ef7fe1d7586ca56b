/**
 * One eval run through SAM itself: the task (or mission) is submitted with the API, runs in a
 * task actor through the model gate and the runner; questions (`ask_human`) get the task's
 * prepared answers; then the outcome is graded by a second, scripted SAM task whose workspace
 * holds the run's final files plus the hidden grader files, so the grader runs in the same
 * isolation as any command and never trusts what the agent said.
 */
import type { MissionView, TaskView, TranscriptEvent } from "../../src/shared/protocol.ts";
import type { ScriptStep } from "../../src/shared/script.ts";
import type { RunResultRow } from "./report.ts";
import type { SamHttp } from "./sam-api.ts";
import { checksums, EMPTY_SCRIPT, GRADER_DIR, type EvalTask } from "./suite.ts";

/** How often a run's state is read, in ms. */
export const POLL_MS = 250;
/** Longest an agent run may take before the harness cancels it, in ms (10 minutes). */
export const RUN_TIMEOUT_MS = 10 * 60_000;
/** Longest the grader's command may run, in ms. */
export const GRADE_TIMEOUT_MS = 120_000;
/** Characters of the grader's output kept in the result. */
export const GRADE_OUTPUT_CHARS = 2_000;

/** Which script a `scripted` run replays: the reference solution, or nothing at all. */
export type ScriptMode = "oracle" | "empty";

/** One run's outcome (an entry of the report's `tasks`; its schema and field meanings: report.ts `runResultSchema`). */
export type RunResult = RunResultRow;

/** Where runs go: the project agents run in, and the one graders run in. */
export interface RunPlace {
  api: SamHttp;
  projectId: string;
  graderProjectId: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const terminal = (status: string) => ["succeeded", "failed", "cancelled"].includes(status);

/** The script for plan key `key` (mission) or the task (key null) in `mode`. */
function scriptFor(task: EvalTask, mode: ScriptMode, key: string | null): ScriptStep[] {
  if (mode === "empty") return EMPTY_SCRIPT;
  if (key === null) return task.oracle as ScriptStep[];
  const scripts = task.oracle as Record<string, ScriptStep[]>;
  if (!scripts[key]) throw new Error(`${task.id}: oracle.json has no script for plan key ${key}`);
  return scripts[key];
}

/** Every task of the run rooted at `rootId` (it and its descendants), from the project's task list. */
async function taskTree(place: RunPlace, rootId: string): Promise<TaskView[]> {
  const { tasks } = await place.api.get<{ tasks: TaskView[] }>(`/api/projects/${place.projectId}/tasks`);
  const tree = tasks.filter((t) => t.id === rootId);
  for (let i = 0; i < tree.length; i++) tree.push(...tasks.filter((t) => t.parentTaskId === tree[i].id));
  return tree;
}

/** Answers the questions of waiting tasks with the eval task's answers, in order; returns how many answers were used. */
async function answerQuestions(place: RunPlace, task: EvalTask, views: TaskView[], used: number): Promise<number> {
  for (const view of views) {
    if (view.status !== "waiting" || !view.question) continue;
    const text = task.answers[used] ?? "I don't know; decide yourself.";
    await place.api.request("POST", `/api/tasks/${view.id}/answer`, { text }, [409]);
    used++;
  }
  return used;
}

/** Counts `tool_call` events in a task's transcript (every page). */
async function countToolCalls(place: RunPlace, taskId: string): Promise<number> {
  let count = 0;
  let after = 0;
  for (;;) {
    const { events } = await place.api.get<{ events: TranscriptEvent[] }>(`/api/tasks/${taskId}/transcript?after=${after}&limit=1000`);
    if (events.length === 0) return count;
    count += events.filter((e) => e.type === "tool_call").length;
    after = events[events.length - 1].seq;
  }
}

/** The final files of a run: the fixture, then each task's changes in order (a changed file that is gone is deleted). */
async function finalFiles(place: RunPlace, fixture: Record<string, string>, tasks: TaskView[]): Promise<Record<string, string>> {
  const files = { ...fixture };
  for (const view of tasks) {
    for (const path of view.changedFiles) {
      const content = await place.api.file(view.id, path);
      if (content === null) delete files[path];
      else files[path] = content;
    }
  }
  return files;
}

/** Grades `files` with `task`'s hidden grader in a scripted SAM task; returns its exit code and output. */
export async function grade(place: RunPlace, task: EvalTask, files: Record<string, string>): Promise<{ exitCode: number | null; output: string }> {
  const seeded: Record<string, string> = { ...files, [`${GRADER_DIR}/fixture.sha256`]: checksums(task.fixture) };
  for (const [name, content] of Object.entries(task.hidden)) seeded[`${GRADER_DIR}/${name}`] = content;
  const created = await place.api.post<{ id: string }>(`/api/projects/${place.graderProjectId}/tasks`, {
    prompt: `grade ${task.id}`,
    model: "scripted",
    script: [{ toolCalls: [{ toolName: "bash", input: { command: task.grade.command, timeout_ms: GRADE_TIMEOUT_MS } }] }, { text: "graded" }],
    workspace: { files: seeded },
    maxSteps: 3,
  });
  const deadline = Date.now() + GRADE_TIMEOUT_MS + 60_000;
  for (;;) {
    const view = await place.api.get<TaskView>(`/api/tasks/${created.id}`);
    if (terminal(view.status)) break;
    if (Date.now() > deadline) throw new Error(`the grader of ${task.id} (${created.id}) did not end`);
    await sleep(POLL_MS);
  }
  const { events } = await place.api.get<{ events: TranscriptEvent[] }>(`/api/tasks/${created.id}/transcript?limit=1000`);
  const result = events.find((e) => e.type === "tool_result");
  if (!result || result.type !== "tool_result") return { exitCode: null, output: "the grader's command did not run" };
  return { exitCode: result.exitCode, output: result.output.slice(-GRADE_OUTPUT_CHARS) };
}

/**
 * Runs `task` once with `model` (for `scripted`, the script of `mode`) in `place`, and grades
 * it. `run` is the repeat number. Returns the result.
 * @throws Error when SAM refuses the start or an API call fails (the caller records it).
 */
export async function runEvalTask(place: RunPlace, task: EvalTask, model: string, mode: ScriptMode, run: number): Promise<RunResult> {
  const scripted = model === "scripted";
  const started = Date.now();
  let rootId: string;
  let views: TaskView[];
  let status: string;
  let usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  let used = 0;
  if (task.mode === "mission" && task.mission) {
    const created = await place.api.post<{ id: string }>(`/api/projects/${place.projectId}/missions`, {
      goal: task.mission.goal,
      budgetUsd: task.limits.maxUsd,
      tasks: task.mission.tasks.map((t) => ({
        ...t,
        prompt: `${task.prompt}\n\n${t.prompt}`,
        model,
        maxSteps: task.limits.maxSteps,
        workspace: { files: task.fixture },
        ...(scripted ? { script: scriptFor(task, mode, t.key) } : {}),
      })),
    });
    rootId = created.id;
    let mission: MissionView;
    for (;;) {
      mission = await place.api.get<MissionView>(`/api/missions/${created.id}`);
      views = await Promise.all(mission.tasks.filter((t) => t.taskId).map((t) => place.api.get<TaskView>(`/api/tasks/${t.taskId}`)));
      used = await answerQuestions(place, task, views, used);
      if (terminal(mission.status)) break;
      if (Date.now() - started > RUN_TIMEOUT_MS) await place.api.request("POST", `/api/missions/${created.id}/cancel`, {}, [409]);
      await sleep(POLL_MS);
    }
    status = mission.status;
    usage = mission.usage;
  } else {
    const created = await place.api.post<{ id: string }>(`/api/projects/${place.projectId}/tasks`, {
      prompt: task.prompt,
      model,
      maxSteps: task.limits.maxSteps,
      budgetUsd: task.limits.maxUsd,
      workspace: { files: task.fixture },
      ...(scripted ? { script: scriptFor(task, mode, null) } : {}),
    });
    rootId = created.id;
    for (;;) {
      views = await taskTree(place, created.id);
      used = await answerQuestions(place, task, views, used);
      const root = views.find((v) => v.id === created.id);
      if (root && terminal(root.status) && views.every((v) => terminal(v.status))) break;
      if (Date.now() - started > RUN_TIMEOUT_MS) await place.api.request("POST", `/api/tasks/${created.id}/cancel`, {}, [409]);
      await sleep(POLL_MS);
    }
    status = views.find((v) => v.id === created.id)?.status ?? "unknown";
    for (const view of views) {
      usage = { inputTokens: usage.inputTokens + view.usage.inputTokens, outputTokens: usage.outputTokens + view.usage.outputTokens, costUsd: usage.costUsd + view.usage.costUsd };
    }
  }
  const wallMs = Date.now() - started;
  const graded = views.filter((v) => v.parentTaskId === null || task.mode === "mission");
  const files = await finalFiles(place, task.fixture, graded);
  const children = views.filter((v) => v.parentTaskId !== null).length;
  const outcome = await grade(place, task, files);
  const enoughChildren = task.grade.requireChildren === undefined || children >= task.grade.requireChildren;
  const toolCalls = (await Promise.all(views.map((v) => countToolCalls(place, v.id)))).reduce((a, b) => a + b, 0);
  return {
    id: task.id,
    kind: task.kind,
    language: task.language,
    run,
    passed: outcome.exitCode === 0 && enoughChildren,
    turns: views.reduce((sum, v) => sum + v.steps, 0),
    toolCalls,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    costUsd: usage.costUsd,
    wallMs,
    taskId: rootId,
    status,
    gradeExitCode: outcome.exitCode,
    gradeOutput: enoughChildren ? outcome.output : `${outcome.output}\nexpected at least ${task.grade.requireChildren} child tasks, saw ${children}`,
  };
}
